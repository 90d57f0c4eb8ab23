"""Every Azure OpenAI call finetune-ls makes, through its own functions (api/) and its own
client (api/connection.py), against steady serving Azure's published specs: the dated
paths against Azure's authoring spec (api-version 2024-10-21), the v1 paths against
OpenAI's spec under /openai/v1 (tests/contract/azure_specs.py says what was derived and
why); with a key and with a Microsoft Entra ID token. No request may draw a diagnostic;
a malformed one must."""

from __future__ import annotations

import openai
import pytest

from contract.azure_specs import AUTHORING_VERSION, AZURE_AUTHORING, OPENAI, authoring_spec, v1_spec
from contract.conftest import SENTINEL_API_KEY, steady_serving
from contract.steady import HeaderRecorder, Steady
from finetune_ls.api import answers, complete, files, jobs, models
from finetune_ls.api.connection import ApiKey, Connection, EntraTokens, Provider, make_client
from finetune_ls.api.ledger import Ledger
from finetune_ls.core.catalog import bundled_catalog

CHAT = '{"messages":[{"role":"user","content":"q%d"},{"role":"assistant","content":"a%d"}]}\n'
ENTRA_TOKEN = "eyJ0eXAi-ENTRA-SENTINEL-contract"


def _steady(spec_of, source, tmp_path_factory, name):
    """steady serving the spec derived from `source` (see azure_specs.py)."""
    if not source.is_file():
        pytest.skip(f"the spec for Azure contract tests is not at {source}")
    folder = tmp_path_factory.mktemp(name)
    return steady_serving(spec_of(folder), folder, "the derived spec")


@pytest.fixture(scope="module")
def dated_steady(tmp_path_factory):
    with _steady(authoring_spec, AZURE_AUTHORING, tmp_path_factory, "azure-authoring") as server:
        yield server


@pytest.fixture(scope="module")
def v1_steady(tmp_path_factory):
    with _steady(v1_spec, OPENAI, tmp_path_factory, "azure-v1") as server:
        yield server


def azure_client(server: Steady, recorder: HeaderRecorder, *, version: str | None, entra: bool) -> Connection:
    """The client finetune-ls makes for Azure (api/connection.py), its HTTP client given
    hooks that keep steady's diagnostic headers and each request's credential headers."""
    provider = Provider(kind="azure", azure_endpoint=server.root_url, api_version=version, azure_auth=
                        "entra" if entra else "key", max_retries=0)
    credential = EntraTokens(lambda: ENTRA_TOKEN) if entra else ApiKey(SENTINEL_API_KEY, "the test")
    client = make_client(provider, credential)
    recorder.credentials = []

    def credentials(request) -> None:
        recorder.credentials.append((request.headers.get("authorization"), request.headers.get("api-key")))

    hooks = {"request": [credentials], "response": [recorder]}
    client = client.with_options(http_client=openai.DefaultHttpxClient(event_hooks=hooks))
    return Connection(client, credential, "steady")


@pytest.fixture
def training_file(tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_text("".join(CHAT % (i, i) for i in range(12)), encoding="utf-8")
    return path


def checked(server: Steady, recorder: HeaderRecorder, since: int) -> list:
    server.assert_no_diagnostics(since)
    assert not recorder.diagnosed, [r.describe() for r in recorder.diagnosed]
    return server.requests()[since:]


def every_call(client, ledger: Ledger, training_file, *, v1: bool) -> None:
    """Each call finetune-ls makes on Azure, through its functions."""
    uploaded = files.upload(client, str(training_file), ledger, wait=False)
    files.wait_for_processing(client, uploaded.file.id, timeout=0)
    files.list_files(client, "fine-tune")
    request = jobs.JobRequest("gpt-4.1-mini-2025-04-14", uploaded.file.id, "supervised",
                              {"n_epochs": 3, "batch_size": 8, "learning_rate_multiplier": 0.5}, suffix="demo",
                              seed=7, validation_file="file-def")
    job = jobs.create_job(client, ledger, request).job
    jobs.find_tagged(client, "abc")
    jobs.list_jobs(client, limit=5)
    jobs.events(client, job.id)
    jobs.checkpoints(client, job.id)
    list(jobs.follow(client, job.id, stop=lambda: True))  # retrieve (and events)
    answers.made(lambda: client.fine_tuning.jobs.cancel(job.id), "the job cancel")
    models.list_fine_tuned(client, bundled_catalog())
    files.delete_file(client, uploaded.file.id, ledger)
    if v1:  # in the v1 API only (the dated 2024-10-21 has no model delete nor pause/resume)
        models.delete_model(client, "gpt-4.1-mini-2025-04-14.ft-0123456789abcdef0123456789abcdef", ledger)
        for call in (client.fine_tuning.jobs.pause, client.fine_tuning.jobs.resume):
            answers.made(lambda call=call: call(job.id), "the job pause or resume")
        # Inference names the deployment as the model (the authoring spec has no inference).
        chat = {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}
        complete.try_model(client, "my-fine-tuned-deployment", chat, max_tokens=50)


@pytest.mark.parametrize("entra", [False, True], ids=["key", "entra"])
def test_every_call_on_the_dated_paths(dated_steady, training_file, tmp_path, entra):
    recorder, since = HeaderRecorder(), dated_steady.mark()
    session = azure_client(dated_steady, recorder, version=AUTHORING_VERSION, entra=entra)
    every_call(session.client, Ledger(str(tmp_path)), training_file, v1=False)
    # Entra: the token as the bearer, no key; a key: `api-key` alone, as the spec's security says.
    expected = (f"Bearer {ENTRA_TOKEN}", None) if entra else (None, SENTINEL_API_KEY)
    assert recorder.credentials and set(recorder.credentials) == {expected}
    seen = checked(dated_steady, recorder, since)
    assert seen and all(r.path.startswith("/openai/") and f"api-version={AUTHORING_VERSION}" in r.path for r in seen)
    assert {r.path.split("?")[0] for r in seen} >= {"/openai/files", "/openai/fine_tuning/jobs", "/openai/models"}


@pytest.mark.parametrize("entra", [False, True], ids=["key", "entra"])
def test_every_call_on_the_v1_paths(v1_steady, training_file, tmp_path, entra):
    recorder, since = HeaderRecorder(), v1_steady.mark()
    session = azure_client(v1_steady, recorder, version=None, entra=entra)
    every_call(session.client, Ledger(str(tmp_path)), training_file, v1=True)
    # Entra: the token as the bearer; a key: both as the bearer and in `api-key` (api/connection.py).
    expected = (f"Bearer {ENTRA_TOKEN}", None) if entra else (f"Bearer {SENTINEL_API_KEY}", SENTINEL_API_KEY)
    assert recorder.credentials and set(recorder.credentials) == {expected}
    seen = checked(v1_steady, recorder, since)
    assert seen and all(r.path.startswith("/openai/v1/") and "api-version" not in r.path for r in seen)


def test_the_training_type_on_v1(v1_steady, tmp_path):
    """Azure's `trainingType` is no field of OpenAI's create body; the spec leaves extra
    fields open, so steady must take it without a diagnostic."""
    recorder, since = HeaderRecorder(), v1_steady.mark()
    session = azure_client(v1_steady, recorder, version=None, entra=False)
    request = jobs.JobRequest("gpt-4.1-mini-2025-04-14", "file-abc", training_type="GlobalStandard")
    jobs.create_job(session.client, Ledger(str(tmp_path)), request)
    checked(v1_steady, recorder, since)


def test_a_malformed_request_is_caught_on_both(dated_steady, v1_steady, tmp_path):
    """The same mistake (an empty training file id, a negative epoch count) drawn by each spec."""
    for server, version in ((dated_steady, AUTHORING_VERSION), (v1_steady, None)):
        recorder, since = HeaderRecorder(), server.mark()
        session = azure_client(server, recorder, version=version, entra=False)
        try:
            session.client.with_options(max_retries=0).fine_tuning.jobs.create(
                model="gpt-4.1-mini-2025-04-14", training_file="", hyperparameters={"n_epochs": -1})
        except openai.BadRequestError:
            pass  # steady refuses some mistakes outright (E3xxx); the rest it answers with a diagnostic
        assert server.diagnosed(since), f"steady took a malformed job create on {server.spec.name}"
