"""Azure's refusals in Azure's words, through the `finetune-ls` command against the fake in
Azure's shapes: a 403 names the roles Azure grants (not OpenAI's project and country
texts), a 5xx points at Azure's status page (not OpenAI's), and a model Azure no longer
trains is Azure's refusal (not OpenAI's wind-down and its 2027-01-06)."""

from __future__ import annotations

import json

import pytest

from azure_cli import CHAT, MODEL, AzureCli, one_sentence
from fake_openai import SENTINEL_KEY


@pytest.fixture
def cli(fake_openai, tmp_path):
    (tmp_path / "train.jsonl").write_text("".join(CHAT % (i, i) for i in range(12)), encoding="utf-8")
    run = AzureCli(fake_openai, tmp_path, None)
    yield run
    assert SENTINEL_KEY not in run.everything()


def _azure_error(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def test_a_403_names_azures_roles(cli, fake_openai):
    fake_openai.fail_next("GET /models", 403, _azure_error("PermissionDenied", "Principal does not have access."))
    sentence = one_sentence(cli("models", "list").stderr)
    assert "(403)" in sentence and "Cognitive Services OpenAI User" in sentence and "Azure OpenAI v1 API" in sentence
    assert "country" not in sentence and "project" not in sentence


def test_a_server_error_points_at_azures_status_page(cli, fake_openai):
    fake_openai.fail_next("GET /models", 503, _azure_error("ServiceUnavailable", "The service is busy."))
    sentence = one_sentence(cli("models", "list").stderr)
    assert "(503)" in sentence and "azure.status.microsoft" in sentence and "openai.com" not in sentence


def test_a_model_azure_no_longer_trains_is_azures_refusal(cli, fake_openai):
    file_id = json.loads(cli("files", "upload", "train.jsonl", "--json").stdout)["file"]["id"]
    fake_openai.fail_next("POST /fine_tuning/jobs", 400, _azure_error(
        "BadRequest", f"The base model {MODEL} is deprecated for fine-tuning."))
    sentence = one_sentence(cli("jobs", "create", file_id, "--model", MODEL, "--yes").stderr)
    assert "Azure OpenAI no longer fine-tunes" in sentence and "2027-01-06" not in sentence
    assert "wound down" not in sentence
