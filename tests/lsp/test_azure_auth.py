"""Azure OpenAI from the editor, over stdio with a real LSP client, against the fake in
Azure's shapes: with azureAuth "entra" the server needs and asks for no key (the real
azure-identity signs in at the fake managed-identity endpoint) and the whole job loop
works (the training type, the estimated finish in the job status, the checkpoints, a
checkpoint copied); an expired token and the missing extra are one message each; a key
works on the v1 API; the key and the token appear in no message, log or notification."""

from __future__ import annotations

import sys

import pytest
from lsprotocol import types
from pytest_lsp import ClientServerConfig

import without_azure_identity
from azure_cli import outside_removed
from fake_openai import SENTINEL_KEY
from finetune_ls.api.entra import DATA_SCOPE
from lsp.session import answer_questions, answer_refreshes, capabilities_of, command, said_to

pytestmark = pytest.mark.asyncio(loop_scope="function")
CHAT = '{"messages":[{"role":"user","content":"q%d"},{"role":"assistant","content":"a%d"}]}\n'
MODEL = "gpt-4.1-mini-2025-04-14"
DESTINATION = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/other"


async def start(tmp_path, fake_openai, settings: dict, server_command: list[str] | None = None):
    """A session as VS Code would start it, with Azure settings. Started here rather than by
    a pytest-lsp fixture: the server must inherit the environment as it is once the test's
    fixtures have set it (the fake Entra endpoint), not as it was at import."""
    config = ClientServerConfig(
        server_command=server_command or [sys.executable, "-m", "finetune_ls", "serve", "--log-level", "debug"],
        server_env=outside_removed(FINETUNE_LS_FOLLOW_POLL="0.05"))
    client = await config.start()
    answer_refreshes(client)
    answer_questions(client)
    client.notes = []

    client.feature("finetune/jobStatus")(lambda params: client.notes.append(params))
    client.feature("finetune/jobMetrics")(lambda params: None)
    await client.initialize_session(types.InitializeParams(
        capabilities=capabilities_of("visual-studio-code"), root_uri=tmp_path.as_uri(),
        initialization_options={"model": MODEL, "provider": "azure", "azureEndpoint": fake_openai.root_url,
                                "apiTimeout": 5, **settings}))
    client.work_dir = tmp_path
    return client


def uploaded_file(fake_openai) -> str:
    """A training file already on the fake, by id (no local copy: no cost estimate)."""
    with fake_openai.state.lock:
        return fake_openai.state.add_file("train.jsonl", "fine-tune", CHAT.encode() * 12)["id"]


async def stop(client, *secrets: str) -> None:
    try:
        await client.shutdown_session()
    finally:
        await client.stop()
    ledger = client.work_dir / ".finetune" / "ledger.jsonl"
    everything = said_to(client, client.notes, client.asked) + (ledger.read_text() if ledger.exists() else "")
    for secret in (SENTINEL_KEY, "ENTRA-SENTINEL", *secrets):
        assert secret not in everything


async def test_entra_id_needs_no_key_and_runs_the_job_loop(tmp_path, fake_openai, fake_entra):
    token = fake_entra.token_for(DATA_SCOPE)
    fake_openai.accept_entra_token(token)
    (tmp_path / "train.jsonl").write_text("".join(CHAT % (i, i) for i in range(12)), encoding="utf-8")
    client = await start(tmp_path, fake_openai, {"azureAuth": "entra", "trainingType": "Developer"})
    try:
        assert (await command(client, "finetune.setApiKey", None)) == {"ok": True, "hasKey": False,
                                                                       "needsKey": False}
        uploaded = await command(client, "finetune.upload", (tmp_path / "train.jsonl").as_uri())
        assert "error" not in uploaded, uploaded
        sent = fake_openai.requests[-1]
        assert sent.wire_path.startswith("/openai/v1/") and "api-key" not in sent.headers
        client.answers.append("Start job")
        started = await command(client, "finetune.createJob", {"trainingFile": uploaded["file"]["id"]})
        assert "error" not in started, started
        assert "Developer" in client.asked[-1]  # the setting's training type, named in the confirmation
        assert fake_openai.requests_to("POST /v1/fine_tuning/jobs")[-1].json["trainingType"] == "Developer"
        job_id = started["job"]["id"]
        fake_openai.auto_advance = True
        ended = await command(client, "finetune.followJob", job_id)
        assert ended["status"] == "succeeded", ended
        running = [note for note in client.notes if note.status == "running"]
        assert running and running[0].estimatedFinish.startswith("20")
        checkpoints = await command(client, "finetune.jobCheckpoints", job_id)
        assert checkpoints and checkpoints[0]["fine_tuning_job_id"] == job_id
        copied = await command(client, "finetune.copyCheckpoint", {
            "job": job_id, "checkpoint": checkpoints[0]["id"], "destination": DESTINATION, "region": "eastus2"})
        assert copied["copiedAccountDetails"][0]["region"] == "eastus2", copied
    finally:
        await stop(client, token)


async def test_a_training_type_given_with_the_call_overrides_the_setting(tmp_path, fake_openai, fake_entra):
    fake_openai.accept_entra_token(fake_entra.token_for(DATA_SCOPE))
    client = await start(tmp_path, fake_openai, {"azureAuth": "entra", "trainingType": "Developer"})
    try:
        file_id = uploaded_file(fake_openai)
        client.answers.append("Start job")
        started = await command(client, "finetune.createJob", {"trainingFile": file_id, "trainingType": "Standard"})
        assert started["job"]["trainingType"] == "Standard", started
    finally:
        await stop(client, fake_entra.token_for(DATA_SCOPE))


async def test_an_expired_token_is_one_message_asking_to_sign_in_again(tmp_path, fake_openai, fake_entra):
    token = fake_entra.token_for(DATA_SCOPE)
    fake_openai.accept_entra_token(token)
    fake_entra.expire()
    fake_openai.expire_entra_token(token)
    client = await start(tmp_path, fake_openai, {"azureAuth": "entra"})
    try:
        failed = await command(client, "finetune.listJobs")
        assert "az login" in failed["error"] and "token was refused" in failed["error"]
        assert "Azure OpenAI v1 API at" in failed["error"]
        assert [m.message for m in client.messages] == [f"finetune-ls: {failed['error']}"]
    finally:
        await stop(client, token)


async def test_without_azure_identity_the_extra_is_named(tmp_path, fake_openai, fake_entra):
    client = await start(tmp_path, fake_openai, {"azureAuth": "entra"},
                         server_command=without_azure_identity.command("serve", "--log-level", "debug"))
    try:
        failed = await command(client, "finetune.listFiles")
        assert "pip install 'finetune-ls[azure]'" in failed["error"]
        assert not fake_openai.requests
        assert (await command(client, "finetune.setApiKey", None))["needsKey"] is False  # still serving
    finally:
        await stop(client)


async def test_a_key_on_the_v1_api(tmp_path, fake_openai):
    client = await start(tmp_path, fake_openai, {})
    try:
        assert (await command(client, "finetune.setApiKey", SENTINEL_KEY))["needsKey"] is True
        assert await command(client, "finetune.listFiles") == []
        sent = fake_openai.requests[-1]
        assert sent.wire_path == "/openai/v1/files" and sent.headers.get("api-key") == "<redacted>"
    finally:
        await stop(client)


async def test_a_training_type_is_refused_off_azure(tmp_path, fake_openai):
    client = await start(tmp_path, fake_openai, {"provider": "openai", "baseUrl": fake_openai.base_url,
                                                 "trainingType": "Developer"})
    try:
        await command(client, "finetune.setApiKey", SENTINEL_KEY)
        refused = await command(client, "finetune.createJob", {"trainingFile": "file-x", "trainingType": "Standard"})
        assert "Azure OpenAI choice" in refused["error"] and not fake_openai.requests
        client.answers.append("Cancel")  # the setting alone is Azure's default, not applied to OpenAI
        file_id = uploaded_file(fake_openai)
        declined = await command(client, "finetune.createJob", {"trainingFile": file_id})
        assert declined.get("cancelled") is True, declined
    finally:
        await stop(client)
