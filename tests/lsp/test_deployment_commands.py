"""Deployments on Azure from the editor: the language server over stdio (pytest-lsp), the
commands sent with one argument as a client sends them, against the fake OpenAI (Azure's
v1 API) and the fake management API, both signed in through the fake Entra ID with no key.
Upload, job, deploy (asked first, naming the SKU's cost and lifetime; progress until it
serves), Try Model and ghost text through the deployment, delete it (asked first), delete
the model; a refused deployment and a model without one each one message; neither the key
nor the token in any message, log or ledger line."""

from __future__ import annotations

import re
import sys

import httpx2 as httpx  # the openai SDK's transport (openai 3)
import pytest
import pytest_asyncio
from lsprotocol import types
from pytest_lsp import ClientServerConfig

from azure_cli import outside_removed
from fake_entra import SENTINEL_TOKEN_PREFIX, FakeEntra
from fake_openai import SENTINEL_KEY
from finetune_ls.api import deployments
from finetune_ls.api.entra import DATA_SCOPE
from finetune_ls.api.management import AzureResource
from finetune_ls.core.catalog import bundled_catalog
from lsp.session import (answer_questions, answer_refreshes, capabilities_of, command, diagnostics,
                         open_document, said_to)

pytestmark = pytest.mark.asyncio(loop_scope="function")
CHAT = '{"messages":[{"role":"user","content":"q%d"},{"role":"assistant","content":"a%d"}]}\n'
TEXT = "".join(CHAT % (i, i) for i in range(12))
MODEL = "gpt-4.1-mini-2025-04-14.ft-0123456789abcdef0123456789abcdef"


@pytest_asyncio.fixture(loop_scope="function")
async def client(tmp_path, fake_openai, fake_entra, fake_management):
    """A server started with this test's environment (the fake Entra's endpoint in it), set
    up for Azure as the VS Code client would."""
    env = outside_removed()
    env.update(FINETUNE_LS_FOLLOW_POLL="0.05", FINETUNE_LS_DEPLOY_POLL_SECONDS="0.01",
               FINETUNE_LS_DEPLOY_SETTLE_SECONDS="1")
    config = ClientServerConfig(server_command=[sys.executable, "-m", "finetune_ls", "serve", "--log-level", "debug"],
                                server_env=env)
    lsp_client = await config.start()
    answer_refreshes(lsp_client)
    answer_questions(lsp_client)

    fake_openai.accept_entra_token(FakeEntra.token_for(DATA_SCOPE))
    settings = {"model": "gpt-4.1-mini-2025-04-14", "provider": "azure", "azureEndpoint": fake_openai.root_url,
                "azureAuth": "entra", "apiTimeout": 10, **fake_management.settings()}
    lsp_client.initialize_result = await lsp_client.initialize_session(types.InitializeParams(
        capabilities=capabilities_of("visual-studio-code"), root_uri=tmp_path.as_uri(),
        initialization_options=settings))
    lsp_client.work_dir = tmp_path
    assert (await command(lsp_client, "finetune.setApiKey", None))["needsKey"] is False  # Entra: no key anywhere
    yield lsp_client
    await lsp_client.shutdown_session()
    await lsp_client.stop()
    ledger = tmp_path / ".finetune" / "ledger.jsonl"
    everything = said_to(lsp_client, lsp_client.asked) + (ledger.read_text() if ledger.exists() else "")
    assert SENTINEL_KEY not in everything and SENTINEL_TOKEN_PREFIX not in everything
    assert fake_management.requests and all(request.authorized for request in fake_management.requests)


def progress_messages(client) -> list[str]:
    return [report.message for reports in client.progress_reports.values() for report in reports
            if getattr(report, "message", None)]


async def test_upload_job_deploy_try_delete_from_the_editor(client, fake_openai, fake_management):
    uri = await open_document(client, "train.jsonl", TEXT)
    await diagnostics(client, uri)
    file_id = (await command(client, "finetune.upload", uri))["file"]["id"]
    client.answers.append("Start job")
    job_id = (await command(client, "finetune.createJob", {"trainingFile": file_id, "suffix": "demo"}))["job"]["id"]
    fake_openai.auto_advance = True
    model = (await command(client, "finetune.followJob", job_id))["fine_tuned_model"]
    assert re.fullmatch(r"gpt-4\.1-mini-2025-04-14\.ft-[0-9a-f]{32}", model), model  # Azure's id (providers.md §1.4)
    fake_openai.set_answer(model, "from the deployment")

    skus = (await command(client, "finetune.deployments.skus"))["skus"]
    assert [(s["name"], s["hourlyUsd"], s["lifetimeHours"]) for s in skus] == [
        ("Standard", 1.7, None), ("GlobalStandard", 1.7, None), ("Developer", 0, 24)]
    assert {s["priceAsOf"] for s in skus} == {"2026-03-19"}  # the date of Azure's cost page, with the fee

    client.answers.append("Cancel")
    assert await command(client, "finetune.deployments.create", model) == {"cancelled": True}
    assert "Developer" in client.asked[-1] and "no hosting fee" in client.asked[-1] and "24 hours" in client.asked[-1]
    assert f" as gpt-4-1-mini-2025-04-14-ft-{model[-32:][:12]} " in client.asked[-1]  # the default name
    assert not fake_management.requests_to("PUT")
    client.answers.append("Deploy")
    made = await command(client, "finetune.deployments.create", {"model": model, "name": "editor-ft",
                                                                  "sku": "Standard", "capacity": 2})
    assert "$1.70 per hour" in client.asked[-1] and "15 days without calls" in client.asked[-1]
    assert made == {"deployment": {"name": "editor-ft", "model": model, "sku": "Standard", "capacity": 2,
                                   "state": "Succeeded", "hourlyUsd": 1.7, "expires": None, "source": "azure"}}
    assert "Creating" in progress_messages(client)

    listed = await command(client, "finetune.deployments.list")
    assert listed["offline"] is False and [d["name"] for d in listed["deployments"]] == ["editor-ft"]
    offline = await command(client, "finetune.deployments.list", {"offline": True})
    assert [(d["name"], d["state"], d["source"]) for d in offline["deployments"]] == [("editor-ft", "Succeeded",
                                                                                      "ledger")]

    trial = await command(client, "finetune.tryModel", {"uri": uri, "line": 3, "model": model})
    assert trial["answer"] == "from the deployment" and trial["expected"] == "a3"
    sent = fake_openai.requests_to("POST /v1/chat/completions")[-1]
    assert sent.json["model"] == "editor-ft" and sent.wire_path == "/openai/v1/chat/completions"
    line = '{"messages":[{"role":"user","content":"Capital?"},{"role":"assistant","content":"'
    slot = await open_document(client, "slot.jsonl", line + "\n")
    ghost = await client.text_document_inline_completion_async(types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=slot), position=types.Position(0, len(line)),
        context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked)))
    assert [item.insert_text for item in ghost.items] == ["from the deployment"]  # the ledger's model, deployed

    client.answers.append("Cancel")
    assert await command(client, "finetune.deployments.delete", "editor-ft") == {"cancelled": True}
    assert "editor-ft" in client.asked[-1] and "$1.70 per hour" in client.asked[-1]
    client.answers.append("Delete editor-ft")
    assert await command(client, "finetune.deployments.delete", {"name": "editor-ft"}) == {"name": "editor-ft",
                                                                                          "deleted": True}
    client.answers.append(f"Delete {model}")
    assert (await command(client, "finetune.deleteModel", model))["deleted"] is True
    offline = await command(client, "finetune.deployments.list", {"offline": True})
    assert [(d["name"], d["state"]) for d in offline["deployments"]] == [("editor-ft", "deleted")]


async def test_a_refused_deployment_and_an_undeployed_model_are_one_message_each(client, fake_openai,
                                                                                fake_management):
    fake_management.refuse_next_put(409)
    client.answers.append("Deploy")
    refused = await command(client, "finetune.deployments.create", {"model": MODEL, "name": "no-quota-ft"})
    assert set(refused) == {"error"} and "no-quota-ft" in refused["error"] and "No quota" in refused["error"]
    assert any(m.message == f"finetune-ls: {refused['error']}" for m in client.messages)
    offline = await command(client, "finetune.deployments.list", {"offline": True})
    assert [(d["name"], d["state"]) for d in offline["deployments"]] == [("no-quota-ft", "refused")]

    uri = await open_document(client, "train.jsonl", TEXT)
    fake_openai.add_model(MODEL)
    untried = await command(client, "finetune.tryModel", {"uri": uri, "line": 0, "model": MODEL})
    assert set(untried) == {"error"} and f"deployments create {MODEL}" in untried["error"]
    assert not fake_openai.requests_to("POST /v1/chat/completions")  # nothing sent to a model never deployed

    fake_management.fail_provisioning("The model could not be loaded.")
    client.answers.append("Deploy")
    failed = await command(client, "finetune.deployments.create", {"model": MODEL, "name": "failing-ft"})
    assert "failing-ft" in failed["error"] and "ended Failed" in failed["error"]
    listed = await command(client, "finetune.deployments.list")
    assert [(d["name"], d["state"]) for d in listed["deployments"]] == [("failing-ft", "Failed")]


async def test_ghost_text_asks_azure_for_a_deployment_once_in_a_while(client, fake_management, fake_openai):
    """A model deployed from elsewhere (not in this workspace's ledger) is found through the
    management API, once: the keystrokes after it reuse the answer."""
    resource = AzureResource(fake_management.subscription, fake_management.resource_group, fake_management.account,
                             fake_management.endpoint)
    put = httpx.put(resource.deployments_url("elsewhere-ft"), params={"api-version": "2026-07-01"},
                    headers={"Authorization": f"Bearer {fake_management.expected_token}"}, timeout=10,
                    json=deployments.request_body(MODEL, bundled_catalog("azure").deployment_sku("Developer"), 50))
    assert put.status_code in (200, 201), put.text
    for _poll in range(10):  # until it serves, as a client waiting for it would see
        got = httpx.get(resource.deployments_url("elsewhere-ft"), params={"api-version": "2026-07-01"},
                        headers={"Authorization": f"Bearer {fake_management.expected_token}"}, timeout=10)
        if got.json()["properties"]["provisioningState"] == "Succeeded":
            break
    fake_openai.add_model(MODEL, owned_by="aoai-finetune")  # trained before, elsewhere
    fake_openai.set_answer(MODEL, "from elsewhere")
    as_you_type = {"inlineModel": MODEL, "inlineCompletion": "automatic"}
    client.set_configuration(as_you_type, section="finetune")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"finetune": as_you_type}))
    line = '{"messages":[{"role":"user","content":"Capital?"},{"role":"assistant","content":"'
    slot = await open_document(client, "slot.jsonl", line + "\n")
    listings_before = len([r for r in fake_management.requests
                           if r.method == "GET" and r.path.endswith("/deployments")])
    for _keystroke in range(3):
        ghost = await client.text_document_inline_completion_async(types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=slot), position=types.Position(0, len(line)),
            context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Automatic)))
        assert ghost is not None and [item.insert_text for item in ghost.items] == ["from elsewhere"], said_to(client)
    listings = [r for r in fake_management.requests if r.method == "GET" and r.path.endswith("/deployments")]
    assert len(listings) - listings_before == 1
    assert fake_openai.requests_to("POST /v1/chat/completions")[-1].json["model"] == "elsewhere-ft"
