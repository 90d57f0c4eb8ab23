"""The privacy quick fix over stdio, on secrets written with JSON escapes: the diagnostic
spans the escaped text (in the client's units, after escapes and an emoji), and the fix replaces
all of it, so no "[PHONE]\\u00a00958" is left behind."""

from __future__ import annotations

import json

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp.session import diagnostics, edits_of, open_document, units_in
from privacy_cases import CASES, PREFIX, PREFIX_DECODED, SUFFIX, SUFFIX_DECODED, case_line, content

pytestmark = pytest.mark.asyncio(loop_scope="function")

CLEAN = "".join(json.dumps({"messages": [{"role": "user", "content": f"Question {n}"},
                                         {"role": "assistant", "content": "Yes."}]}) + "\n" for n in range(10))
FIRST = CLEAN.count("\n")  # the line of CASES[0]


def _column(line: str, units: int, encoding: str) -> int:
    """The code-point column of a position given in `encoding`'s units."""
    column = 0
    while column < len(line) and units_in(line[:column], encoding) < units:
        column += 1
    assert units_in(line[:column], encoding) == units, "a position inside a character"
    return column


def _apply(line: str, edits: list[types.TextEdit], encoding: str) -> str:
    """Apply one line's edits, as an editor would."""
    for edit in sorted(edits, key=lambda e: e.range.start.character, reverse=True):
        assert edit.range.start.line == edit.range.end.line
        start, end = (_column(line, at.character, encoding) for at in (edit.range.start, edit.range.end))
        line = line[:start] + edit.new_text + line[end:]
    return line


async def test_quick_fix_replaces_the_whole_escaped_text(client: LanguageClient):
    encoding = client.initialize_result.capabilities.position_encoding or types.PositionEncodingKind.Utf16
    text = CLEAN + "".join(case_line(case) + "\n" for case in CASES)
    uri = await open_document(client, "escaped.jsonl", text)
    found = {d.range.start.line: d for d in await diagnostics(client, uri) if d.code.endswith("-in-text")}
    assert sorted(found) == list(range(FIRST, FIRST + len(CASES)))
    for number, case in enumerate(CASES, FIRST):
        line, diagnostic = text.splitlines()[number], found[number]
        assert diagnostic.code == case.code
        start = units_in(line[:line.index(PREFIX + case.raw) + len(PREFIX)], encoding)
        assert (diagnostic.range.start.character, diagnostic.range.end.character) == \
               (start, start + units_in(case.raw, encoding)), case.name
        assert case.decoded not in diagnostic.message and case.raw not in diagnostic.message
        actions = await client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), range=diagnostic.range,
            context=types.CodeActionContext(diagnostics=[diagnostic], only=[types.CodeActionKind.QuickFix])))
        [action] = [a for a in actions if a.kind == types.CodeActionKind.QuickFix and case.placeholder in a.title]
        edits = edits_of(action.edit)
        assert {(e.range.start.line, e.range.end.line) for e in edits} == {(number, number)}
        fixed = _apply(line, edits, encoding)
        assert fixed == line.replace(PREFIX + case.raw + SUFFIX, PREFIX + case.placeholder + SUFFIX), case.name
        assert content(fixed) == PREFIX_DECODED + case.placeholder + SUFFIX_DECODED
