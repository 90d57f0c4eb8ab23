"""The fine-tuning loop as editor commands, over stdio with a real LSP client, against the
project's stateful fake OpenAI server: upload with progress, a job started after a
confirmation, followed with status and metrics notifications, the model tried on an
example and deleted after a confirmation naming it; failures as one message; the key in
no message, log or notification."""

from __future__ import annotations

import json
import os
import sys

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from fake_openai import SENTINEL_KEY
from lsp.session import (answer_questions, answer_refreshes, command, diagnostics, initialize_against,
                         open_document, said_to)

pytestmark = pytest.mark.asyncio(loop_scope="function")
CHAT = '{"messages":[{"role":"user","content":"q%d"},{"role":"assistant","content":"a%d"}]}\n'
TEXT = "".join(CHAT % (i, i) for i in range(12))


@pytest_lsp.fixture(config=ClientServerConfig(
    server_command=[sys.executable, "-m", "finetune_ls", "serve", "--log-level", "debug"],
    server_env={**{k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"},
                "FINETUNE_LS_FOLLOW_POLL": "0.05"}))
async def client(lsp_client: LanguageClient, tmp_path, fake_openai):
    answer_refreshes(lsp_client)
    answer_questions(lsp_client)
    lsp_client.notes = []

    for method in ("finetune/jobStatus", "finetune/jobMetrics"):
        lsp_client.feature(method)(lambda params, method=method: lsp_client.notes.append((method, params)))
    lsp_client.initialize_result = await initialize_against(lsp_client, tmp_path, fake_openai)
    yield
    await lsp_client.shutdown_session()
    ledger = tmp_path / ".finetune" / "ledger.jsonl"
    assert SENTINEL_KEY not in said_to(lsp_client, lsp_client.notes, lsp_client.asked) + (
        ledger.read_text() if ledger.exists() else "")


async def test_the_whole_loop_from_the_editor(client, fake_openai):
    assert (await command(client, "finetune.setApiKey", SENTINEL_KEY))["hasKey"] is True
    uri = await open_document(client, "train.jsonl", TEXT)
    await diagnostics(client, uri)
    uploaded = await command(client, "finetune.upload", uri)
    file_id = uploaded["file"]["id"]
    kinds = [r.kind for reports in client.progress_reports.values() for r in reports]
    assert "begin" in kinds and "end" in kinds
    client.answers.append("Cancel")
    declined = await command(client, "finetune.createJob", {"trainingFile": file_id, "suffix": "demo"})
    assert declined["cancelled"] is True and not fake_openai.requests_to("POST /v1/fine_tuning/jobs")
    assert "12 examples" in client.asked[-1] and "$" in client.asked[-1]  # the estimate, from the ledger's path
    client.answers.append("Start job")
    started = await command(client, "finetune.createJob", {"trainingFile": file_id, "suffix": "demo",
                                                            "hyperparameters": {"n_epochs": 2}})
    job_id = started["job"]["id"]
    fake_openai.auto_advance = True  # one step per poll
    ended = await command(client, "finetune.followJob", job_id)
    assert ended["status"] == "succeeded"
    statuses = [params.status for method, params in client.notes if method == "finetune/jobStatus"]
    assert statuses[0] != "succeeded" and statuses[-1] == "succeeded"
    steps = [params.step for method, params in client.notes if method == "finetune/jobMetrics"]
    assert steps and steps == sorted(steps)
    model = ended["fine_tuned_model"]
    assert [m["id"] for m in await command(client, "finetune.listModels")] == [model]
    trial = await command(client, "finetune.tryModel", uri, 3, model)
    assert trial["expected"] == "a3" and trial["answer"]
    client.answers.append("Cancel")
    kept = await command(client, "finetune.deleteModel", model)
    assert kept["deleted"] is False and model in client.asked[-1]
    client.answers.append(f"Delete {model}")
    assert (await command(client, "finetune.deleteModel", model))["deleted"] is True
    ledger = [json.loads(line) for line in (client.work_dir / ".finetune" / "ledger.jsonl").read_text().splitlines()]
    assert {("file", file_id), ("job", job_id), ("model", model), ("model-deleted", model)} <= \
        {(entry["kind"], entry["id"]) for entry in ledger}


async def test_failures_are_one_message_and_ids_are_kept(client, fake_openai):
    missing = await command(client, "finetune.listJobs")
    assert "No API key" in missing["error"], missing
    await command(client, "finetune.setApiKey", SENTINEL_KEY)
    fake_openai.fail_next("GET /v1/fine_tuning/jobs", 429, code="insufficient_quota", times=3)  # the SDK retries twice
    assert "Out of credit" in (await command(client, "finetune.listJobs"))["error"]
    assert any("Out of credit" in m.message for m in client.messages)
    broken = await open_document(client, "broken.jsonl", '{"messages":[{"role":"bot","content":"x"}]}\n' * 12)
    refused = await command(client, "finetune.upload", broken)
    assert "error" in refused["error"] and not fake_openai.requests_to("POST /v1/files")
    old = await command(client, "finetune.createJob", {"trainingFile": "file-x", "model": "gpt-3.5-turbo-0125"})
    assert "can no longer be fine-tuned" in old["error"]


async def test_the_models_a_job_can_start_on(client, fake_openai):
    offline = await command(client, "finetune.trainableModels", {"format": "chat"})
    assert "No API key" in offline["note"] and "gpt-4.1-mini-2025-04-14" in offline["models"]
    assert "gpt-3.5-turbo-0125" not in offline["models"]  # its training ended
    await command(client, "finetune.setApiKey", SENTINEL_KEY)
    online = await command(client, "finetune.trainableModels", {"format": "chat"})
    assert set(online["models"]) <= set(offline["models"]) and "gpt-4.1-mini-2025-04-14" in online["models"]
    assert await command(client, "finetune.trainableModels", {"format": "prompt-completion"}) == {"models": []}  # babbage-002 and davinci-002 are gone


async def test_a_key_in_the_settings_is_refused_and_not_repeated(client):
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"finetune": {"apiKey": SENTINEL_KEY}}))
    for _ in range(50):
        if any("not a setting" in m.message for m in client.messages):
            break
        await __import__("asyncio").sleep(0.05)
    assert any("not a setting" in m.message for m in client.messages)


async def test_ghost_text_from_the_fine_tuned_model_in_an_assistant_slot(client, fake_openai):
    await command(client, "finetune.setApiKey", SENTINEL_KEY)
    model = "ft:gpt-4.1-mini-2025-04-14:fake-org:demo:abc"
    fake_openai.add_model(model, owned_by="fake-org")
    fake_openai.set_answer(model, 'Paris, "of course".')
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"finetune": {"model": "gpt-4.1-mini-2025-04-14", "baseUrl": fake_openai.base_url,
                               "inlineModel": model}}))
    line = '{"messages":[{"role":"user","content":"Capital of France?"},{"role":"assistant","content":"Par'
    uri = await open_document(client, "t.jsonl", line + "\n")
    at = types.Position(0, len(line))

    async def ask(kind):
        return await client.text_document_inline_completion_async(types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=at,
            context=types.InlineCompletionContext(trigger_kind=kind)))

    assert await ask(types.InlineCompletionTriggerKind.Automatic) is None  # only when asked for, by default
    assert not fake_openai.requests_to("POST /v1/chat/completions")
    offered = await ask(types.InlineCompletionTriggerKind.Invoked)
    [item] = offered.items
    assert item.insert_text == 'Paris, \\"of course\\".' and item.filter_text == "Par"
    assert (item.range.start.character, item.range.end.character) == (len(line) - 3, len(line))
    assert "$" in item.command.title and "tokens" in item.command.title
    sent = fake_openai.requests_to("POST /v1/chat/completions")[-1].json
    assert sent["model"] == model and sent["messages"] == [{"role": "user", "content": "Capital of France?"}]
    elsewhere = await client.text_document_inline_completion_async(types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(0, 20),
        context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked)))
    assert elsewhere is None  # in the user's content: nothing to suggest


async def test_a_timeout_and_a_refused_connection_are_one_message_each(client, fake_openai):
    await command(client, "finetune.setApiKey", SENTINEL_KEY)
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"finetune": {"model": "gpt-4.1-mini-2025-04-14", "baseUrl": fake_openai.base_url,
                               "apiTimeout": 0.3}}))
    fake_openai.delay_next("GET /v1/files", 2.0, times=3)  # the SDK retries a time-out twice
    slow = await command(client, "finetune.listFiles")
    assert "did not answer in time" in slow["error"]
    fake_openai.stop()
    refused = await command(client, "finetune.listModels")
    assert "Could not connect" in refused["error"] and "connection refused" in refused["error"]
    assert [m.message for m in client.messages if m.type == types.MessageType.Error][-2:] == \
        ["finetune-ls: " + slow["error"], "finetune-ls: " + refused["error"]]
