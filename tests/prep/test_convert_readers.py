"""Reading the inputs of `convert`: every row with the line (or sheet row) it starts on,
values as written, and rows that cannot be read kept with the reason."""

from __future__ import annotations

from datetime import datetime

import openpyxl
import pytest

from finetune_ls.prep.readers import ReadError, SourceFloat, kind_of, read_bytes, read_path


def test_csv_with_bom_quoted_newlines_and_embedded_delimiters():
    data = ('\ufeffprompt,completion\r\n'
            '"Add 2, 3",5\r\n'
            '"two\r\nlines","quoted ""word"""\r\n'
            '\r\n'
            'last,row\r\n').encode("utf-8")
    table = read_bytes(data, "csv")
    assert table.columns == ["prompt", "completion"]  # no BOM in the first column's name
    assert [(row.number, row.value) for row in table.rows] == [
        (2, {"prompt": "Add 2, 3", "completion": "5"}),
        (3, {"prompt": "two\r\nlines", "completion": 'quoted "word"'}),
        (6, {"prompt": "last", "completion": "row"}),  # its line, past the quoted break and the blank line
    ]


def test_csv_row_with_too_many_or_too_few_fields_is_kept_as_a_problem():
    table = read_bytes(b"question,answer\nfine,yes\nhello, world,x\nalone\n", "csv")
    assert [row.number for row in table.rows] == [2, 3, 4]
    assert table.rows[0].problem is None
    assert "3 fields but the header has 2" in table.rows[1].problem and table.rows[1].value is None
    assert "1 fields but the header has 2" in table.rows[2].problem


def test_tsv_keeps_commas_and_quotes_inside_fields():
    table = read_bytes(b'text\tlabel\nfine, thanks\tpositive\n', "tsv")
    assert table.rows[0].value == {"text": "fine, thanks", "label": "positive"}


@pytest.mark.parametrize("header, message", [(b"a,,b\n1,2,3\n", "column 2 of the header has no name"),
                                             (b"a,b,a\n1,2,3\n", "names column 'a' twice"),
                                             (b"", "empty")])
def test_csv_header_problems_stop_the_read(header, message):
    with pytest.raises(ReadError, match=message):
        read_bytes(header, "csv")


def test_not_utf8_names_the_line():
    with pytest.raises(ReadError, match="not UTF-8") as raised:
        read_bytes(b"prompt,completion\nok,fine\ncaf\xe9,x\n", "csv")
    assert raised.value.line == 3


def test_pretty_printed_json_array_items_start_on_their_lines():
    text = '[\n  {\n    "question": "a",\n    "answer": "b"\n  },\n  {"question": "c", "answer": 1.10}\n]\n'
    table = read_bytes(text.encode(), "json")
    assert [row.number for row in table.rows] == [2, 6]
    assert table.columns == ["question", "answer"]
    number = table.rows[1].value["answer"]
    assert isinstance(number, SourceFloat) and str(number) == "1.10" and number == 1.1


def test_pretty_printed_objects_one_after_another():
    text = '{\n "prompt": "x",\n "completion": "y"\n}\n{\n "prompt": "é😀",\n "completion": "z"\n}\n'
    table = read_bytes(text.encode(), "json")
    assert [(row.number, row.value["prompt"]) for row in table.rows] == [(1, "x"), (5, "é😀")]


def test_broken_json_array_is_one_error_at_its_line():
    with pytest.raises(ReadError, match="not valid JSON") as raised:
        read_bytes(b'[\n {"a": 1},\n {"a": 2,}\n]\n', "json")
    assert raised.value.line == 3


def test_jsonl_with_a_broken_line_keeps_the_others_and_names_it():
    data = b'{"text": "a", "label": "x"}\n{"text": "b", label}\n\n[1, 2]\n{"text": "c", "label": "z"}\n'
    table = read_bytes(data, "jsonl")
    assert [(row.number, row.problem is None) for row in table.rows] == [(1, True), (2, False), (4, True), (5, True)]
    assert "not valid JSON" in table.rows[1].problem
    assert table.rows[2].value == [1, 2]  # a value, not an object: the conversion reports it


def test_xlsx_first_sheet_rows_by_sheet_number(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([])  # an empty first row: the header is on row 2
    sheet.append(["Question", "Answer", "Asked"])
    sheet.append(["What is 2+2?", 4, datetime(2024, 5, 1, 9, 30)])
    sheet.append([None, None, None])
    sheet.append(["True?", True, None])
    sheet.append(["Half?", 0.5])
    book.create_sheet("Other").append(["not", "read"])
    path = tmp_path / "data.xlsx"
    book.save(path)
    table = read_path(str(path))
    assert table.kind == "xlsx" and table.columns == ["Question", "Answer", "Asked"]
    assert [(row.number, row.value) for row in table.rows] == [
        (3, {"Question": "What is 2+2?", "Answer": 4, "Asked": "2024-05-01T09:30:00"}),
        (5, {"Question": "True?", "Answer": "TRUE", "Asked": ""}),
        (6, {"Question": "Half?", "Answer": 0.5, "Asked": ""}),
    ]


def test_not_a_workbook():
    with pytest.raises(ReadError, match="not an XLSX workbook"):
        read_bytes(b"prompt,completion\n", "xlsx")


def test_kind_from_the_name():
    assert [kind_of(name) for name in ("a.CSV", "b.tsv", "c.json", "d.jsonl", "e.ndjson", "f.xlsx")] == \
        ["csv", "tsv", "json", "jsonl", "jsonl", "xlsx"]
    with pytest.raises(ReadError, match="--from"):
        kind_of("data.txt")


def test_json_lines_in_a_json_file_with_a_broken_line_is_read_line_by_line():
    table = read_bytes(b'{"text": "a", "label": "x"}\n{"text": oops}\n{"text": "c", "label": "z"}\n', "json")
    assert [(row.number, row.problem is None) for row in table.rows] == [(1, True), (2, False), (3, True)]


def test_a_row_of_white_space_is_data_and_is_reported_not_skipped():
    table = read_bytes(b'text,label\n"\r"\n,\n  \nfine,yes\n', "csv")
    assert [(row.number, row.problem is None) for row in table.rows] == [(2, False), (5, False), (6, True)]
