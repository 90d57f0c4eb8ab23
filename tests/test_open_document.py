"""What the language server shows right after an edit, before its next full report: the
diagnostics sent earlier, moved along with the text, plus the findings of the lines
changed. Every line-level diagnostic must be what a fresh check of the new text gives,
with its fix and its related lines pointing at the right lines, for any batch of changes
an editor sends in one didChange."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings as hsettings
from hypothesis import strategies as st
from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from helpers import settings
from finetune_ls.core.document import DocumentCheck
from finetune_ls.core.engine import check_text
from finetune_ls.core.lines import split_lines
from finetune_ls.core.rules import RULES
from finetune_ls.lsp.documents.convert import to_diagnostics
from finetune_ls.lsp.documents.document import LineDocument
from finetune_ls.lsp.documents.state import OpenDocument

OK = '{"messages":[{"role":"user","content":"q%d"},{"role":"assistant","content":"a%d"}]}'
PIECES = [OK % (1, 1), OK % (2, 2), '{"messages":[{"role":"usr","content":"x"}]}', '{"prompt":"p","completion":"c"}',
          "[", "]", '{"messages": [', '{"role":"user","content":"a"}', ",", '"text\u2028more"', "\ufeff", "", "{",
          "}", '"k": 1', '{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b",}]}',
          '{"messages":[{"role":"user","content":"é"},{"role":"assistant","content":"😀"}],"weight":2}']
URI = "file:///tmp/doc.jsonl"
ENCODINGS = [types.PositionEncodingKind.Utf16, types.PositionEncodingKind.Utf8, types.PositionEncodingKind.Utf32]
LINE_CODES = {code for code, rule in RULES.items() if rule.scope == "line"}
# Found by looking at neighbouring lines (or the file's first bytes) too: these come with
# the next full report, and the lines they cover (records spread over lines) are only
# judged then.
ACROSS_LINES = {"blank-line", "duplicate-example", "json-array", "multiline-record", "split-record",
                "byte-order-mark"}


def _open(text: str, encoding: str) -> OpenDocument:
    document = LineDocument(URI, text, 1, "jsonl", position_codec=PositionCodec(encoding=encoding))
    state = OpenDocument(URI, document, DocumentCheck("/tmp/doc.jsonl", settings(count_tokens=False)))
    state.check.open(document.contents)
    document.take_changes()
    state.refresh_diagnostics(1000)
    return state


def _key(diagnostic: types.Diagnostic) -> tuple:
    where = diagnostic.range
    fix = (diagnostic.data or {}).get("fix")
    related = tuple((r.location.range.start.line, r.message) for r in diagnostic.related_information or ())
    return (where.start.line, where.start.character, where.end.line, where.end.character, diagnostic.code,
            diagnostic.message, repr(fix), related)


def _line_level(diagnostics, skip: set[int]) -> list[tuple]:
    return sorted(_key(d) for d in diagnostics
                  if d.code in LINE_CODES - ACROSS_LINES and d.range.start.line not in skip)


def _fresh(state: OpenDocument) -> tuple[list[types.Diagnostic], set[int]]:
    """A fresh check's diagnostics, and the lines it judged with their neighbours."""
    report = check_text(state.document.source, settings(count_tokens=False), path="/tmp/doc.jsonl")
    diagnostics = to_diagnostics(report.findings, URI, state.document.contents, state.document.encoding, 1000)
    return diagnostics, _covered(diagnostics)


edit = st.tuples(st.integers(0, 12), st.sampled_from([0, 1, 5, 1000]), st.integers(0, 2),
                 st.sampled_from([0, 1000]), st.sampled_from(["", "\n", "\ufeff"] + PIECES + [a + "\n" + b for a, b
                                                                                               in zip(PIECES, PIECES[3:])]))


@hsettings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=8), st.sampled_from(["\n", "\r\n"]),
       st.sampled_from(ENCODINGS), st.lists(st.lists(edit, min_size=1, max_size=3), min_size=1, max_size=4))
def test_diagnostics_after_a_batch_of_edits_match_a_fresh_check(pieces, line_break, encoding, batches):
    state = _open(line_break.join(pieces), encoding)
    covered: set[int] = set()  # until a full report is made, as none is here
    for batch in batches:
        for start_line, start_column, extra_lines, end_column, text in batch:
            count = len(split_lines(state.document.source))
            start_line = min(start_line, count - 1)
            end_line = min(count - 1, start_line + extra_lines)
            if end_line == start_line:
                start_column, end_column = sorted((start_column, end_column))
            state.document.apply_change(types.TextDocumentContentChangePartial(
                range=types.Range(types.Position(start_line, start_column), types.Position(end_line, end_column)),
                text=text))
        covered = _moved(covered | _covered(state.diagnostics), state.document.changes)
        if state.apply_changes(1000):
            covered = set()
            continue  # checked from scratch: nothing was moved
        fresh, across = _fresh(state)
        assert _line_level(state.diagnostics, across | covered) == _line_level(fresh, across | covered)


def _covered(diagnostics) -> set[int]:
    """The lines of the records spread over lines: their own findings wait for a full report."""
    return {line for d in diagnostics if d.code in ACROSS_LINES - {"duplicate-example"}
            for line in range(d.range.start.line, d.range.end.line + 1)}


def _moved(lines: set[int], changes: list[tuple[int, int, int]]) -> set[int]:
    """Lines not changed, where they are after the changes (lines [start, end) became `count`)."""
    for start, end, count in changes:
        lines = {line if line < start else line + count - (end - start) for line in lines if not start <= line < end}
    return lines


def test_a_fix_moves_with_its_line():
    broken = '{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b",}]}'
    state = _open("\n".join([OK % (i, i) for i in range(12)] + [broken]), ENCODINGS[0])
    [before] = [d for d in state.diagnostics if d.data.get("fix")]
    assert before.range.start.line == 12
    state.document.apply_change(types.TextDocumentContentChangePartial(
        range=types.Range(types.Position(0, 0), types.Position(0, 0)), text=OK % (99, 99) + "\n" + OK % (98, 98) + "\n"))
    assert state.apply_changes(1000) is False
    [after] = [d for d in state.diagnostics if d.data.get("fix")]
    assert after.range.start.line == 14
    assert {edit[0] for edit in after.data["fix"]["edits"]} == {14}
