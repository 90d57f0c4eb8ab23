"""Read data where people keep it (CSV, TSV, JSON, JSON Lines, XLSX) as rows that know
where they came from: the 1-based line a row starts on in a text file, the row number in
a sheet. A row that cannot be read is kept with the reason, so it is reported, not lost.

Values are kept as written: JSON numbers with a fraction keep their source text
(`SourceFloat`), table cells stay strings (XLSX cells: the workbook's values).
"""

from __future__ import annotations

import bisect
import csv
import io
import json
import os
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, time

from finetune_ls.core.depth import MAX_DEPTH, deepest_bracket, may_nest_deeper, nesting_depth, recursion_room
from finetune_ls.core.regular_files import read_regular

INPUT_KINDS = ("csv", "tsv", "json", "jsonl", "xlsx")
_EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl",
               ".xlsx": "xlsx", ".xlsm": "xlsx"}
_JSON_SPACE = " \t\r\n"

# A cell can hold a whole conversation; the csv module's default limit is 128 KiB.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


class ReadError(Exception):
    """The file as a whole cannot be read; `line` is where, when known; `plain` says it
    without quoting the file."""

    def __init__(self, message: str, line: int | None = None, plain: str | None = None):
        super().__init__(message)
        self.line = line
        self.plain = plain or message


class SourceFloat(float):
    """A JSON number with a fraction or an exponent that remembers how it was written, so
    content made from it reads as in the file (`1.10` stays "1.10", not "1.1")."""

    text: str

    def __new__(cls, text: str) -> SourceFloat:
        number = super().__new__(cls, text)
        number.text = text
        return number

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Row:
    number: int  # 1-based source line (text files) or sheet row (XLSX) where the row starts
    value: object  # a dict for table rows; any JSON value for JSON input; None when unreadable
    problem: str | None = None  # why the row could not be read


@dataclass
class Table:
    kind: str  # one of INPUT_KINDS
    rows: list[Row]
    columns: list[str] = field(default_factory=list)  # a table's header; for JSON, keys in first-seen order


def kind_of(path: str) -> str:
    """The input kind from a file's extension; ReadError when the name does not say."""
    kind = _EXTENSIONS.get(os.path.splitext(path)[1].lower())
    if kind is None:
        raise ReadError(f"cannot tell the format of {os.path.basename(path)} from its name; "
                        f"pass --from {'|'.join(INPUT_KINDS)}")
    return kind


def read_path(path: str, kind: str | None = None, allow_pipe: bool = False) -> Table:
    """Read a file (OSError when it cannot be opened, or is not a regular file: a pipe is read
    only with `allow_pipe`, see core/regular_files.py)."""
    kind = kind or kind_of(path)
    return read_bytes(read_regular(path, allow_pipe), kind)


def read_bytes(data: bytes, kind: str) -> Table:
    if kind == "xlsx":
        return _read_xlsx(data)
    text = _decode(data)
    if kind in ("csv", "tsv"):
        return _read_delimited(text, kind, "," if kind == "csv" else "\t")
    if kind in ("json", "jsonl"):
        return _read_json(text, kind)
    raise ReadError(f"unknown input format {kind!r}; use one of {', '.join(INPUT_KINDS)}")


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")  # a byte-order mark, as Excel writes, is not data
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ReadError(f"not UTF-8 text (byte {error.start}); save it as UTF-8", line) from None


# ---------------------------------------------------------------- CSV and TSV
def _header(cells: list, line: int) -> list[str]:
    names = [str(cell).strip() if cell is not None else "" for cell in cells]
    while names and not names[-1]:
        names.pop()  # trailing empty cells of a sheet are not columns
    for index, name in enumerate(names):
        if not name:
            raise ReadError(f"column {index + 1} of the header has no name", line)
        if names.index(name) != index:
            raise ReadError(f"the header names column {name!r} twice", line,
                            f"columns {names.index(name) + 1} and {index + 1} of the header have the same name")
    return names


def _table_row(number: int, header: list[str], cells: list) -> Row:
    extra = cells[len(header):]
    if any(cell not in ("", None) for cell in extra):
        return Row(number, None, f"the row has {len(cells)} fields but the header has {len(header)} "
                                 "(an unquoted delimiter or quote?)")
    if len(cells) < len(header):
        return Row(number, None, f"the row has {len(cells)} fields but the header has {len(header)}")
    return Row(number, dict(zip(header, cells)))


def _read_delimited(text: str, kind: str, delimiter: str) -> Table:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[Row] = []
    start = 1  # a record starts on the line after the one the previous record ended on
    try:
        for cells in reader:
            number, start = start, reader.line_num + 1
            if not any(cells):
                continue  # a blank line, or only delimiters (a sheet's empty row), holds no data
            if header is None:
                header = _header(cells, number)
            else:
                rows.append(_table_row(number, header, cells))
    except csv.Error as error:
        raise ReadError(f"cannot read the {kind.upper()}: {error}", reader.line_num) from None
    if header is None:
        raise ReadError(f"the {kind.upper()} file is empty: it needs a header row naming the columns")
    return Table(kind, rows, header)


# ---------------------------------------------------------------- JSON and JSON Lines
class _Lines:
    """1-based line numbers of offsets in a text."""

    def __init__(self, text: str):
        self.starts = [0] + [index + 1 for index, char in enumerate(text) if char == "\n"]

    def of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)


def _skip_space(text: str, index: int) -> int:
    while index < len(text) and text[index] in _JSON_SPACE:
        index += 1
    return index


def _array_items(text: str, index: int, decoder: json.JSONDecoder) -> list[tuple[int, object]]:
    """The items of the array opening at `index`, each with the offset it starts at."""
    items = []
    index = _skip_space(text, index + 1)
    if text.startswith("]", index):
        return items
    while True:
        value, end = decoder.raw_decode(text, index)
        items.append((index, value))
        index = _skip_space(text, end)
        if text.startswith("]", index):
            break
        if not text.startswith(",", index):
            raise json.JSONDecodeError("Expecting ',' delimiter", text, index)
        index = _skip_space(text, index + 1)
    if _skip_space(text, index + 1) < len(text):
        raise json.JSONDecodeError("Extra data after the array", text, _skip_space(text, index + 1))
    return items


def _values(text: str, decoder: json.JSONDecoder) -> list[tuple[int, object]]:
    """Every value of the text with its offset: the items of one top-level array, or one
    value after another (JSON Lines, or objects pretty-printed over many lines)."""
    index = _skip_space(text, 0)
    if text.startswith("[", index):
        return _array_items(text, index, decoder)
    values = []
    while index < len(text):
        value, end = decoder.raw_decode(text, index)
        values.append((index, value))
        index = _skip_space(text, end)
    return values


def _too_deep(text: str) -> str:
    """Python's parser gives up (RecursionError) a little before MAX_DEPTH levels."""
    column = len(text[: deepest_bracket(text)].rsplit("\n", 1)[-1]) + 1
    return f"arrays or objects nested more than about {MAX_DEPTH:,} levels deep (at column {column}); flatten the data"


def _within_depth(rows: list[Row], text: str) -> list[Row]:
    """Rows nested deeper than check accepts are bad rows, as the room to read them is
    wider than that (the recursion limit is not an exact depth)."""
    if not may_nest_deeper(text, MAX_DEPTH):
        return rows
    deep = [index for index, row in enumerate(rows) if isinstance(row.value, (dict, list))
            and nesting_depth(row.value, stop=MAX_DEPTH) > MAX_DEPTH]
    if deep:
        source = text.split("\n")
        for index in deep:
            number = rows[index].number
            rows[index] = Row(number, None, f"the line has {_too_deep(source[number - 1])}")
    return rows


def _line_by_line(text: str, decoder: json.JSONDecoder) -> list[Row]:
    rows = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            rows.append(Row(number, decoder.decode(line)))
        except json.JSONDecodeError as error:
            rows.append(Row(number, None, f"the line is not valid JSON: {error.msg} at column {error.colno}"))
        except RecursionError:
            rows.append(Row(number, None, f"the line has {_too_deep(line)}"))
    return rows


def _first_line_parses(text: str, decoder: json.JSONDecoder) -> bool:
    """Whether the text is line-oriented (JSON Lines in a .json file)."""
    first = next((line for line in text.split("\n") if line.strip()), "")
    try:
        decoder.decode(first)
    except (json.JSONDecodeError, RecursionError):
        return False
    return True


def _read_json(text: str, kind: str) -> Table:
    decoder = json.JSONDecoder(parse_float=SourceFloat)
    lines = _Lines(text)
    with recursion_room():  # rows as deep as check accepts: it would refuse no less
        try:
            rows = [Row(lines.of(offset), value) for offset, value in _values(text, decoder)]
        except (json.JSONDecodeError, RecursionError) as error:
            if kind == "json" and not _first_line_parses(text, decoder):
                # One document over many lines: past the error nothing says where the next row starts.
                if isinstance(error, RecursionError):
                    raise ReadError(f"not readable JSON: {_too_deep(text)}", lines.of(deepest_bracket(text))) from None
                raise ReadError(f"not valid JSON: {error.msg} at column {error.colno}", error.lineno) from None
            rows = _line_by_line(text, decoder)  # JSON Lines: a broken line is one bad row
    rows = _within_depth(rows, text)
    columns: dict[str, None] = {}
    for row in rows:
        if isinstance(row.value, dict):
            columns.update(dict.fromkeys(row.value))
    return Table(kind, rows, list(columns))


# ---------------------------------------------------------------- XLSX
def _cell_value(value: object) -> object:
    """A cell as text or number: empty cells are empty text, dates ISO 8601, booleans as
    Excel shows them."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return value


def _read_xlsx(data: bytes) -> Table:
    from finetune_ls.prep.workbook import sheet_rows  # only XLSX input pays for importing openpyxl

    header: list[str] | None = None
    rows: list[Row] = []
    for number, cells in sheet_rows(data):
        values = [_cell_value(cell) for cell in cells]
        if all(value == "" for value in values):
            continue  # an empty row holds no data (white space is data: the row is reported)
        if header is None:
            header = _header(values, number)
        else:
            values += [""] * (len(header) - len(values))  # a sheet's trailing empty cells may be left out
            rows.append(_table_row(number, header, values))
    if header is None:
        raise ReadError("the first sheet is empty: it needs a header row naming the columns")
    return Table("xlsx", rows, header)
