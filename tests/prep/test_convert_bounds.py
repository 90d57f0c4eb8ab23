"""`finetune-ls convert` on workbooks and JSON built to exhaust it: a declared sheet size of
a whole Excel grid, a shared-strings zip bomb, a sheet cut off mid-XML, JSON nested 10^5
deep. Each must end soon with an error that names the bound or the damage.

The CLI runs as a subprocess under a time limit and an address-space limit, so a
regression fails here instead of hanging the suite or eating the machine's memory."""

from __future__ import annotations

import io
import resource
import subprocess
import zipfile
from pathlib import Path

import openpyxl

TIMEOUT_S = 90  # a bounded read takes a few seconds even on a loaded machine
MEMORY_LIMIT = 3 * 1024**3  # address space: the interpreter, openpyxl and tiktoken fit well below


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def convert(cli_path: str, path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([cli_path, "convert", str(path), "-o", str(path.with_suffix(".out.jsonl"))],
                          capture_output=True, text=True, timeout=TIMEOUT_S, preexec_fn=_limit_memory,
                          stdin=subprocess.DEVNULL)


def _workbook(rows: list[list[str]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def _rewritten(workbook: bytes, replace: dict[str, object]) -> bytes:
    """The workbook with some of its parts replaced: bytes, or a callable that writes the
    part into an open zip entry (for parts too big to hold in memory)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        names = source.namelist() + [name for name in replace if name not in source.namelist()]
        for name in names:
            part = replace.get(name)
            if part is None:
                target.writestr(name, source.read(name))
            elif isinstance(part, bytes):
                target.writestr(name, part)
            else:
                with target.open(name, "w", force_zip64=True) as entry:
                    part(entry)
    return out.getvalue()


def _sheet_xml(workbook: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(workbook)) as source:
        return source.read("xl/worksheets/sheet1.xml")


ROWS = [["prompt", "completion"]] + [[f"Question {n}?", f"Answer {n}."] for n in range(10)]


def _with_sheet_data(workbook: bytes, dimension: bytes, extra_rows: bytes) -> bytes:
    """The workbook with its declared dimension replaced and rows added after its own."""
    sheet = _sheet_xml(workbook)
    start = sheet.index(b"<dimension ")
    end = sheet.index(b">", start) + 1
    sheet = sheet[:start] + dimension + sheet[end:]
    sheet = sheet.replace(b"</sheetData>", extra_rows + b"</sheetData>")
    return _rewritten(workbook, {"xl/worksheets/sheet1.xml": sheet})


def test_a_declared_dimension_of_the_whole_grid_is_not_a_size(cli_path, tmp_path):
    """A small workbook declaring A1:XFD1048576, with an empty last row: every empty row
    in between was made 16,384 cells wide and looked at, minutes of work for ten rows."""
    path = tmp_path / "grid.xlsx"
    path.write_bytes(_with_sheet_data(_workbook(ROWS), b'<dimension ref="A1:XFD1048576"/>',
                                      b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t></t></is></c></row>'))
    assert path.stat().st_size < 10_000

    result = convert(cli_path, path)

    assert result.returncode == 0, result.stderr
    assert "wrote 10 chat examples" in result.stdout
    assert len(path.with_suffix(".out.jsonl").read_text().splitlines()) == 10


def test_rows_one_cell_each_in_the_last_column_hit_the_cell_bound(cli_path, tmp_path):
    """Each row's one cell in column XFD makes 16,384 cells: 2,000 such rows (a few KB of
    zip) are 33 million cells. The bound on cells is hit and named."""
    far = b"".join(b'<row r="%d"><c r="XFD%d" t="inlineStr"><is><t>x</t></is></c></row>' % (n, n)
                   for n in range(20, 2020))
    path = tmp_path / "wide.xlsx"
    path.write_bytes(_with_sheet_data(_workbook(ROWS), b'<dimension ref="A1:XFD2019"/>', far))

    result = convert(cli_path, path)

    assert result.returncode == 1, result.stderr
    assert "more than 10,000,000 cells" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_a_row_number_beyond_excel_hits_the_row_bound(cli_path, tmp_path):
    """Row numbers are the file's word: one beyond Excel's last row is not a spreadsheet's,
    and the empty rows up to it are not made one by one without end."""
    path = tmp_path / "far.xlsx"
    path.write_bytes(_with_sheet_data(_workbook(ROWS), b'<dimension ref="A1:B11"/>',
                                      b'<row r="5000000"><c r="A5000000" t="inlineStr"><is><t>x</t></is></c></row>'))

    result = convert(cli_path, path)

    assert result.returncode == 1, result.stderr
    assert "more than 1,048,576 rows" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_a_shared_strings_zip_bomb_is_refused_before_it_is_unpacked(cli_path, tmp_path):
    """A few hundred KB of zip holding 200 MB of shared strings: refused from the sizes the
    zip declares (which Python's zipfile enforces when it unpacks), naming the bound."""
    item = b"<si><t>" + b"a" * 96 + b"</t></si>"
    chunk = item * 10_000  # ~1 MB

    def strings(entry) -> None:
        entry.write(b'<?xml version="1.0" encoding="UTF-8"?>'
                    b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
        for _ in range(200):
            entry.write(chunk)
        entry.write(b"</sst>")

    path = tmp_path / "bomb.xlsx"
    path.write_bytes(_rewritten(_workbook(ROWS), {"xl/sharedStrings.xml": strings}))
    assert path.stat().st_size < 2_000_000

    result = convert(cli_path, path)

    assert result.returncode == 1, result.stderr
    assert "unpacks to 214 MB, more than the 128 MB" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_a_truncated_sheet_is_a_damaged_workbook_not_an_internal_error(cli_path, tmp_path):
    book = _workbook(ROWS)
    sheet = _sheet_xml(book)
    cut = sheet[: sheet.index(b"</sheetData>") - 7]  # inside the last row
    path = tmp_path / "cut.xlsx"
    path.write_bytes(_rewritten(book, {"xl/worksheets/sheet1.xml": cut}))

    result = convert(cli_path, path)

    assert result.returncode == 1, result.stderr
    assert "damaged" in result.stderr and "sheet" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_json_nested_a_hundred_thousand_deep_is_a_clear_error(cli_path, tmp_path):
    depth = 100_000
    path = tmp_path / "deep.jsonl"
    path.write_text('{"prompt": "a", "completion": "b"}\n'
                    '{"prompt": ' + "[" * depth + "]" * depth + ', "completion": "b"}\n')

    result = convert(cli_path, path)

    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "RecursionError" not in result.stderr
    assert "deep.jsonl:2:" in result.stderr and "nested" in result.stderr, result.stderr


def test_a_json_document_nested_a_hundred_thousand_deep_is_a_clear_error(cli_path, tmp_path):
    depth = 100_000
    path = tmp_path / "deep.json"
    path.write_text('[{"prompt": "a",\n "completion": ' + "[" * depth + "]" * depth + "}]\n")

    result = convert(cli_path, path)

    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "RecursionError" not in result.stderr
    assert "deep.json:2:" in result.stderr and "nested" in result.stderr, result.stderr
