"""The API layer's pieces that need no server: where the key comes from, that it never
shows, the one-sentence errors, and the ledger."""

from __future__ import annotations

import json

import httpx2 as httpx
import openai
import pytest

from finetune_ls.api.connection import ApiKey, MissingKey, Provider, resolve_key
from finetune_ls.api.errors import explain, redact
from finetune_ls.api.ledger import Ledger

SENTINEL = "sk-test-SENTINEL-0123456789"


def test_the_key_comes_from_the_editor_then_the_environment_then_the_key_file(tmp_path):
    key_file = tmp_path / "key.txt"
    key_file.write_text("\n  sk-from-file-123456  \n")
    provider = Provider(key_file=str(key_file))
    assert resolve_key(provider, "sk-editor-1234567", {"OPENAI_API_KEY": "sk-env-1234567"}).reveal() == "sk-editor-1234567"
    assert resolve_key(provider, None, {"OPENAI_API_KEY": "sk-env-1234567"}).reveal() == "sk-env-1234567"
    assert resolve_key(provider, None, {}).reveal() == "sk-from-file-123456"
    azure = Provider(kind="azure")
    assert resolve_key(azure, None, {"AZURE_OPENAI_API_KEY": "az-key", "OPENAI_API_KEY": "sk-x"}).reveal() == "az-key"
    with pytest.raises(MissingKey, match="OPENAI_API_KEY"):
        resolve_key(Provider(), None, {})
    with pytest.raises(MissingKey, match="could not be read"):
        resolve_key(Provider(key_file=str(tmp_path / "absent")), None, {})


def test_a_key_never_shows_in_its_text():
    key = ApiKey(SENTINEL, "OPENAI_API_KEY")
    assert SENTINEL not in repr(key) and SENTINEL not in str(key) and SENTINEL not in f"{key}"
    assert SENTINEL not in repr(Provider(key_file="k"))


def _status_error(status: int, body: dict, headers: dict | None = None) -> openai.APIStatusError:
    response = httpx.Response(status, headers=headers or {}, json={"error": body},
                              request=httpx.Request("POST", "http://127.0.0.1/v1/fine_tuning/jobs"))
    classes = {400: openai.BadRequestError, 401: openai.AuthenticationError, 403: openai.PermissionDeniedError,
               404: openai.NotFoundError, 429: openai.RateLimitError}
    cls = classes.get(status, openai.InternalServerError)
    return cls(f"Error code: {status}", response=response, body=body)


@pytest.mark.parametrize("status, body, headers, expected", [
    (401, {"message": f"Incorrect API key provided: {SENTINEL}.", "code": "invalid_api_key"}, None, "key was refused"),
    (403, {"message": "Country, region, or territory not supported", "code": "unsupported_country"}, None, "region"),
    (404, {"message": "No such File object: file-x", "code": None}, None, "Not found (404)"),
    (429, {"message": "You exceeded your current quota", "code": "insufficient_quota"}, None, "Out of credit"),
    (429, {"message": "Rate limit reached", "code": "rate_limit_exceeded"}, {"retry-after": "20"}, "wait 20 s"),
    (429, {"message": "Rate limit reached", "code": "rate_limit_exceeded"}, None, "wait a minute"),
    (500, {"message": "The server had an error", "code": None}, None, "server error (500)"),
    (400, {"message": "OpenAI is winding down the fine-tuning platform; your organization can no longer create "
                      "fine-tuning jobs.", "code": "invalid_request_error"}, None, "wound down"),
    (400, {"message": "training_file is required", "code": None}, None, "refused (400)"),
])
def test_each_failure_is_one_sentence_without_the_key(status, body, headers, expected):
    text = explain(_status_error(status, body, headers), "https://api.openai.com/v1", SENTINEL)
    assert expected in text and SENTINEL not in text and "\n" not in text


def test_timeouts_and_refused_connections_say_what_to_do():
    request = httpx.Request("GET", "http://127.0.0.1:9/v1/files")
    timeout = openai.APITimeoutError(request=request)
    assert "did not answer in time" in explain(timeout, "http://127.0.0.1:9/v1")
    refused = openai.APIConnectionError(request=request)
    refused.__cause__ = ConnectionRefusedError("[Errno 111] Connection refused")
    assert "connection refused" in explain(refused, "http://127.0.0.1:9/v1")


def test_anything_that_looks_like_a_key_is_redacted():
    assert redact(f"key {SENTINEL} and sk-proj-abcdefghijkl", None) == "key [redacted key] and [redacted key]"
    assert redact("secret: hunter2hunter2", "hunter2hunter2") == "secret: [redacted key]"


def test_the_ledger_keeps_every_id_on_disk_and_skips_a_damaged_line(tmp_path):
    ledger = Ledger(str(tmp_path))
    ledger.record("file", "file-1", path="/x/train.jsonl", bytes=10)
    with open(ledger.path, "a", encoding="utf-8") as handle:
        handle.write('{"kind": "job", "id": "ftjob-')  # a crash mid-write
        handle.write("\n")
    ledger.record("job", "ftjob-2", model="gpt-4.1-mini-2025-04-14")
    assert [entry["id"] for entry in ledger.entries()] == ["file-1", "ftjob-2"]
    assert ledger.latest("job")["model"] == "gpt-4.1-mini-2025-04-14"
    assert all(json.loads(line) for line in open(ledger.path, encoding="utf-8") if line.strip().endswith("}"))
