"""The rows of a workbook's first sheet, read within bounds.

An XLSX file is a zip of XML, and a small one can stand for an enormous sheet: parts
that unpack to gigabytes (a zip bomb), a declared size (`<dimension ref="A1:XFD1048576"/>`)
that openpyxl pads every row to, row numbers far apart that it fills with empty rows.
So the zip's declared sizes are checked before anything is unpacked (Python's zipfile
stops at the declared size when it unpacks), the declared dimension is ignored, and the
rows and cells made are counted as they stream. A bound that is hit is named.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator
from xml.etree.ElementTree import ParseError

from finetune_ls.prep.readers import ReadError

MAX_UNPACKED_BYTES = 128 * 1024 * 1024  # all parts together, as the zip declares them
MAX_ROWS = 1_048_576  # Excel's own last row: a row number beyond it is not from a spreadsheet
MAX_CELLS = 10_000_000  # cells made, the empty ones between filled cells included

# What a damaged part raises while it streams: cut-off XML, a bad checksum, a cut-off zip.
_DAMAGE = (ParseError, zipfile.BadZipFile, zlib.error, EOFError, KeyError, ValueError, OSError)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):,.0f} MB"


def _check_unpacked_size(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            declared = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise ReadError(f"not an XLSX workbook ({error})") from None
    if declared > MAX_UNPACKED_BYTES:
        raise ReadError(f"the workbook unpacks to {_megabytes(declared)}, more than the "
                        f"{_megabytes(MAX_UNPACKED_BYTES)} finetune-ls unpacks (a zip bomb, or a very big sheet: "
                        "save it as CSV)")


def sheet_rows(data: bytes) -> Iterator[tuple[int, tuple]]:
    """(sheet row number, cell values) of the first sheet, in order; ReadError when the
    workbook cannot be read or a bound is hit."""
    import openpyxl  # only XLSX input pays for importing it

    _check_unpacked_size(data)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, ParseError) as error:
        raise ReadError(f"not an XLSX workbook ({error})") from None
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # the declared size may be anything; rows as stored are what counts
        cells = 0
        number = 0
        rows = sheet.iter_rows(min_row=1, values_only=True)
        while True:
            try:
                values = next(rows, None)
            except _DAMAGE as error:
                raise ReadError(f"the workbook's first sheet is damaged after row {number} ({error})",
                                number + 1) from None
            if values is None:
                return
            number += 1
            cells += len(values)
            if number > MAX_ROWS:
                raise ReadError(f"the first sheet has more than {MAX_ROWS:,} rows (counting empty ones), "
                                "more than Excel itself holds; finetune-ls reads at most that many", number)
            if cells > MAX_CELLS:
                raise ReadError(f"the first sheet has more than {MAX_CELLS:,} cells (counting the empty ones "
                                "between filled cells); finetune-ls reads at most that many", number)
            yield number, values
    finally:
        book.close()
