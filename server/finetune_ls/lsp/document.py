"""A text document held as a list of lines, edited line by line, by LSP's line rules.

pygls's TextDocument rebuilds the whole text on every incremental edit (0.6 s
and ~1 GB of churn per keystroke on 100 MB) and splits lines with
str.splitlines, which also breaks on U+2028 and friends, so edits after such a
character land in the wrong place. LineDocument keeps the lines, applies an
edit to the lines it touches, and records which ones changed so the checker
re-checks only those. pygls creates its Workspace in `initialize`; the server
swaps in a LineWorkspace right there (server.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from lsprotocol import types
from pygls.workspace import Workspace
from pygls.workspace.text_document import TextDocument

from finetune_ls.core.lines import column_from_utf16, utf16_column

_BREAKS = re.compile(r"\r\n|\r|\n")
_BREAK_CHARS = "\r\n"


def split_keeping_breaks(text: str) -> list[str]:
    """Lines with their breaks; the last piece (possibly empty) has none."""
    pieces = []
    start = 0
    for match in _BREAKS.finditer(text):
        pieces.append(text[start:match.end()])
        start = match.end()
    pieces.append(text[start:])
    return pieces


def content_of(line: str) -> str:
    """A line without its break."""
    return line.rstrip(_BREAK_CHARS) if line.endswith(("\n", "\r")) else line


def to_code_points(content: str, character: int, encoding: str) -> int:
    """A column in the client's position encoding, as a code-point column (clamped)."""
    if encoding == types.PositionEncodingKind.Utf32:
        return min(character, len(content))
    if encoding == types.PositionEncodingKind.Utf8:
        return len(content.encode("utf-8", "surrogatepass")[:character].decode("utf-8", "ignore"))
    return column_from_utf16(content, character)


def from_code_points(content: str, column: int, encoding: str) -> int:
    """A code-point column in the client's position encoding."""
    if encoding == types.PositionEncodingKind.Utf32:
        return column
    if encoding == types.PositionEncodingKind.Utf8:
        return len(content[:column].encode("utf-8", "surrogatepass"))
    return utf16_column(content, column)


class Contents(Sequence):
    """The document's lines without their breaks, computed on access (no copy)."""

    def __init__(self, lines: list[str]):
        self._lines = lines

    def __len__(self) -> int:
        return len(self._lines)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [content_of(line) for line in self._lines[index]]
        return content_of(self._lines[index])


class LineDocument(TextDocument):
    """A TextDocument stored as lines. Every line but the last ends with its break; a
    final break leaves an empty last line, as LSP counts it."""

    def __init__(self, uri: str, source: str | None = None, version: int | None = None,
                 language_id: str | None = None, local: bool = True,
                 sync_kind: types.TextDocumentSyncKind = types.TextDocumentSyncKind.Incremental,
                 position_codec=None):
        super().__init__(uri, None, version, language_id, local, sync_kind, position_codec)
        self._lines = split_keeping_breaks(source or "")
        self.changes: list[tuple[int, int, int]] = []  # (start, old end, new count), not yet checked

    # pygls reads these
    @property
    def source(self) -> str:
        return "".join(self._lines)

    @property
    def lines(self) -> Sequence[str]:
        return self._lines

    @property
    def contents(self) -> Contents:
        return Contents(self._lines)

    @property
    def encoding(self) -> str:
        return self.position_codec.encoding

    def _apply_full_change(self, change) -> None:
        old = len(self._lines)
        self._lines = split_keeping_breaks(change.text)
        self.changes.append((0, old, len(self._lines)))

    def _apply_incremental_change(self, change: types.TextDocumentContentChangePartial) -> None:
        lines = self._lines
        last = len(lines) - 1
        start, end = change.range.start, change.range.end
        start_line, end_line = min(start.line, last), min(end.line, last)
        if (end.line, end.character) < (start.line, start.character):
            start_line, end_line, start, end = end_line, start_line, end, start
        start_column = self._column(start_line, start.character if start.line <= last else 10**9)
        end_column = self._column(end_line, end.character if end.line <= last else 10**9)
        segment = lines[start_line][:start_column] + change.text + lines[end_line][end_column:]
        # A lone \r before the edit and a \n at its start are one \r\n break, and the
        # other way round at its end: take the neighbour line into the segment.
        if start_line > 0 and segment.startswith("\n") and lines[start_line - 1].endswith("\r"):
            start_line -= 1
            segment = lines[start_line] + segment
        if segment.endswith("\r") and end_line < last and lines[end_line + 1].startswith("\n"):
            end_line += 1
            segment += lines[end_line]
        pieces = split_keeping_breaks(segment)
        if end_line < last:
            pieces.pop()  # the segment ends with a break; the next line follows it
        lines[start_line:end_line + 1] = pieces
        self.changes.append((start_line, end_line + 1, len(pieces)))

    def _column(self, line: int, character: int) -> int:
        return to_code_points(content_of(self._lines[line]), character, self.encoding)

    def take_changes(self) -> list[tuple[int, int, int]]:
        changes, self.changes = self.changes, []
        return changes


class LineWorkspace(Workspace):
    """pygls's Workspace, holding LineDocuments."""

    @classmethod
    def replacing(cls, workspace: Workspace) -> LineWorkspace:
        return cls(workspace.root_uri, workspace._sync_kind, list(workspace.folders.values()),
                   workspace.position_encoding)

    def _create_text_document(self, doc_uri, source=None, version=None, language_id=None) -> TextDocument:
        return LineDocument(doc_uri, source=source, version=version, language_id=language_id,
                            sync_kind=self._sync_kind, position_codec=self._position_codec)
