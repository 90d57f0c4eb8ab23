"""Cancelling an upload from the editor's progress notification: the upload stops between
parts, is cancelled on the server, and its id stays in the ledger."""

from __future__ import annotations

import asyncio
import json
import os
import sys

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from fake_openai import SENTINEL_KEY
from lsp.session import answer_refreshes, capabilities_of, open_document

pytestmark = pytest.mark.asyncio(loop_scope="function")
CHAT = '{"messages":[{"role":"user","content":"q%d"},{"role":"assistant","content":"a%d"}]}\n'


@pytest_lsp.fixture(config=ClientServerConfig(
    server_command=[sys.executable, "-m", "finetune_ls", "serve"],
    # Files over 200 bytes go to the Uploads API in 100-byte parts: many parts, so there is time to cancel.
    server_env={**{k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"},
                "FINETUNE_LS_FILES_API_LIMIT": "200", "FINETUNE_LS_UPLOAD_PART_BYTES": "100"}))
async def client(lsp_client: LanguageClient, tmp_path, fake_openai):
    answer_refreshes(lsp_client)
    lsp_client.initialize_result = await lsp_client.initialize_session(types.InitializeParams(
        capabilities=capabilities_of("visual-studio-code"), root_uri=tmp_path.as_uri(),
        initialization_options={"model": "gpt-4.1-mini-2025-04-14", "baseUrl": fake_openai.base_url}))
    lsp_client.work_dir = tmp_path
    yield
    await lsp_client.shutdown_session()


async def test_an_upload_cancelled_from_its_progress_stops_and_keeps_its_id(client, fake_openai):
    await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="finetune.setApiKey", arguments=[SENTINEL_KEY]))
    uri = await open_document(client, "train.jsonl", "".join(CHAT % (i, i) for i in range(40)))
    fake_openai.delay_next("POST /v1/uploads/", 0.2, times=100)  # each part takes a while
    running = asyncio.ensure_future(client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="finetune.upload", arguments=[uri])))
    for _ in range(200):
        begun = [token for token, reports in client.progress_reports.items()
                 if any(getattr(r, "kind", None) == "begin" and r.cancellable for r in reports)]
        if begun and len(fake_openai.requests_to("POST /v1/uploads/")) >= 2:
            break
        await asyncio.sleep(0.05)
    client.protocol.notify(types.WINDOW_WORK_DONE_PROGRESS_CANCEL, types.WorkDoneProgressCancelParams(token=begun[0]))
    result = await asyncio.wait_for(running, 30)
    assert "cancelled" in result["error"]
    parts = [r for r in fake_openai.requests_to("POST /v1/uploads/") if r.path.endswith("/parts")]
    assert 1 <= len(parts) < 24  # stopped well before the last of the file's ~32 parts
    assert fake_openai.requests_to("POST /v1/uploads/")[-1].path.endswith("/cancel")
    ledger = [json.loads(line) for line in (client.work_dir / ".finetune" / "ledger.jsonl").read_text().splitlines()]
    assert [entry["kind"] for entry in ledger] == ["upload", "upload-cancelled"]
