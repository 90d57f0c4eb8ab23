"""The fake OpenAI server, driven by the official SDK in strict mode.

Every answer is parsed by the SDK's own models with
`_strict_response_validation=True` and, on the wire, checked for the fields
the published spec marks required (the SDK makes some of them optional), so
the fake cannot drift from the real API's shapes unnoticed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx2
import openai
import pytest
from fake_openai import SENTINEL_KEY, FakeOpenAI
from fake_openai.fixtures import fake_openai  # noqa: F401  (the fixture)

BASE_MODEL = "gpt-4o-mini-2024-07-18"
TRAINING = b"".join(
    json.dumps({"messages": [{"role": "user", "content": f"q{n}"}, {"role": "assistant", "content": f"a{n}"}]}).encode()
    + b"\n"
    for n in range(10)
)

# Required fields per object, copied from ../shared/openai-api/openapi.transformed.yml.
SPEC_REQUIRED = {
    "file": {"id", "object", "bytes", "created_at", "filename", "purpose", "status"},
    "upload": {"id", "object", "bytes", "created_at", "expires_at", "filename", "purpose", "status"},
    "upload.part": {"id", "object", "created_at", "upload_id"},
    "fine_tuning.job": {
        "id",
        "object",
        "created_at",
        "error",
        "finished_at",
        "fine_tuned_model",
        "hyperparameters",
        "model",
        "organization_id",
        "result_files",
        "status",
        "trained_tokens",
        "training_file",
        "validation_file",
        "seed",
    },
    "fine_tuning.job.event": {"id", "object", "created_at", "level", "message"},
    "fine_tuning.job.checkpoint": {
        "id",
        "object",
        "created_at",
        "fine_tuning_job_id",
        "fine_tuned_model_checkpoint",
        "metrics",
        "step_number",
    },
    "model": {"id", "object", "created", "owned_by"},
    "chat.completion": {"id", "object", "created", "model", "choices"},
    "text_completion": {"id", "object", "created", "model", "choices"},
}
DELETED_REQUIRED = {"id", "object", "deleted"}
LIST_REQUIRED = {"/v1/files": {"object", "data", "first_id", "last_id", "has_more"}, "/v1/models": {"object", "data"}}


def _check_spec_shape(value, path: str) -> None:
    if isinstance(value, list):
        for item in value:
            _check_spec_shape(item, path)
        return
    if not isinstance(value, dict):
        return
    kind = value.get("object")
    if "deleted" in value:
        required = DELETED_REQUIRED
    elif kind == "list":
        required = LIST_REQUIRED.get(path, {"object", "data", "has_more"})
    else:
        required = SPEC_REQUIRED.get(kind, set())
    missing = required - value.keys()
    assert not missing, f"{kind} from {path} lacks spec-required {sorted(missing)}: {value}"
    for item in value.values():
        _check_spec_shape(item, path)


class Wire:
    """Every response body the client received, checked against the spec as it arrives."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def hook(self, response: httpx2.Response) -> None:
        response.read()
        self.bodies.append(response.content)
        if response.headers.get("content-type", "").startswith("application/json"):
            body = response.json()
            if response.status_code >= 400:
                assert set(body) == {"error"} and set(body["error"]) == {"message", "type", "param", "code"}, body
            else:
                _check_spec_shape(body, response.request.url.path)


def strict_client(
    fake: FakeOpenAI, wire: Wire | None = None, *, strict: bool = True, api_key: str = SENTINEL_KEY, **options
) -> openai.OpenAI:
    hooks = {"response": [wire.hook]} if wire else {}
    return openai.OpenAI(
        base_url=fake.base_url,
        api_key=api_key,
        max_retries=0,
        _strict_response_validation=strict,
        http_client=openai.DefaultHttpxClient(event_hooks=hooks),
        **options,
    )


@pytest.fixture
def wire() -> Wire:
    return Wire()


@pytest.fixture
def client(fake_openai: FakeOpenAI, wire: Wire) -> Iterator[openai.OpenAI]:  # noqa: F811
    with strict_client(fake_openai, wire) as sdk:
        yield sdk


def upload_training(client: openai.OpenAI, data: bytes = TRAINING, name: str = "train.jsonl"):
    return client.files.create(file=(name, data), purpose="fine-tune")


# -- the harness itself ------------------------------------------------------------


def test_strict_validation_is_really_on(client, fake_openai):  # noqa: F811
    assert client._strict_response_validation is True
    fake_openai.fail_next("GET /v1/models", 200, body={"object": "list", "data": [{"id": 1}]})
    with pytest.raises(openai.APIResponseValidationError):
        client.models.list()


def test_base_url_is_loopback_and_stop_closes_the_port():
    with FakeOpenAI() as fake:
        assert fake.base_url.startswith("http://127.0.0.1:") and fake.base_url.endswith("/v1")
        url = fake.base_url
    with openai.OpenAI(base_url=url, api_key=SENTINEL_KEY, max_retries=0, timeout=2) as sdk:
        with pytest.raises(openai.APIConnectionError):
            sdk.models.list()


def test_another_process_can_reach_the_fake(fake_openai):  # noqa: F811
    # What a language-server subprocess does: plain HTTP to base_url with the key.
    script = (
        "import json, sys, urllib.request as u;"
        "r = u.Request(sys.argv[1] + '/models', headers={'Authorization': 'Bearer ' + sys.argv[2]});"
        "print(len(json.load(u.urlopen(r, timeout=10))['data']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, fake_openai.base_url, SENTINEL_KEY], capture_output=True, text=True, timeout=30
    )
    assert done.stdout.strip() == "4", done.stderr


# -- files ---------------------------------------------------------------------------


def test_files_round_trip(client, fake_openai):  # noqa: F811
    binary = TRAINING + b"\r\n\x00\xff trailing\r\n"
    created = client.files.create(file=("train.jsonl", binary), purpose="fine-tune")
    assert (created.object, created.purpose, created.status, created.bytes) == (
        "file",
        "fine-tune",
        "processed",
        len(binary),
    )
    assert created.id.startswith("file-")
    assert client.files.retrieve(created.id) == created
    assert client.files.content(created.id).content == binary
    assert fake_openai.file_content(created.id) == binary

    assert client.files.delete(created.id).model_dump() == {"id": created.id, "object": "file", "deleted": True}
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(created.id)


def test_files_list_filters_orders_and_pages(client):
    ids = [upload_training(client, name=f"{n}.jsonl").id for n in range(3)]
    batch = client.files.create(file=("b.jsonl", b"{}\n"), purpose="batch")

    assert [file.id for file in client.files.list(purpose="fine-tune")] == ids[::-1]  # newest first
    assert [file.id for file in client.files.list(purpose="fine-tune", order="asc")] == ids
    first_page = client.files.list(limit=2)
    assert (first_page.first_id, first_page.last_id, first_page.has_more) == (batch.id, ids[2], True)
    assert [file.id for file in client.files.list(limit=1)] == [batch.id, *ids[::-1]]  # auto-paging on `after`


def test_file_stays_uploaded_for_the_configured_retrieves(wire):
    with FakeOpenAI(file_processing_retrieves=2) as fake, strict_client(fake, wire) as sdk:
        file = upload_training(sdk)
        assert file.status == "uploaded"
        assert [sdk.files.retrieve(file.id).status for _ in range(3)] == ["uploaded", "uploaded", "processed"]
        fake.set_file_status(file.id, "error", "Invalid file format. Example 3 cannot be parsed.")
        assert sdk.files.retrieve(file.id).status_details.startswith("Invalid file format")


def test_wait_for_processing_polls_until_processed(wire):
    with FakeOpenAI(file_processing_retrieves=3) as fake, strict_client(fake, wire) as sdk:
        file = upload_training(sdk)
        assert sdk.files.wait_for_processing(file.id, poll_interval=0.01).status == "processed"
        assert len(fake.requests_to(f"GET /v1/files/{file.id}")) == 4


# -- uploads -------------------------------------------------------------------------


def test_upload_in_parts_joins_them_in_the_given_order(client, fake_openai):  # noqa: F811
    chunks = [TRAINING[:100], TRAINING[100:250], TRAINING[250:]]
    upload = client.uploads.create(
        filename="train.jsonl", purpose="fine-tune", bytes=len(TRAINING), mime_type="text/jsonl"
    )
    assert (upload.object, upload.status, upload.file) == ("upload", "pending", None)
    # Sent out of order, as parallel uploads may arrive; part_ids decide the order.
    parts = {index: client.uploads.parts.create(upload.id, data=chunks[index]) for index in (2, 0, 1)}
    assert all(part.object == "upload.part" and part.upload_id == upload.id for part in parts.values())

    done = client.uploads.complete(
        upload.id, part_ids=[parts[i].id for i in range(3)], md5=hashlib.md5(TRAINING).hexdigest()
    )
    assert done.status == "completed" and done.file.object == "file" and done.file.bytes == len(TRAINING)
    assert client.files.content(done.file.id).content == TRAINING == fake_openai.file_content(done.file.id)
    with pytest.raises(openai.BadRequestError):
        client.uploads.cancel(upload.id)


def test_sdk_chunked_upload_helper(client):
    upload = client.uploads.upload_file_chunked(
        file=TRAINING,
        filename="train.jsonl",
        bytes=len(TRAINING),
        mime_type="text/jsonl",
        purpose="fine-tune",
        part_size=128,
    )
    assert upload.status == "completed"
    assert client.files.content(upload.file.id).content == TRAINING


def test_upload_refuses_wrong_sizes_checksums_and_cancelled_uploads(client):
    upload = client.uploads.create(filename="t.jsonl", purpose="fine-tune", bytes=10, mime_type="text/jsonl")
    part = client.uploads.parts.create(upload.id, data=b"12345")
    with pytest.raises(openai.BadRequestError, match="declared 10 bytes"):
        client.uploads.complete(upload.id, part_ids=[part.id])
    second = client.uploads.parts.create(upload.id, data=b"67890")
    with pytest.raises(openai.BadRequestError) as bad_md5:
        client.uploads.complete(upload.id, part_ids=[part.id, second.id], md5="0" * 32)
    assert bad_md5.value.param == "md5"
    assert client.uploads.cancel(upload.id).status == "cancelled"
    with pytest.raises(openai.BadRequestError):
        client.uploads.complete(upload.id, part_ids=[part.id, second.id])


# -- fine-tuning jobs ---------------------------------------------------------------


def test_whole_workflow_from_upload_to_model_deletion(client, fake_openai):  # noqa: F811
    training, validation = upload_training(client), upload_training(client, name="valid.jsonl")
    job = client.fine_tuning.jobs.create(
        model=BASE_MODEL,
        training_file=training.id,
        validation_file=validation.id,
        suffix="demo",
        seed=7,
        metadata={"finetune-ls": "run-1"},
        method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 3}}},
    )
    assert (job.status, job.fine_tuned_model, job.seed, job.metadata) == (
        "validating_files",
        None,
        7,
        {"finetune-ls": "run-1"},
    )
    assert job.hyperparameters.n_epochs == 3 and job.method.supervised.hyperparameters.batch_size == "auto"

    seen = [client.fine_tuning.jobs.retrieve(job.id).status]
    while seen[-1] != "succeeded":
        fake_openai.advance(job.id)
        seen.append(client.fine_tuning.jobs.retrieve(job.id).status)
    assert seen == ["validating_files", "queued", "running", "running", "running", "succeeded"]

    done = client.fine_tuning.jobs.retrieve(job.id)
    assert done.fine_tuned_model == f"ft:{BASE_MODEL}:fake-org:demo:{done.fine_tuned_model.rsplit(':', 1)[-1]}"
    assert done.trained_tokens > 0 and done.finished_at and len(done.result_files) == 1
    results = client.files.retrieve(done.result_files[0])
    assert results.purpose == "fine-tune-results"
    assert (
        client.files.content(results.id).text.splitlines()[0]
        == "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy"
    )

    events = list(client.fine_tuning.jobs.list_events(job.id, limit=5))  # pages through all of them
    assert events[-1].message.startswith("Created fine-tuning job")  # newest first
    metrics = [event.data for event in reversed(events) if event.type == "metrics"]
    assert [data["step"] for data in metrics] == [1, 2, 3]
    assert {
        "step",
        "total_steps",
        "train_loss",
        "train_mean_token_accuracy",
        "valid_loss",
        "valid_mean_token_accuracy",
    } <= metrics[0].keys()
    assert "full_valid_loss" in metrics[-1] and metrics[0]["train_loss"] > metrics[-1]["train_loss"]

    checkpoints = client.fine_tuning.jobs.checkpoints.list(job.id)
    assert [checkpoint.step_number for checkpoint in checkpoints] == [3, 2, 1]
    assert checkpoints.data[0].fine_tuned_model_checkpoint == f"{done.fine_tuned_model}:ckpt-step-3"

    model_ids = [model.id for model in client.models.list()]
    assert BASE_MODEL in model_ids and done.fine_tuned_model in model_ids
    assert client.models.retrieve(done.fine_tuned_model).owned_by == done.organization_id

    fake_openai.set_answer(done.fine_tuned_model, "Paris, obviously.")
    chat = client.chat.completions.create(
        model=done.fine_tuned_model, messages=[{"role": "user", "content": "Capital of France?"}]
    )
    assert chat.choices[0].message.content == "Paris, obviously." and chat.usage.total_tokens > 0
    legacy = client.completions.create(model=done.fine_tuned_model, prompt="Capital of France ->")
    assert legacy.choices[0].text == "Paris, obviously."

    deleted = client.models.delete(done.fine_tuned_model)
    assert (deleted.id, deleted.object, deleted.deleted) == (done.fine_tuned_model, "model", True)
    with pytest.raises(openai.NotFoundError) as gone:
        client.chat.completions.create(model=done.fine_tuned_model, messages=[{"role": "user", "content": "hi"}])
    assert gone.value.code == "model_not_found"
    assert fake_openai.requests_to("POST /v1/fine_tuning/jobs")[0].json["metadata"] == {"finetune-ls": "run-1"}


def test_job_creation_errors(client):
    with pytest.raises(openai.BadRequestError) as unknown_file:
        client.fine_tuning.jobs.create(model=BASE_MODEL, training_file="file-missing")
    assert (unknown_file.value.type, unknown_file.value.param) == ("invalid_request_error", "training_file")
    training = upload_training(client)
    with pytest.raises(openai.BadRequestError) as unknown_model:
        client.fine_tuning.jobs.create(model="gpt-0", training_file=training.id)
    assert unknown_model.value.param == "model"
    with pytest.raises(openai.BadRequestError) as bad_epochs:
        client.fine_tuning.jobs.create(model=BASE_MODEL, training_file=training.id, hyperparameters={"n_epochs": 0})
    assert bad_epochs.value.param.endswith("n_epochs")


def test_legacy_hyperparameters_dpo_and_reinforcement_methods(client):
    training = upload_training(client)
    legacy = client.fine_tuning.jobs.create(
        model=BASE_MODEL, training_file=training.id, hyperparameters={"n_epochs": 2}
    )
    assert legacy.method.type == "supervised" and legacy.method.supervised.hyperparameters.n_epochs == 2
    assert legacy.hyperparameters.n_epochs == 2
    dpo = client.fine_tuning.jobs.create(
        model=BASE_MODEL, training_file=training.id, method={"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.1}}}
    )
    assert dpo.method.type == "dpo" and dpo.method.dpo.hyperparameters.beta == 0.1
    grader = {
        "type": "string_check",
        "name": "exact",
        "input": "{{ sample.output_text }}",
        "reference": "{{ item.answer }}",
    }
    rft = client.fine_tuning.jobs.create(
        model=BASE_MODEL,
        training_file=training.id,
        method={"type": "reinforcement", "reinforcement": {"grader": {**grader, "operation": "eq"}}},
    )
    assert rft.method.reinforcement.grader.name == "exact"
    assert rft.method.reinforcement.hyperparameters.reasoning_effort == "default"
    with pytest.raises(openai.BadRequestError) as no_grader:
        client.fine_tuning.jobs.create(model=BASE_MODEL, training_file=training.id, method={"type": "reinforcement"})
    assert no_grader.value.code == "missing_required_parameter"


def test_list_jobs_by_metadata_and_pages(client, fake_openai):  # noqa: F811
    training = upload_training(client)
    jobs = [
        client.fine_tuning.jobs.create(model=BASE_MODEL, training_file=training.id, metadata={"run": run})
        for run in "abc"
    ]
    untagged = client.fine_tuning.jobs.create(model=BASE_MODEL, training_file=training.id)

    assert [job.id for job in client.fine_tuning.jobs.list(metadata={"run": "b"})] == [jobs[1].id]
    assert fake_openai.requests[-1].query == {"metadata[run]": ["b"]}
    page = client.fine_tuning.jobs.list(limit=2)
    assert [job.id for job in page.data] == [untagged.id, jobs[2].id] and page.has_more
    assert [job.id for job in client.fine_tuning.jobs.list(limit=1)] == [
        untagged.id,
        *(job.id for job in reversed(jobs)),
    ]


def test_fail_cancel_pause_resume(client, fake_openai, wire):  # noqa: F811
    training = upload_training(client)
    failing = client.fine_tuning.jobs.create(model=BASE_MODEL, training_file=training.id)
    fake_openai.fail(
        failing.id, "Training file has 7 example(s), but must have at least 10 examples", code="invalid_n_examples"
    )
    failed = client.fine_tuning.jobs.retrieve(failing.id)
    assert (
        failed.status == "failed"
        and failed.error.code == "invalid_n_examples"
        and failed.error.param == "training_file"
    )
    assert client.fine_tuning.jobs.list_events(failing.id).data[0].level == "error"

    job = client.fine_tuning.jobs.create(model=BASE_MODEL, training_file=training.id)
    fake_openai.advance(job.id, to="running")
    # The live API answers "paused", which the SDK's status enum lacks: its
    # strict model refuses it, so clients must treat status as an open string.
    with pytest.raises(openai.APIResponseValidationError):
        client.fine_tuning.jobs.pause(job.id)
    with strict_client(fake_openai, wire, strict=False) as lenient:
        assert lenient.fine_tuning.jobs.retrieve(job.id).status == "paused"
    assert client.fine_tuning.jobs.resume(job.id).status == "running"
    assert client.fine_tuning.jobs.cancel(job.id).status == "cancelled"
    with pytest.raises(openai.BadRequestError):
        client.fine_tuning.jobs.cancel(job.id)
    with pytest.raises(openai.NotFoundError):
        client.fine_tuning.jobs.retrieve("ftjob-missing")


def test_auto_advance_moves_a_job_on_each_retrieve(wire):
    with FakeOpenAI(auto_advance=True) as fake, strict_client(fake, wire) as sdk:
        job = sdk.fine_tuning.jobs.create(model=BASE_MODEL, training_file=upload_training(sdk).id)
        statuses = [sdk.fine_tuning.jobs.retrieve(job.id).status for _ in range(6)]
        assert statuses == ["queued", "running", "running", "running", "succeeded", "succeeded"]


# -- models and inference ---------------------------------------------------------


def test_models_and_inference_errors(client):
    model = client.models.retrieve(BASE_MODEL)
    assert (model.owned_by, model.shutdown_date) == ("system", "2027-01-14")
    with pytest.raises(openai.NotFoundError) as unknown:
        client.models.delete("ft:nothing")
    assert unknown.value.code == "model_not_found"
    with pytest.raises(openai.PermissionDeniedError):
        client.models.delete(BASE_MODEL)
    with pytest.raises(openai.NotFoundError):
        client.completions.create(model="davinci-002", prompt="x")
    answer = client.chat.completions.create(model=BASE_MODEL, messages=[{"role": "user", "content": "hi"}])
    assert answer.choices[0].finish_reason == "stop" and answer.object == "chat.completion"


def test_unknown_route_is_an_openai_shaped_404(client):
    with pytest.raises(openai.NotFoundError) as error:
        client.get("/nope", cast_to=object)
    assert error.value.body["message"] == "Invalid URL (GET /v1/nope)"


# -- auth, faults and the request record ----------------------------------------


def test_wrong_key_is_refused_without_echoing_it(fake_openai, wire):  # noqa: F811
    with strict_client(fake_openai, wire, api_key="wrong-key-0123") as sdk:
        with pytest.raises(openai.AuthenticationError) as error:
            sdk.models.list()
    assert (error.value.code, error.value.type) == ("invalid_api_key", "invalid_request_error")
    assert b"wrong-key-0123" not in wire.bodies[-1]

    missing = httpx2.get(fake_openai.base_url + "/models")
    assert missing.status_code == 401 and missing.json()["error"]["type"] == "invalid_request_error"


def test_configured_keys_only():
    with FakeOpenAI(api_keys={"sk-only-this"}, accept_any_sk_key=False) as fake:
        with strict_client(fake, api_key="sk-only-this") as good, strict_client(fake, api_key=SENTINEL_KEY) as bad:
            good.models.list()
            with pytest.raises(openai.AuthenticationError):
                bad.models.list()


@pytest.mark.parametrize(
    ("status", "code", "error_class", "expected_code"),
    [
        (401, None, openai.AuthenticationError, "invalid_api_key"),
        (403, None, openai.PermissionDeniedError, "unsupported_country_region_territory"),
        (404, None, openai.NotFoundError, None),
        (429, None, openai.RateLimitError, "rate_limit_exceeded"),
        (429, "insufficient_quota", openai.RateLimitError, "insufficient_quota"),
        (500, None, openai.InternalServerError, None),
        (503, None, openai.InternalServerError, None),
    ],
)
def test_injected_failures_raise_the_matching_sdk_error(client, fake_openai, status, code, error_class, expected_code):  # noqa: F811
    fake_openai.fail_next("GET /models", status, code=code, times=2)
    for _ in range(2):
        with pytest.raises(error_class) as error:
            client.models.list()
        assert error.value.status_code == status and error.value.code == expected_code
    client.models.list()  # spent after `times`
    assert [request.status for request in fake_openai.requests] == [status, status, 200]


def test_rate_limit_with_retry_after(client, fake_openai):  # noqa: F811
    fake_openai.fail_next("/v1/fine_tuning/jobs", 429, headers={"retry-after": "2"})
    with pytest.raises(openai.RateLimitError) as error:
        client.fine_tuning.jobs.list()
    assert error.value.response.headers["retry-after"] == "2"
    assert error.value.type == "requests"


def test_delay_provokes_a_client_timeout_and_the_work_still_happens(client, fake_openai, wire):  # noqa: F811
    training = upload_training(client)
    fake_openai.delay_next("POST /v1/fine_tuning/jobs", 0.5)
    with pytest.raises(openai.APITimeoutError):
        client.with_options(timeout=0.1).fine_tuning.jobs.create(
            model=BASE_MODEL, training_file=training.id, metadata={"attempt": "1"}
        )
    # Like the live API, the server finishes the job it was given: a client
    # that retries blindly would create a duplicate, so it must reconcile.
    deadline = time.monotonic() + 5
    while not list(client.fine_tuning.jobs.list(metadata={"attempt": "1"})) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(list(client.fine_tuning.jobs.list(metadata={"attempt": "1"}))) == 1


def test_request_record_keeps_bodies_and_drops_credentials(client, fake_openai):  # noqa: F811
    training = upload_training(client)
    client.fine_tuning.jobs.create(model=BASE_MODEL, training_file=training.id, metadata={"tag": "x"})
    upload, create = fake_openai.requests
    assert upload.route == "POST /v1/files" and upload.form == {"purpose": "fine-tune"}
    assert upload.files["file"].filename == "train.jsonl" and upload.files["file"].size == len(TRAINING)
    assert create.json == {"model": BASE_MODEL, "training_file": training.id, "metadata": {"tag": "x"}}
    assert create.headers["authorization"] == "<redacted>" and create.status == 200


def test_sentinel_key_never_leaves_the_fake(client, fake_openai, wire, caplog):  # noqa: F811
    caplog.set_level(logging.DEBUG, logger="fake_openai")
    training = upload_training(client, data=TRAINING)
    # Even a client that puts the key where it does not belong gets it back redacted.
    job = client.fine_tuning.jobs.create(model=BASE_MODEL, training_file=training.id, metadata={"oops": SENTINEL_KEY})
    assert job.metadata == {"oops": "<redacted>"}
    fake_openai.advance(job.id, to="succeeded")
    client.fine_tuning.jobs.list_events(job.id)
    fake_openai.fail_next("/v1/models", 401)
    with pytest.raises(openai.AuthenticationError):
        client.models.list()
    with pytest.raises(openai.NotFoundError):
        client.get("/nope", cast_to=object)

    assert len(wire.bodies) >= 5
    assert not any(SENTINEL_KEY.encode() in body for body in wire.bodies)
    assert SENTINEL_KEY not in repr(fake_openai.requests)
    assert SENTINEL_KEY not in caplog.text and "POST /v1/fine_tuning/jobs" in caplog.text
