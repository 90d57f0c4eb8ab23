"""The README's open-weight editor settings (its ```jsonc blocks), sent as they are to the
language server through a real client over stdio: each one re-checks the open file, the summary
lens names the model, the trainer and its length setting, and the tokenizer is found (the TRL
block: the bundled Qwen3; the axolotl block: the `~/models/...` folder it names, made in the
server's home from the offline copy of Llama 3's tokenizer). A README block edited is a block tested."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from helpers import ROOT
from lsp.conftest import SENTINEL_CACHE
from lsp.session import configure, diagnostics, open_document, start_in_workspace
from readme_blocks import editor_settings

pytestmark = pytest.mark.asyncio(loop_scope="function")
TITLE = "Open-weight models (Together, TRL, axolotl, Unsloth)"
TOKENIZERS = Path(os.environ.get("FINETUNE_LS_TOKENIZERS", ROOT.parent / "shared" / "tokenizers"))
HOME = Path(tempfile.mkdtemp(prefix="finetune-ls-readme-home-"))  # the server's ~, filled by the test
CHAT = '{"messages":[{"role":"user","content":"q%d"},{"role":"assistant","content":"a%d"}]}\n'
TEXT = "".join(CHAT % (i, i) for i in range(12))


@pytest_lsp.fixture(config=ClientServerConfig(
    server_command=[sys.executable, "-m", "finetune_ls", "serve"],
    server_env={**os.environ, **SENTINEL_CACHE, "HOME": str(HOME), "HF_HUB_OFFLINE": "1",
                "HF_HOME": str(HOME / "hf")}))
async def editor(lsp_client: LanguageClient, tmp_path):
    await start_in_workspace(lsp_client, tmp_path)
    yield
    await lsp_client.shutdown_session()


async def _summary_lens(client: LanguageClient, uri: str, wanted: str, timeout: float = 60) -> str:
    async with asyncio.timeout(timeout):
        while True:
            lenses = await client.text_document_code_lens_async(types.CodeLensParams(types.TextDocumentIdentifier(uri)))
            titles = [lens.command.title for lens in lenses]
            if titles and wanted in titles[0] and " tokens · " in titles[0]:
                return titles[0]
            await asyncio.sleep(0.1)


async def test_the_readme_editor_settings_work_as_written(editor):
    shutil.copytree(TOKENIZERS / "llama3_1", HOME / "models" / "Llama-3.1-8B-Instruct", dirs_exist_ok=True)
    trl, axolotl = editor_settings(TITLE)
    uri = await open_document(editor, "train.jsonl", TEXT)
    await diagnostics(editor, uri)
    for settings, wanted in ((trl, "Qwen/Qwen3-8B on TRL · max_length 2048"),
                             (axolotl, "meta-llama/Llama-3.1-8B-Instruct on axolotl · sequence_len 4096")):
        configure(editor, **settings)
        await _summary_lens(editor, uri, wanted)
        found = {d.code for d in await diagnostics(editor, uri)}
        assert "tokenizer-unavailable" not in found and "internal-error" not in found, found
    summary = await editor.protocol.send_request_async("finetune/summary", {"uri": uri})
    assert summary.tokenizer.source == "folder"
    assert summary.tokenizer.where == str(HOME / "models" / "Llama-3.1-8B-Instruct")
    assert (summary.packing, summary.overflow) == (True, "drop")
