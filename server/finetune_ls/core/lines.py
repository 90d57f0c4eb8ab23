"""Lines as the Language Server Protocol counts them: only \\n, \\r\\n and \\r end a line.

Python's `str.splitlines` also breaks on U+2028, U+2029, U+0085, \\v, \\f and
\\x1c-\\x1e. `json.dumps(..., ensure_ascii=False)` writes U+2028 raw inside
strings, so real training files contain it; splitting there would put every
position after it on the wrong line. Everything in finetune-ls splits here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_LINE_BREAK_BYTES = re.compile(rb"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """Split text into LSP lines. A final line break leaves an empty last line,
    as in an editor."""
    if "\r" not in text:
        return text.split("\n")
    return _LINE_BREAK.split(text)


def split_lines_bytes(data: bytes) -> list[bytes]:
    """`split_lines` for UTF-8 bytes (a line break byte never occurs inside a
    multi-byte UTF-8 sequence, so splitting before decoding is safe)."""
    if b"\r" not in data:
        return data.split(b"\n")
    return _LINE_BREAK_BYTES.split(data)


def iter_line_spans(data: bytes) -> Iterator[tuple[int, int]]:
    """(start, end) byte offsets of each line's content, breaks excluded."""
    start = 0
    for match in _LINE_BREAK_BYTES.finditer(data):
        yield start, match.start()
        start = match.end()
    yield start, len(data)


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units (what LSP columns count)."""
    if text.isascii():
        return len(text)
    # surrogatepass: a text may hold lone surrogates (undecodable bytes, or a client's
    # unpaired \ud800); each still counts as one UTF-16 unit.
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def utf16_column(line: str, column: int) -> int:
    """Convert a code-point column in `line` into a UTF-16 column."""
    return utf16_length(line[:column])


def column_from_utf16(line: str, column_utf16: int) -> int:
    """Convert a UTF-16 column into a code-point column (clamped to the line)."""
    if line.isascii():
        return min(column_utf16, len(line))
    units = 0
    for index, char in enumerate(line):
        if units >= column_utf16:
            return index
        units += 2 if ord(char) > 0xFFFF else 1
    return len(line)
