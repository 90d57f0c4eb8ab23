"""The server on real and hostile files under random edits: it answers every request,
and once it has settled its diagnostics are what the checker reports for the same text."""

from __future__ import annotations

import asyncio
import os
import random
import sys

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from finetune_ls.core.engine import CheckSettings, check_text
from finetune_ls.core.lines import split_lines
from helpers import CORPUS
from lsp.session import answer_refreshes, capabilities_of, apply_text_edits

pytestmark = pytest.mark.asyncio(loop_scope="function")
HOSTILE = [
    "\x00\x01\x02 binary",
    '{"messages":[{"role":"user","content":"\\ud800"},{"role":"assistant","content":"x"}]}\n' * 3,
    '{"messages":[{"role":"user","content":"a\u2028b\u2029c\x85"},{"role":"assistant","content":"ok"}]}\r\n' * 4,
    "\ufeff" + '{"prompt":"x","completion":" y"}\n' * 3,
    "[" * 3000 + "]" * 3000 + "\n",
    '{"messages":[{"role":"user","content":"' + "é😀" * 50_000 + '"}]}\n',
    "{\n  \"messages\": [\n    {\"role\": \"user\", \"content\": \"hi\"},\n    {\"role\": \"assistant\", \"content\": \"yo\"}\n  ]\n}\n",
    "\r\r\n\n\r",
    "".join(chr(random.Random(5).randrange(1, 0x2FFF)) for _ in range(3000)),
]
SNIPPETS = ['"', "{", "}", "[", "]", ",", ":", "\n", "\r\n", "é", "😀", "\u2028", '"role":"bot"', "\\", "\t", ""]


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "finetune_ls", "serve"],
                                              # every message over 4 KB is read in pieces
                                              server_env={**os.environ, "FINETUNE_LS_BIG_MESSAGE": "4096"}))
async def client(lsp_client: LanguageClient, tmp_path):
    answer_refreshes(lsp_client)
    # A client that pulls diagnostics, so "what the server holds now" can be asked for once
    # the debounce has passed, without racing the pushes. Positions in UTF-16 here
    # (Neovim would choose UTF-8; test_positions.py covers that).
    capabilities = capabilities_of("visual-studio-code")
    capabilities.general.position_encodings = [types.PositionEncodingKind.Utf16]
    lsp_client.initialize_result = await lsp_client.initialize_session(types.InitializeParams(
        capabilities=capabilities, root_uri=tmp_path.as_uri(),
        initialization_options={"model": "gpt-4o-mini-2024-07-18", "maxDiagnostics": 1_000_000}))
    lsp_client.work_dir = tmp_path
    yield
    await lsp_client.shutdown_session()


def _documents() -> list[tuple[str, str]]:
    documents = [(f"hostile-{i}.jsonl", text) for i, text in enumerate(HOSTILE)]
    if CORPUS.is_dir():
        for path in sorted(CORPUS.rglob("*.json*")):
            if path.name != "expected.json":
                documents.append((path.name, path.read_bytes().decode("utf-8", "replace")))
    return documents


async def _settled(client: LanguageClient, uri: str) -> list[types.Diagnostic]:
    """The diagnostics once the full report after the last edit is made (past the debounce)."""
    await asyncio.sleep(0.25)
    report = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    return list(report.items)


def _expected(text: str, name: str):
    report = check_text(text, CheckSettings(model="gpt-4o-mini-2024-07-18"), path=name)
    return sorted((f.code, f.line, f.column_utf16, f.end_line, f.end_column_utf16) for f in report.findings)


def _got(items):
    return sorted((d.code, d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character)
                  for d in items)


def _random_edit(rng: random.Random, text: str) -> tuple[types.Range, str]:
    lines = split_lines(text)
    line = rng.randrange(len(lines))
    units = len(lines[line].encode("utf-16-le", "surrogatepass")) // 2
    start = rng.randint(0, units)
    end_line = min(len(lines) - 1, line + rng.choice([0, 0, 0, 1]))
    end_units = len(lines[end_line].encode("utf-16-le", "surrogatepass")) // 2
    end = rng.randint(0, end_units) if end_line != line else rng.randint(start, units)
    return types.Range(types.Position(line, start), types.Position(end_line, end)), rng.choice(SNIPPETS)


async def _requests_are_answered(client: LanguageClient, uri: str, rng: random.Random, lines: int) -> None:
    line = rng.randrange(max(1, lines))
    position = types.Position(line, rng.randint(0, 40))
    document = types.TextDocumentIdentifier(uri=uri)
    whole = types.Range(types.Position(0, 0), types.Position(lines, 0))
    await asyncio.wait_for(asyncio.gather(
        client.text_document_hover_async(types.HoverParams(text_document=document, position=position)),
        client.text_document_inlay_hint_async(types.InlayHintParams(text_document=document, range=whole)),
        client.text_document_code_lens_async(types.CodeLensParams(text_document=document)),
        client.text_document_completion_async(types.CompletionParams(text_document=document, position=position)),
        client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=document)),
        client.text_document_code_action_async(types.CodeActionParams(
            text_document=document, range=types.Range(position, position),
            context=types.CodeActionContext(diagnostics=[]))),
        client.text_document_formatting_async(types.DocumentFormattingParams(
            text_document=document, options=types.FormattingOptions(tab_size=2, insert_spaces=True))),
    ), timeout=30)


@pytest.mark.parametrize("index", range(len(_documents())), ids=[name for name, _ in _documents()])
async def test_random_edits_keep_diagnostics_equal_to_the_checker(client, index):
    name, text = _documents()[index]
    rng = random.Random(index)
    path = client.work_dir / name
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="jsonl", version=1, text=text)))
    assert _got(await _settled(client, uri)) == _expected(text, str(path))
    for version in range(2, 5):
        edit_range, new_text = _random_edit(rng, text)
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangePartial(range=edit_range, text=new_text)]))
        text = apply_text_edits(text, [types.TextEdit(range=edit_range, new_text=new_text)])
        await _requests_are_answered(client, uri, rng, len(split_lines(text)))
        assert _got(await _settled(client, uri)) == _expected(text, str(path)), (name, version)
    assert not any(m.type == types.MessageType.Error for m in client.messages), [m.message for m in client.messages]
