"""Azure OpenAI through the `finetune-ls` command (a subprocess) against the fake served in
Azure's shapes: the v1 API by default with a key (in `api-key` and as the bearer), the
dated api-version paths when one is asked for, Microsoft Entra ID through the real
azure-identity (the fake managed-identity endpoint) with no key anywhere; each failure
(an expired token, a refused sign-in, the missing extra, Azure's error codes) one
sentence that names which API was called; the key and the token nowhere in the output."""

from __future__ import annotations

import json

import pytest

import without_azure_identity
from azure_cli import CHAT, MODEL, AzureCli, one_sentence
from fake_openai import SENTINEL_KEY
from fake_openai import azure as fake_azure
from finetune_ls.api.entra import DATA_SCOPE


@pytest.fixture
def workspace(tmp_path):
    (tmp_path / "train.jsonl").write_text("".join(CHAT % (i, i) for i in range(12)), encoding="utf-8")
    return tmp_path


@pytest.fixture
def cli(fake_openai, workspace, fake_entra):
    run = AzureCli(fake_openai, workspace, fake_entra.token_for(DATA_SCOPE))
    yield run
    everything = run.everything()
    assert run.outputs and SENTINEL_KEY not in everything and run.entra_token not in everything
    assert "ENTRA-SENTINEL" not in everything and "Traceback" not in everything


def test_key_on_the_v1_api_by_default(cli, fake_openai):
    uploaded = cli("files", "upload", "train.jsonl", "--json")
    assert uploaded.returncode == 0, uploaded.stderr
    sent = fake_openai.requests[-1]
    assert sent.wire_path.startswith("/openai/v1/") and "api-version" not in sent.query
    # The key both ways Microsoft documents for v1: `api-key` (REST) and the bearer (its Python example).
    assert sent.headers.get("api-key") == "<redacted>" and sent.headers.get("authorization") == "<redacted>"
    # The endpoint as the portal shows it for v1 (with /openai/v1/) is the same endpoint.
    listed = cli("files", "list", "--json", endpoint=fake_openai.azure_v1_url + "/")
    assert listed.returncode == 0, listed.stderr
    assert fake_openai.requests[-1].wire_path == "/openai/v1/files"
    assert [f["id"] for f in json.loads(listed.stdout)] == [json.loads(uploaded.stdout)["file"]["id"]]


def test_inference_on_v1_names_the_deployment_as_the_model(cli, fake_openai):
    fake_openai.add_model("ft-deployment-1")
    fake_openai.set_answer("ft-deployment-1", "from the deployment")
    model = f"ft:{MODEL}:org:demo:abc"
    trial = cli("complete", model, "train.jsonl", "--json", "--deployment", f"{model}=ft-deployment-1")
    assert trial.returncode == 0, trial.stderr
    sent = fake_openai.requests_to("POST /v1/chat/completions")[-1]
    assert sent.wire_path == "/openai/v1/chat/completions" and sent.json["model"] == "ft-deployment-1"
    assert json.loads(trial.stdout)["answer"] == "from the deployment"


@pytest.mark.parametrize("asked", ["flag", "environment"])
def test_key_on_the_dated_paths_when_an_api_version_is_asked_for(cli, fake_openai, asked):
    version = ("--api-version", "2024-10-21") if asked == "flag" else ()
    env = {"OPENAI_API_VERSION": "2024-10-21"} if asked == "environment" else {}
    listed = cli("files", "list", *version, env=env)
    assert listed.returncode == 0, listed.stderr
    sent = fake_openai.requests[-1]
    assert sent.wire_path == "/openai/files" and sent.query["api-version"] == ["2024-10-21"]
    assert sent.headers.get("api-key") == "<redacted>" and "authorization" not in sent.headers


def test_a_failure_says_which_api_it_called(cli, fake_openai):
    fake_openai.fail_next("GET /files", 503)
    on_v1 = one_sentence(cli("files", "list").stderr)
    assert f"Azure OpenAI v1 API at {fake_openai.root_url}/openai/v1 " in on_v1
    fake_openai.fail_next("GET /files", 503)
    dated = one_sentence(cli("files", "list", "--api-version", "2024-10-21").stderr)
    assert f"Azure OpenAI api-version 2024-10-21 at {fake_openai.root_url}/openai " in dated


def test_a_refused_key_is_azures_sentence(cli, fake_openai):
    fake_openai.accept_any_sk_key = False
    refused = one_sentence(cli("files", "list", key="not-this-resources-key").stderr)
    assert "Azure OpenAI key was refused" in refused and "AZURE_OPENAI_API_KEY" in refused
    assert "not-this-resources-key" not in cli.everything()


def test_entra_id_with_no_key_anywhere(cli, fake_openai, fake_entra):
    fake_openai.accept_entra_token(cli.entra_token)
    uploaded = cli("files", "upload", "train.jsonl", "--json", "--azure-auth", "entra", key=None)
    assert uploaded.returncode == 0, uploaded.stderr
    sent = fake_openai.requests[-1]
    assert sent.wire_path.startswith("/openai/v1/") and sent.headers.get("authorization") == "<redacted>"
    assert "api-key" not in sent.headers  # a token, not a key
    assert DATA_SCOPE.removesuffix("/.default") in fake_entra.requests  # the data plane's scope, from azure-identity
    dated = cli("files", "list", "--json", "--api-version", "2024-10-21", key=None,
                env={"FINETUNE_LS_AZURE_AUTH": "entra"})
    assert dated.returncode == 0, dated.stderr
    assert fake_openai.requests[-1].wire_path == "/openai/files"


def test_an_expired_token_is_one_sentence_asking_to_sign_in_again(cli, fake_openai, fake_entra):
    fake_openai.accept_entra_token(cli.entra_token)
    fake_entra.expire()  # azure-identity hands out what it is given...
    fake_openai.expire_entra_token(cli.entra_token)  # ...and Azure refuses it
    for version in ((), ("--api-version", "2025-04-01-preview")):
        done = cli("jobs", "list", "--azure-auth", "entra", *version, key=None)
        assert done.returncode == 1
        sentence = one_sentence(done.stderr)
        assert "token was refused" in sentence and "az login" in sentence and "(401)" in sentence


def test_a_refused_sign_in_is_one_sentence(cli, fake_entra):
    fake_entra.refuse("The identity has no access to this tenant.")
    done = cli("files", "list", "--azure-auth", "entra", key=None)
    assert done.returncode == 1
    sentence = one_sentence(done.stderr)
    assert "Microsoft Entra ID" in sentence and "az login" in sentence


def test_without_azure_identity_the_extra_is_named_in_one_sentence(cli, fake_openai):
    done = cli("files", "list", "--azure-auth", "entra", key=None, command=without_azure_identity.command())
    assert done.returncode == 1
    assert "pip install 'finetune-ls[azure]'" in one_sentence(done.stderr)
    assert not fake_openai.requests  # nothing was sent without a credential
    # The same wrapper leaves the key path working: only the extra is missing.
    with_key = cli("files", "list", command=without_azure_identity.command())
    assert with_key.returncode == 0, with_key.stderr


@pytest.mark.parametrize("code, says", [
    ("jsonlValidationFailed", "finetune-ls check"),
    ("quotaExceeded", "retrying now will not help"),
    ("invalidPayload", "region offers fine-tuning"),
])
def test_azures_error_codes_on_job_create_are_one_sentence(cli, fake_openai, code, says):
    uploaded = cli("files", "upload", "train.jsonl", "--json")
    file_id = json.loads(uploaded.stdout)["file"]["id"]
    fake_openai.fail_next("POST /fine_tuning/jobs", *fake_azure.error(code))
    done = cli("jobs", "create", file_id, "--model", MODEL, "--yes")
    assert done.returncode == 1
    sentence = one_sentence(done.stderr)
    assert code in sentence and says in sentence and "Azure said" in sentence


def test_a_missing_deployment_or_path_is_one_sentence(cli, fake_openai):
    fake_openai.fail_next("POST /chat/completions", *fake_azure.error("DeploymentNotFound"))
    model = f"ft:{MODEL}:org:demo:abc"
    missing = one_sentence(cli("complete", model, "train.jsonl", "--deployment", f"{model}=gone").stderr)
    assert "DeploymentNotFound" in missing and "--deployment" in missing
    fake_openai.fail_next("GET /models", *fake_azure.error("404"))
    elsewhere = one_sentence(cli("models", "list").stderr)
    assert "(404)" in elsewhere and "region" in elsewhere and "Azure OpenAI v1 API" in elsewhere


def test_a_token_or_key_echoed_back_is_redacted(cli, fake_openai):
    """A proxy's 401 quoting the Authorization header (as application/problem+json: the
    fake's own last-line redaction covers application/json answers only) ends in a
    sentence without the token or the key."""
    fake_openai.accept_entra_token(cli.entra_token)
    for key, extra in ((None, ("--azure-auth", "entra")), (SENTINEL_KEY, ())):
        secret = cli.entra_token if key is None else SENTINEL_KEY
        echo = json.dumps({"error": {"code": "401", "message": f"Rejected header Authorization: Bearer {secret}"}})
        fake_openai.answer_next("GET /files", echo.encode(), status=401, content_type="application/problem+json")
        done = cli("files", "list", *extra, key=key)
        sentence = one_sentence(done.stderr)
        assert done.returncode == 1 and "(401)" in sentence and "Rejected header Authorization" in sentence
        assert "[redacted" in sentence  # the echo reached the client, and is hidden
