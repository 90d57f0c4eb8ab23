"""With provider azure, the language server prices a file by Azure's catalog and the
trainingType setting (the cost lens and finetune/summary), answers finetune.trainingTypes,
and offers Azure's models to train; each through a real client over stdio."""

from __future__ import annotations

import asyncio
import re

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp.conftest import server_config
from lsp.session import answer_refreshes, capabilities_of, command, diagnostics, open_document

pytestmark = pytest.mark.asyncio(loop_scope="function")
AZURE = {"model": "gpt-4.1-2025-04-14", "provider": "azure", "trainingType": "Developer", "epochs": 50}
# About 1,000 tokens an example: 12 examples x 50 epochs is 600k billed tokens.
LONG = "".join('{"messages":[{"role":"user","content":"Tell me %d"},{"role":"assistant","content":"%s"}]}\n'
               % (n, "word " * 1000) for n in range(12))


@pytest_lsp.fixture(config=server_config())
async def azure_client(lsp_client: LanguageClient, tmp_path):
    lsp_client.set_configuration(dict(AZURE), section="finetune")
    answer_refreshes(lsp_client)
    lsp_client.initialize_result = await lsp_client.initialize_session(types.InitializeParams(
        capabilities=capabilities_of("visual-studio-code"), root_uri=tmp_path.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=tmp_path.as_uri(), name="work")],
        initialization_options=dict(AZURE)))
    lsp_client.work_dir = tmp_path
    yield
    await lsp_client.shutdown_session()


def _configure(client: LanguageClient, **settings) -> None:
    client.set_configuration({**AZURE, **settings}, section="finetune")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"finetune": {**AZURE, **settings}}))


async def _summary_until(client: LanguageClient, uri: str, ready, timeout: float = 20):
    """finetune/summary, asked until `ready(summary)` (settings apply asynchronously)."""
    async with asyncio.timeout(timeout):
        while True:
            summary = await client.protocol.send_request_async("finetune/summary", {"uri": uri})
            if not getattr(summary, "loading", False) and ready(summary):
                return summary
            await asyncio.sleep(0.1)


async def test_the_cost_lens_shows_the_azure_training_type_and_its_price(azure_client):
    uri = await open_document(azure_client, "t.jsonl", LONG)
    await diagnostics(azure_client, uri)
    summary = await _summary_until(azure_client, uri, lambda s: s.training_type == "Developer")
    assert summary.price_per_1m_tokens == 1.0 and "unconfirmed" in summary.cost_note
    developer_cost = summary.estimated_cost_usd
    lenses = await azure_client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    title = lenses[0].command.title
    assert re.search(r"gpt-4\.1 × 50 epochs · Azure Developer ≈ \$\d+\.\d\d at \$1/1M \(unconfirmed\)", title), title

    _configure(azure_client, trainingType="GlobalStandard")
    summary = await _summary_until(azure_client, uri, lambda s: s.training_type == "GlobalStandard")
    assert summary.price_per_1m_tokens == 2.0
    assert summary.estimated_cost_usd == pytest.approx(2 * developer_cost, abs=0.01)

    _configure(azure_client, provider="openai", trainingType=None)
    summary = await _summary_until(azure_client, uri, lambda s: s.price_per_1m_tokens == 25.0)
    assert getattr(summary, "training_type", None) is None and "Azure" not in summary.line


async def test_training_types_of_a_model(azure_client):
    answer = await command(azure_client, "finetune.trainingTypes", {"model": "gpt-4.1"})
    assert answer["model"] == "gpt-4.1-2025-04-14"
    kinds = {kind["name"]: kind for kind in answer["trainingTypes"]}
    assert list(kinds) == ["Standard", "GlobalStandard", "Developer"]
    assert kinds["GlobalStandard"]["pricePer1m"] == 2.0 and kinds["Standard"]["pricePer1m"] is None
    assert kinds["Standard"]["regions"] == ["North Central US", "Sweden Central"]
    assert "Sweden Central" in kinds["GlobalStandard"]["regions"] and "unconfirmed" in kinds["GlobalStandard"]["note"]
    assert "unconfirmed" in answer["note"]

    qwen = await command(azure_client, "finetune.trainingTypes", "Qwen-32B")  # as a lens sends it: one argument
    assert [kind["name"] for kind in qwen["trainingTypes"]] == ["GlobalStandard"]
    unknown = await command(azure_client, "finetune.trainingTypes", {"model": "gpt-3.5-turbo-0125"})
    assert unknown["trainingTypes"] == [] and "not in the Azure OpenAI catalog" in unknown["note"]

    _configure(azure_client, provider="openai")
    async with asyncio.timeout(20):
        while (answer := await command(azure_client, "finetune.trainingTypes", {"model": "gpt-4.1"}))["trainingTypes"]:
            await asyncio.sleep(0.1)
    assert "Azure" in answer["note"]


async def test_trainable_models_are_azures(azure_client):
    # No endpoint and no key: the models come from the catalog, with a note saying why.
    answer = await command(azure_client, "finetune.trainableModels", {"format": "chat"})
    assert "Qwen-32B" in answer["models"] and "gpt-4o-mini-2024-07-18" in answer["models"]
    assert answer["note"]
