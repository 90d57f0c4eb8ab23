"""Lines and columns follow the Language Server Protocol, not str.splitlines."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from finetune_ls.core.edits import apply_edits
from finetune_ls.core.findings import TextEdit
from finetune_ls.core.lines import column_from_utf16, split_lines, split_lines_bytes, utf16_column, utf16_length


def test_only_lsp_line_breaks_split():
    text = 'a\u2028b\u2029c\x85d\x0be\x0cf\x1cg\r\nh\ri\nj'
    assert split_lines(text) == ['a\u2028b\u2029c\x85d\x0be\x0cf\x1cg', "h", "i", "j"]
    assert split_lines_bytes(text.encode()) == [line.encode() for line in split_lines(text)]


def test_final_line_break_leaves_an_empty_last_line():
    assert split_lines("x\n") == ["x", ""]
    assert split_lines("") == [""]


def test_utf16_columns_count_astral_characters_twice():
    line = 'é😀x'
    assert utf16_length(line) == 4
    assert utf16_column(line, 2) == 3
    assert column_from_utf16(line, 3) == 2
    assert utf16_length("\udce9") == 1  # a lone surrogate still counts one unit


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40), st.integers(0, 45))
def test_utf16_round_trip(line, column):
    column = min(column, len(line))
    assert column_from_utf16(line, utf16_column(line, column)) == column


def test_an_edit_after_u2028_lands_on_the_right_line():
    # pygls's splitlines-based document puts this edit inside the first line's string.
    text = '{"a":"x\u2028y"}\n{"b":1}\n'
    edited = apply_edits(text, [TextEdit(1, 0, 1, 0, "Z")])
    assert edited == '{"a":"x\u2028y"}\nZ{"b":1}\n'


def test_edits_apply_like_an_editor():
    text = "abc\r\ndef\nghi"
    assert apply_edits(text, [TextEdit(0, 1, 0, 2, "X"), TextEdit(2, 0, 2, 3, "")]) == "aXc\r\ndef\n"
    assert apply_edits(text, [TextEdit(1, 0, 2, 0, "")]) == "abc\r\nghi"
    assert apply_edits(text, [TextEdit(0, 99, 0, 99, "!")]) == "abc!\r\ndef\nghi"  # past the end: the end
