"""Apply text edits to a document, as an editor would (used by tests, fix-all and
the conversions; the language server hands edits to the editor instead)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from finetune_ls.core.findings import TextEdit

_BREAK = re.compile(r"\r\n|\r|\n")


def _line_starts(text: str) -> list[int]:
    return [0] + [match.end() for match in _BREAK.finditer(text)]


def _offset(text: str, starts: list[int], line: int, column: int) -> int:
    if line >= len(starts):
        return len(text)
    start = starts[line]
    end = starts[line + 1] if line + 1 < len(starts) else len(text)
    content_end = end
    while content_end > start and text[content_end - 1] in "\r\n":
        content_end -= 1
    return start + min(column, content_end - start)  # LSP: a column past the end means the end


def apply_edits(text: str, edits: Iterable[TextEdit]) -> str:
    """Apply non-overlapping edits (positions refer to the original text)."""
    starts = _line_starts(text)
    spans = sorted(((_offset(text, starts, e.start_line, e.start_column), _offset(text, starts, e.end_line, e.end_column),
                     e.new_text) for e in edits), key=lambda span: (span[0], span[1]))
    pieces = []
    position = 0
    for start, end, new_text in spans:
        if start < position:
            # Two fixes that touch the same characters (removing the first two members
            # of an object both want the comma between them): apply them one at a time.
            raise ValueError("overlapping edits")
        pieces.append(text[position:start])
        pieces.append(new_text)
        position = end
    pieces.append(text[position:])
    return "".join(pieces)
