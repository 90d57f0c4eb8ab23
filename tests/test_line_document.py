"""LineDocument applies LSP edits exactly like a reference that works on the whole text."""

from __future__ import annotations

from hypothesis import given, settings as hsettings
from hypothesis import strategies as st
from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from finetune_ls.core.edits import apply_edits
from finetune_ls.core.findings import TextEdit
from finetune_ls.core.lines import column_from_utf16, split_lines
from finetune_ls.lsp.documents.document import LineDocument

ALPHABET = st.sampled_from(["a", "b", "é", "😀", "\n", "\r", "\r\n", "\u2028", "\x85", " ", "{", '"'])


def _doc(text: str) -> LineDocument:
    return LineDocument("file:///t.jsonl", text, 1, position_codec=PositionCodec(types.PositionEncodingKind.Utf16))


def _utf16_position(text: str, line: int, column: int) -> types.Position:
    content = split_lines(text)[line]
    return types.Position(line=line, character=len(content[:column].encode("utf-16-le", "surrogatepass")) // 2)


@hsettings(max_examples=500, deadline=None)
@given(st.lists(ALPHABET, max_size=30).map("".join), st.data())
def test_incremental_edits_match_the_whole_text_model(text, data):
    document = _doc(text)
    expected = text
    for _ in range(data.draw(st.integers(1, 5))):
        lines = split_lines(expected)
        start_line = data.draw(st.integers(0, len(lines) - 1))
        end_line = data.draw(st.integers(start_line, len(lines) - 1))
        start_column = data.draw(st.integers(0, len(lines[start_line])))
        end_column = data.draw(st.integers(0, len(lines[end_line])))
        if end_line == start_line and end_column < start_column:
            start_column, end_column = end_column, start_column
        inserted = data.draw(st.lists(ALPHABET, max_size=6).map("".join))
        change = types.TextDocumentContentChangePartial(
            range=types.Range(_utf16_position(expected, start_line, start_column),
                              _utf16_position(expected, end_line, end_column)), text=inserted)
        document.apply_change(change)
        expected = apply_edits(expected, [TextEdit(start_line, start_column, end_line, end_column, inserted)])
        assert document.source == expected
        assert list(document.contents) == split_lines(expected)


def test_an_edit_after_u2028_lands_on_the_next_line():
    document = _doc('{"a":"x\u2028y"}\n{"b":1}\n')
    document.apply_change(types.TextDocumentContentChangePartial(
        range=types.Range(types.Position(1, 0), types.Position(1, 0)), text="Z"))
    assert document.source == '{"a":"x\u2028y"}\nZ{"b":1}\n'
    assert document.take_changes() == [(1, 2, 1)]


def test_changes_say_which_lines_to_check_again():
    document = _doc("a\nb\nc\n")
    document.apply_change(types.TextDocumentContentChangePartial(
        range=types.Range(types.Position(1, 0), types.Position(2, 1)), text="X\nY\nZ"))
    assert document.source == "a\nX\nY\nZ\n"
    assert document.take_changes() == [(1, 3, 3)]
    document.apply_change(types.TextDocumentContentChangeWholeDocument(text="only"))
    assert list(document.contents) == ["only"]


def test_astral_characters_count_two_utf16_units():
    document = _doc('😀x\n')
    document.apply_change(types.TextDocumentContentChangePartial(
        range=types.Range(types.Position(0, 2), types.Position(0, 3)), text="y"))
    assert document.source == "😀y\n"
    assert column_from_utf16("😀y", 2) == 1
