"""Malformed input: every row that cannot be converted is reported at its own source row,
and every row is accounted for, either converted or reported; none disappears."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finetune_ls.core.engine import CheckSettings
from finetune_ls.prep.convert import Options, UsageProblem, convert_table
from finetune_ls.prep.readers import read_bytes

CHECK = CheckSettings(count_tokens=False, today=date(2026, 11, 1))
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)

# A question/answer row in JSON Lines, good or broken in one of the ways people break them.
GOOD = st.builds(lambda q, a: json.dumps({"question": q, "answer": a}), TEXT, TEXT)
BAD = st.one_of(
    st.builds(lambda q: json.dumps({"question": q}), TEXT),  # no answer
    st.builds(lambda q: json.dumps({"question": q, "answer": [q]}), TEXT),  # answer not text
    st.builds(lambda q: json.dumps({"question": None, "answer": q}), TEXT),  # question null
    st.just('"just a string"'), st.just("[1, 2]"), st.just("null"),  # not an object
    st.builds(lambda q: '{"question": %s, "answer": }' % json.dumps(q), TEXT),  # not JSON
    st.just('{"question": "q", "answer": "a"'),  # unclosed
)


def accounted(outcome) -> tuple[list[int], list[int]]:
    return sorted(row for row, _ in outcome.examples), sorted({note.row for note in outcome.problems})


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 2)), min_size=1, max_size=25), st.data())
def test_jsonl_bad_rows_are_reported_at_their_lines(layout, data):
    lines, good_lines, bad_lines = [], [], []
    for is_good, blanks in layout:
        lines.extend([""] * blanks)  # blank lines shift the numbers and are no rows
        lines.append(data.draw(GOOD if is_good else BAD))
        (good_lines if is_good else bad_lines).append(len(lines))
    if not good_lines:
        lines.append(json.dumps({"question": "q", "answer": "a"}))  # one row that names the shape
        good_lines.append(len(lines))
    outcome = convert_table(read_bytes("\n".join(lines).encode(), "jsonl"), Options(), CHECK)
    assert accounted(outcome) == (good_lines, bad_lines)
    assert len(outcome.problems) == len(bad_lines)  # one reason for each, no more
    assert outcome.writable is not bool(bad_lines)


LINE_BREAK = re.compile("\r\n|\r|\n")  # line breaks as editors count them, and the csv module
CELL = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=10)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(CELL, CELL, st.integers(-1, 1)), min_size=1, max_size=20))
def test_csv_rows_with_the_wrong_field_count_are_reported_at_their_first_line(rows):
    """Cells hold commas, quotes and line breaks, so rows span lines; a row with a field
    too many or too few is reported at the line it starts on."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # so that cells with either break are quoted
    writer.writerow(["text", "label"])
    line, expected_good, expected_bad = 2, [], []
    for text, label, extra in rows:
        fields = [text or "t", label or "l"] + (["more"] if extra > 0 else []) if extra >= 0 else [text or "t"]
        start = buffer.tell()
        writer.writerow(fields)
        (expected_good if extra == 0 else expected_bad).append(line)
        line += len(LINE_BREAK.findall(buffer.getvalue()[start:]))
    outcome = convert_table(read_bytes(buffer.getvalue().encode(), "csv"), Options(skip_bad=True), CHECK)
    assert accounted(outcome) == (expected_good, expected_bad)
    assert all(note.code == "unreadable-row" for note in outcome.problems)


def test_xlsx_bad_rows_by_sheet_row(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    for row in (["prompt", "completion"], ["a ->", " b"], ["c ->", " d", "stray"], [], ["e ->", " f"]):
        sheet.append(row)
    book.save(tmp_path / "x.xlsx")
    outcome = convert_table(read_bytes((tmp_path / "x.xlsx").read_bytes(), "xlsx"), Options(), CHECK)
    assert accounted(outcome) == ([2, 5], [3])
    assert outcome.problems[0].message.startswith("the row has 3 fields but the header has 2")


def test_json_array_with_rows_that_are_not_examples():
    text = json.dumps([{"text": "a", "label": "x"}, "oops", {"text": "b"}, {"text": "c", "label": {"k": 1}}],
                      indent=1)
    outcome = convert_table(read_bytes(text.encode(), "json"), Options(), CHECK)
    lines = text.split("\n")
    starts = [number for number, line in enumerate(lines, start=1) if line.startswith((" {", ' "'))]
    assert accounted(outcome) == ([starts[0]], starts[1:])
    assert [note.message for note in outcome.problems] == [
        "the row is text, not an object", "the row has no 'label'", "'label' is an object, not text"]


def test_rows_the_engine_rejects_keep_their_row_even_after_rows_before_them_failed():
    rows = ['{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}]}',
            "not json",
            '{"messages":[{"role":"user","content":"c"},{"role":"assistant","content":"d","weight":3}]}',
            '{"messages":[{"role":"user","content":"e"},{"role":"assistant","content":"f"}]}']
    outcome = convert_table(read_bytes("\n".join(rows).encode(), "jsonl"), Options(), CHECK)
    assert [(note.row, note.code) for note in outcome.problems] == [(2, "unreadable-row"), (3, "invalid-weight")]
    assert accounted(outcome) == ([1, 4], [2, 3])


def test_a_file_without_a_single_object_names_its_first_row():
    with pytest.raises(UsageProblem, match="no row is an object with keys; 2 rows, the first at line 2: the line is "
                                           "not valid JSON"):
        convert_table(read_bytes(b"\nDavid Ayats\n[1]\n", "jsonl"), Options(), CHECK)
