"""Open-weight targets in the editor, through a real client over stdio: the target setting
(workspace/didChangeConfiguration) re-checks the open file and the summary lens names the
model and the trainer; the Target lens, clicked with its one argument (the uri), asks
where the file will be trained and sets it for that file; hover names the chat template.

`test_hover_and_hints_say_which_chat_template_rendered_the_example` counts tokens, so it
needs core/template_tokens.py (the template helper's TemplateCounter)."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from helpers import ROOT
from lsp.conftest import SENTINEL_CACHE
from lsp.session import command, configure, diagnostics, open_document, start_in_workspace

pytestmark = pytest.mark.asyncio(loop_scope="function")
TOKENIZERS = Path(os.environ.get("FINETUNE_LS_TOKENIZERS", ROOT.parent / "shared" / "tokenizers"))
CHAT = '{"messages":[{"role":"user","content":"q%d"},{"role":"assistant","content":"a%d"}]}\n'
TEXT = "".join(CHAT % (i, i) for i in range(12))


@pytest_lsp.fixture(config=ClientServerConfig(
    server_command=[sys.executable, "-m", "finetune_ls", "serve"],
    # Offline and with an empty Hugging Face cache: the tokenizer comes only from what a test names.
    server_env={**os.environ, **SENTINEL_CACHE, "HF_HUB_OFFLINE": "1", "HF_HOME": "/tmp/finetune-ls-test-no-hf-home"}))
async def editor(lsp_client: LanguageClient, tmp_path):
    await start_in_workspace(lsp_client, tmp_path)
    yield
    await lsp_client.shutdown_session()


async def _titles(client: LanguageClient, uri: str) -> list[str]:
    lenses = await client.text_document_code_lens_async(types.CodeLensParams(types.TextDocumentIdentifier(uri)))
    return [lens.command.title for lens in lenses]


async def _titles_until(client: LanguageClient, uri: str, ready, timeout: float = 30) -> list[str]:
    """The lens titles, asked until `ready(titles)` (settings apply asynchronously)."""
    async with asyncio.timeout(timeout):
        while True:
            titles = await _titles(client, uri)
            if ready(titles):
                return titles
            await asyncio.sleep(0.1)


async def test_setting_the_target_rechecks_and_the_lens_names_model_and_trainer(editor):
    uri = await open_document(editor, "train.jsonl", TEXT)
    await diagnostics(editor, uri)
    titles = await _titles_until(editor, uri, lambda t: "Target: OpenAI" in t)
    assert "Model: gpt-4.1-mini" in titles
    configure(editor, target="trl", model="Qwen/Qwen3-8B")
    titles = await _titles_until(editor, uri, lambda t: "Target: TRL" in t)
    # TRL's SFTConfig max_length defaults to 1024 (trl/trainer/sft_config.py).
    assert titles[0].startswith("12 examples · ") and " · Qwen/Qwen3-8B on TRL · max_length 1024" in titles[0], titles
    assert "Model: Qwen/Qwen3-8B" in titles
    configure(editor, target="axolotl", model="Qwen/Qwen3-8B", maxSeqLength=2048)
    titles = await _titles_until(editor, uri, lambda t: "Target: axolotl" in t)
    assert " · Qwen/Qwen3-8B on axolotl · sequence_len 2048" in titles[0], titles
    summary = await editor.protocol.send_request_async("finetune/summary", {"uri": uri})
    assert (summary.target, summary.max_seq_length, summary.overflow) == ("axolotl", 2048, "drop")


async def test_a_wrong_target_setting_is_named_and_changes_nothing(editor):
    uri = await open_document(editor, "train.jsonl", TEXT)
    await diagnostics(editor, uri)
    configure(editor, target="llamafactory", trainOn="everything")
    async with asyncio.timeout(20):
        while len([m for m in editor.messages if "finetune.target" in m.message or "finetune.trainOn" in m.message]) < 2:
            await asyncio.sleep(0.05)
    assert "Target: OpenAI" in await _titles(editor, uri)


async def test_a_chat_template_setting_naming_no_file_is_named_and_changes_nothing(editor):
    """Reviewer, defect 4 (part of 8): as the CLI's usage error, a chatTemplate that is no file is a
    message naming the setting; the setting is left out (the tokenizer's own template is used)."""
    uri = await open_document(editor, "train.jsonl", TEXT)
    await diagnostics(editor, uri)
    missing = str(editor.work_dir / "nope.jinja")
    configure(editor, target="trl", chatTemplate=missing)
    async with asyncio.timeout(20):
        while not [m for m in editor.messages if "finetune.chatTemplate" in m.message]:
            await asyncio.sleep(0.05)
    message = next(m.message for m in editor.messages if "finetune.chatTemplate" in m.message)
    assert "nope.jinja' is not a file" in message
    await _titles_until(editor, uri, lambda t: any("TRL" in title for title in t))  # the target applied
    codes = {diagnostic.code for diagnostic in await diagnostics(editor, uri)}
    # The missing file is not handed to the check: it would say the tokenizer could not be read.
    assert "tokenizer-unavailable" not in codes and "chat-template-unusable" not in codes, codes


async def test_the_target_lens_clicked_with_its_one_argument_asks_and_sets_this_files_target(editor):
    configure(editor, model="Qwen/Qwen3-8B")
    uri = await open_document(editor, "train.jsonl", TEXT)
    other = await open_document(editor, "other.jsonl", TEXT)
    await diagnostics(editor, uri)
    lenses = await editor.text_document_code_lens_async(types.CodeLensParams(types.TextDocumentIdentifier(uri)))
    target_lens = next(lens.command for lens in lenses if lens.command.title.startswith("Target:"))
    assert target_lens.command == "finetune.selectTarget" and list(target_lens.arguments) == [uri]
    editor.answers.append("axolotl")
    answer = await command(editor, target_lens.command, *target_lens.arguments)
    assert answer == {"target": "axolotl"} and editor.asked == ["Where will this file be trained?"]
    titles = await _titles_until(editor, uri, lambda t: "Target: axolotl" in t)
    # axolotl's sequence_len defaults to 512 (src/axolotl/utils/schemas/config.py).
    assert " · Qwen/Qwen3-8B on axolotl · sequence_len 512" in titles[0], titles
    assert "Target: OpenAI" in await _titles(editor, other)  # only this file's target changed
    editor.asked.clear()
    assert await command(editor, "finetune.selectTarget", uri) is None  # the question dismissed: nothing changes
    assert len(editor.asked) == 1 and "Target: axolotl" in await _titles(editor, uri)


async def test_hover_and_hints_say_which_chat_template_rendered_the_example(editor, tmp_path):
    folder = tmp_path / "Qwen3-8B"
    shutil.copytree(TOKENIZERS / "qwen3", folder)
    uri = await open_document(editor, "train.jsonl", TEXT)
    await diagnostics(editor, uri)
    configure(editor, target="trl", model="Qwen/Qwen3-8B", tokenizer=str(folder))
    titles = await _titles_until(editor, uri, lambda t: "Target: TRL" in t and " tokens · " in t[0])
    assert " · Qwen/Qwen3-8B on TRL · max_length 1024" in titles[0], titles
    hover = await editor.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier(uri), types.Position(0, 5)))
    assert hover is not None, "no hover on an example"
    assert f"Rendered with `Qwen/Qwen3-8B`'s chat template (folder: `{folder}`), as TRL sees it" in hover.contents.value
    hints = await editor.text_document_inlay_hint_async(types.InlayHintParams(
        types.TextDocumentIdentifier(uri), types.Range(types.Position(0, 0), types.Position(12, 0))))
    assert len(hints) == 12 and all("Qwen/Qwen3-8B's chat template (folder" in hint.tooltip for hint in hints)


async def test_hover_names_who_refuses_an_example_as_the_diagnostic_does(editor, tmp_path):
    """A row whose `tools` is a string that is not JSON: TRL's tokenize_fn (json.loads) refuses it
    before the template runs, so the hover says TRL cannot prepare it, as the diagnostic does; a row
    the template itself refuses (Qwen3: a system content given as parts) still names the template."""
    folder = tmp_path / "Qwen3-8B"
    shutil.copytree(TOKENIZERS / "qwen3", folder)
    trainer_refuses = ('{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}],'
                       '"tools":"not json"}\n')
    template_refuses = ('{"messages":[{"role":"system","content":[{"type":"text","text":"Be brief."}]},'
                        '{"role":"user","content":"q"},{"role":"assistant","content":"a"}]}\n')
    uri = await open_document(editor, "train.jsonl", trainer_refuses + template_refuses + TEXT)
    await diagnostics(editor, uri)
    configure(editor, target="trl", model="Qwen/Qwen3-8B", tokenizer=str(folder))
    await _titles_until(editor, uri, lambda t: "Target: TRL" in t and " tokens · " in t[0])
    hovers = []
    for line in (0, 1):
        hover = await editor.text_document_hover_async(types.HoverParams(
            types.TextDocumentIdentifier(uri), types.Position(line, 5)))
        assert hover is not None, f"no hover on line {line + 1}"
        hovers.append(hover.contents.value)
    assert "TRL cannot prepare this example: tools is a string that is not JSON" in hovers[0], hovers[0]
    assert "The chat template refused this example" not in hovers[0], hovers[0]
    assert "The chat template refused this example: " in hovers[1], hovers[1]
