"""Diagnostics over stdio: after open, after edits, pushed or pulled; always what
`finetune-ls check` finds for the same text."""

from __future__ import annotations

import pytest
from lsprotocol import types

from finetune_ls.core.engine import CheckSettings, check_text
from lsp.session import change, diagnostics, open_document

OK = '{"messages":[{"role":"user","content":"q%d"},{"role":"assistant","content":"a%d"}]}'
GOOD = "".join(OK % (i, i) + "\n" for i in range(12))
BROKEN = GOOD + '{"messages":[{"role":"model","content":"x"}],"id":1}\n'


def _expected(text: str):
    report = check_text(text, CheckSettings(model="gpt-4o-mini-2024-07-18"))
    return sorted((f.code, f.line, f.column_utf16, f.end_line, f.end_column_utf16) for f in report.findings)


def _got(items):
    return sorted((d.code, d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character)
                  for d in items)


@pytest.mark.asyncio(loop_scope="function")
async def test_diagnostics_after_open_match_the_checker(client):
    uri = await open_document(client, "train.jsonl", BROKEN)
    items = await diagnostics(client, uri)
    assert _got(items) == _expected(BROKEN)
    role = next(d for d in items if d.code == "unknown-role")
    assert role.range.start.line == 12 and role.severity == types.DiagnosticSeverity.Error
    assert role.source == "finetune-ls" and role.data["fix"]["edits"]


@pytest.mark.asyncio(loop_scope="function")
async def test_diagnostics_follow_incremental_edits(client):
    uri = await open_document(client, "train.jsonl", BROKEN)
    await diagnostics(client, uri)
    start = BROKEN.splitlines()[12].index("model")  # fix the role: "model" -> "assistant"
    change(client, uri, 2, (12, start), (12, start + 5), "assistant")
    items = await diagnostics(client, uri)
    text = BROKEN.replace('"role":"model"', '"role":"assistant"')
    assert _got(items) == _expected(text)
    assert "unknown-role" not in {d.code for d in items}


@pytest.mark.asyncio(loop_scope="function")
async def test_inserting_lines_moves_every_later_diagnostic(client):
    uri = await open_document(client, "train.jsonl", BROKEN)
    await diagnostics(client, uri)
    change(client, uri, 2, (0, 0), (0, 0), '{"messages":[{"role":"bot","content":"x"}]}\n\n')
    items = await diagnostics(client, uri)
    text = '{"messages":[{"role":"bot","content":"x"}]}\n\n' + BROKEN
    line_codes = {code for code, *_ in _expected(text)} - {"too-few-examples", "model-retiring"}
    got = {(d.code, d.range.start.line) for d in items}
    assert ("unknown-role", 0) in got and ("unknown-role", 14) in got
    assert {(c, l) for c, l, *_ in _expected(text) if c in line_codes} <= got | {("blank-line", 1)}
