"""Upload reuses the file the ledger holds for the same content, from the editor, over
stdio with a real LSP client against the stateful fake: `finetune.upload` says `reused`
and when; `new` uploads again; `finetune.uploadedCopy` offers the copy to Start Job only
while the document is saved and the file is still there; `finetune.createJob` on the URI
trains on the copy, or on a new upload with `newUpload`."""

from __future__ import annotations

import json
import os
import sys

import pytest
import pytest_lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from fake_openai import SENTINEL_KEY
from lsp.session import answer_questions, answer_refreshes, command, initialize_against, open_document, \
    replace_all, said_to

pytestmark = pytest.mark.asyncio(loop_scope="function")
CHAT = '{"messages":[{"role":"user","content":"q%d"},{"role":"assistant","content":"a%d"}]}\n'
TEXT = "".join(CHAT % (i, i) for i in range(12))


@pytest_lsp.fixture(config=ClientServerConfig(
    server_command=[sys.executable, "-m", "finetune_ls", "serve"],
    server_env={k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}))
async def client(lsp_client: LanguageClient, tmp_path, fake_openai):
    answer_refreshes(lsp_client)
    answer_questions(lsp_client)
    lsp_client.initialize_result = await initialize_against(lsp_client, tmp_path, fake_openai)
    yield
    await lsp_client.shutdown_session()
    assert SENTINEL_KEY not in said_to(lsp_client, lsp_client.asked)


def uploads(fake_openai) -> list:
    return fake_openai.requests_to("POST /v1/files")


def ledger_files(client: LanguageClient) -> list[dict]:
    lines = (client.work_dir / ".finetune" / "ledger.jsonl").read_text(encoding="utf-8").splitlines()
    return [entry for entry in map(json.loads, lines) if entry["kind"] == "file"]


async def test_an_upload_of_the_same_content_is_the_file_uploaded_before(client, fake_openai):
    await command(client, "finetune.setApiKey", SENTINEL_KEY)
    uri = await open_document(client, "train.jsonl", TEXT)
    first = await command(client, "finetune.upload", uri)
    assert first["reused"] is False and "uploadedAt" not in first
    again = await command(client, "finetune.upload", {"uri": uri})
    assert again["reused"] is True and again["file"]["id"] == first["file"]["id"]
    assert again["uploadedAt"] == ledger_files(client)[0]["time"] and len(uploads(fake_openai)) == 1
    anew = await command(client, "finetune.upload", {"uri": uri, "new": True})
    assert anew["reused"] is False and anew["file"]["id"] != first["file"]["id"] and len(uploads(fake_openai)) == 2


async def test_the_uploaded_copy_is_offered_while_the_document_is_saved_and_the_file_is_there(client, fake_openai):
    await command(client, "finetune.setApiKey", SENTINEL_KEY)
    uri = await open_document(client, "train.jsonl", TEXT)
    assert await command(client, "finetune.uploadedCopy", uri) is None  # nothing uploaded yet
    file_id = (await command(client, "finetune.upload", uri))["file"]["id"]
    copy = await command(client, "finetune.uploadedCopy", {"uri": uri})
    assert copy == {"id": file_id, "filename": "train.jsonl", "bytes": len(TEXT.encode()),
                    "uploadedAt": ledger_files(client)[0]["time"]}
    replace_all(client, uri, 2, TEXT + CHAT % (99, 99))  # unsaved: the disk's copy is not what is shown
    assert await command(client, "finetune.uploadedCopy", uri) is None
    assert not [m for m in client.messages if "save" in m.message]  # asked quietly: nothing said
    replace_all(client, uri, 3, TEXT)
    assert (await command(client, "finetune.uploadedCopy", uri))["id"] == file_id
    fake_openai.set_file_status(file_id, "error", "Invalid file format.")
    assert await command(client, "finetune.uploadedCopy", uri) is None
    fake_openai.set_file_status(file_id, "processed")
    client.answers.append("Delete")
    assert (await command(client, "finetune.deleteFile", file_id))["deleted"] is True
    assert await command(client, "finetune.uploadedCopy", uri) is None


async def test_without_a_key_there_is_no_copy_to_offer_and_nothing_is_said(client, fake_openai):
    uri = await open_document(client, "train.jsonl", TEXT)
    await command(client, "finetune.setApiKey", SENTINEL_KEY)
    await command(client, "finetune.upload", uri)
    await command(client, "finetune.setApiKey", None)
    before = len(client.messages)
    assert await command(client, "finetune.uploadedCopy", uri) is None and len(client.messages) == before


async def test_a_job_on_the_document_trains_on_its_uploaded_copy_unless_asked_anew(client, fake_openai):
    await command(client, "finetune.setApiKey", SENTINEL_KEY)
    uri = await open_document(client, "train.jsonl", TEXT)
    file_id = (await command(client, "finetune.upload", uri))["file"]["id"]
    client.answers.append("Start job")
    reused = await command(client, "finetune.createJob", {"trainingFile": uri, "model": "gpt-4.1-mini-2025-04-14"})
    assert reused["job"]["training_file"] == file_id and len(uploads(fake_openai)) == 1
    assert "12 examples" in client.asked[-1]  # the estimate from the local file
    client.answers.append("Start job")
    anew = await command(client, "finetune.createJob", {"trainingFile": uri, "model": "gpt-4.1-mini-2025-04-14",
                                                        "newUpload": True})
    assert anew["job"]["training_file"] != file_id and len(uploads(fake_openai)) == 2
    client.answers.append("Start job")
    by_id = await command(client, "finetune.createJob", {"trainingFile": file_id, "model": "gpt-4.1-mini-2025-04-14"})
    assert by_id["job"]["training_file"] == file_id and "12 examples" in client.asked[-1]
