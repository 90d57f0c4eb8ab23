"""The editor's side of issue 13's ledger items, over stdio with a real LSP client against
the stateful fake OpenAI server: an unwritable ledger stops a paid call before it is made,
an id the ledger could not take is still reported, two jobs made for one request are both
reported, and malformed API answers are one message (never a -32603 with a traceback)."""

from __future__ import annotations

import asyncio
import os
import sys
import time

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from fake_openai import SENTINEL_KEY
from lsp.session import answer_questions, answer_refreshes, command, initialize_against, open_document, said_to

pytestmark = pytest.mark.asyncio(loop_scope="function")
CHAT = '{"messages":[{"role":"user","content":"q%d"},{"role":"assistant","content":"a%d"}]}\n'
TEXT = "".join(CHAT % (i, i) for i in range(12))
MODEL = "gpt-4.1-mini-2025-04-14"


@pytest_lsp.fixture(config=ClientServerConfig(
    server_command=[sys.executable, "-m", "finetune_ls", "serve", "--log-level", "debug"],
    server_env={**{k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"},
                "FINETUNE_LS_CREATE_SETTLE_SECONDS": "0.3"}))
async def client(lsp_client: LanguageClient, tmp_path, fake_openai):
    answer_refreshes(lsp_client)
    answer_questions(lsp_client)

    await initialize_against(lsp_client, tmp_path, fake_openai, MODEL)
    await command(lsp_client, "finetune.setApiKey", SENTINEL_KEY)
    yield
    await lsp_client.shutdown_session()
    ledger = tmp_path / ".finetune" / "ledger.jsonl"
    assert SENTINEL_KEY not in said_to(lsp_client) + (ledger.read_bytes().decode("utf-8", "replace")
                                                      if ledger.is_file() else "")


def shown(client: LanguageClient, kind: types.MessageType) -> list[str]:
    return [m.message for m in client.messages if m.type == kind]


async def test_an_unwritable_ledger_stops_the_upload_and_the_job_before_they_are_made(client, fake_openai):
    (client.work_dir / ".finetune" / "ledger.jsonl").mkdir(parents=True)
    uri = await open_document(client, "train.jsonl", TEXT)
    refused = await command(client, "finetune.upload", uri)
    assert "cannot be written" in refused["error"] and "nothing was uploaded" in refused["error"]
    assert not fake_openai.requests_to("POST /v1/files")
    client.answers.append("Start job")
    job = await command(client, "finetune.createJob", {"trainingFile": "file-abc"})
    assert "ledger" in job["error"] and not fake_openai.requests_to("POST /v1/fine_tuning/jobs")


async def test_an_id_the_ledger_could_not_take_after_the_upload_is_still_reported(client, fake_openai):
    uri = await open_document(client, "train.jsonl", TEXT)
    gate = fake_openai.hold_next("POST /v1/files")
    upload = asyncio.ensure_future(command(client, "finetune.upload", uri))
    try:
        deadline = time.monotonic() + 60
        while not fake_openai.requests_to("POST /v1/files") and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        ledger = client.work_dir / ".finetune" / "ledger.jsonl"
        if ledger.exists():  # made by the check before the call
            ledger.unlink()
        ledger.mkdir(parents=True)
    finally:
        gate.set()
    result = await asyncio.wait_for(upload, 60)
    file_id = result["file"]["id"]
    assert [file_id] == list(fake_openai.state.files)
    warnings = shown(client, types.MessageType.Warning)
    assert any(f"{file_id} (file) was made but could not be recorded in {ledger}" in w for w in warnings), warnings


async def test_two_jobs_made_for_one_request_are_both_reported(client, fake_openai):
    uri = await open_document(client, "train.jsonl", TEXT)
    file_id = (await command(client, "finetune.upload", uri))["file"]["id"]
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"finetune": {"model": MODEL, "baseUrl": fake_openai.base_url, "apiTimeout": 1}}))
    fake_openai.land_late_next("POST /v1/fine_tuning/jobs", hold_seconds=5.0)
    client.answers.append("Start job")
    started = await command(client, "finetune.createJob", {"trainingFile": file_id})
    assert "error" not in started, started
    both = [started["job"]["id"]] + [job["id"] for job in started["duplicates"]]
    assert sorted(both) == sorted(fake_openai.state.jobs)
    assert any(all(job_id in w for job_id in both) for w in shown(client, types.MessageType.Warning))
    ledger = (client.work_dir / ".finetune" / "ledger.jsonl").read_text(encoding="utf-8")
    assert all(f'"id": "{job_id}"' in ledger for job_id in both)


@pytest.mark.parametrize("name, route, body, expected", [
    ("finetune.listJobs", "GET /v1/fine_tuning/jobs", {"object": "list", "data": None}, "has no list of items"),
    ("finetune.listModels", "GET /v1/models", [], "is not a JSON object but a list"),
    ("finetune.trainableModels", "GET /v1/models", {"data": None}, "has no list of items"),
    ("finetune.listFiles", "GET /v1/files", b"<html>Sign in</html>", "is not JSON"),
])
async def test_a_malformed_answer_is_one_message(client, fake_openai, name, route, body, expected):
    fake_openai.answer_next(route, body)
    result = await command(client, name)  # a -32603 would raise here
    message = result.get("note") or result.get("error")
    assert expected in message and "OpenAI-compatible" in message


async def test_a_create_answered_without_an_id_is_one_message_and_no_null_id(client, fake_openai):
    uri = await open_document(client, "train.jsonl", TEXT)
    file_id = (await command(client, "finetune.upload", uri))["file"]["id"]
    fake_openai.answer_next("POST /v1/fine_tuning/jobs", {"object": "fine_tuning.job", "status": "queued"})
    client.answers.append("Start job")
    result = await command(client, "finetune.createJob", {"trainingFile": file_id})
    assert "has no id" in result["error"] and "may have been made" in result["error"]
    ledger = (client.work_dir / ".finetune" / "ledger.jsonl").read_text(encoding="utf-8")
    assert '"kind": "job",' not in ledger and "null" not in ledger


async def test_a_damaged_ledger_line_is_skipped_and_named_once(client, fake_openai):
    ledger = client.work_dir / ".finetune" / "ledger.jsonl"
    ledger.parent.mkdir()
    ledger.write_bytes(b'{"id": "ftjob-a", "kind": "job"}\n{"id": "ftjob-\xff", "kind": "job"}\n'
                       b'{"id": "ftjob-b", "kind": "job"}\n{"id": "ftjob-cut", "ki')  # a bad byte, a cut-off end
    for _ in range(2):
        fake_openai.fail_next("GET /v1/fine_tuning/jobs", 401)
        offline = await command(client, "finetune.listJobs")  # the API refuses: the ledger answers
        assert "key was refused" in offline["error"]
        assert [entry["id"] for entry in offline["ledger"]] == ["ftjob-a", "ftjob-b"]
    named = [w for w in shown(client, types.MessageType.Warning) if "damaged lines 2, 4 of" in w]
    assert len(named) == 1 and str(ledger) in named[0]
