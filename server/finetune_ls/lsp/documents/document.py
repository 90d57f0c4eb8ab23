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
from collections.abc import Callable, Sequence

from lsprotocol import types
from pygls.workspace import Workspace
from pygls.workspace.text_document import TextDocument

from finetune_ls.core.lines import column_from_utf16, utf16_column
from finetune_ls.lsp.documents.compact_lines import CompactLines

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


class LineDocument(TextDocument):
    """A TextDocument stored as its lines' contents, without the breaks. Breaks are kept
    apart (`_breaks`), and only when the document has some other than \n, so that the
    contents list is what the checker reads: no copy, and a snapshot is a shallow one.
    A final break leaves an empty last line, as LSP counts it."""

    def __init__(self, uri: str, source: str | None = None, version: int | None = None,
                 language_id: str | None = None, local: bool = True,
                 sync_kind: types.TextDocumentSyncKind = types.TextDocumentSyncKind.Incremental,
                 position_codec=None):
        super().__init__(uri, None, version, language_id, local, sync_kind, position_codec)
        self._lines = CompactLines()
        self._breaks: list[str] | None = None  # the break after each line but the last; None: all \n
        self._set_text(source or "")
        self.changes: list[tuple[int, int, int]] = []  # (start, old end, new count), not yet checked

    @classmethod
    def from_lines(cls, uri: str, lines: CompactLines | list[str], breaks: list[str] | None,
                   **options) -> LineDocument:
        """A document from its lines already split (messages.py reads big texts so)."""
        document = cls(uri, "", **options)
        document._lines = lines if isinstance(lines, CompactLines) else CompactLines(lines)
        document._breaks = breaks
        return document

    def _set_text(self, text: str) -> None:
        if "\r" not in text:
            self._lines, self._breaks = CompactLines(text.split("\n")), None
            return
        self._lines = CompactLines(_BREAKS.split(text))
        self._breaks = _BREAKS.findall(text)

    # pygls reads these
    @property
    def source(self) -> str:
        if self._breaks is None:
            return "\n".join(self._lines)
        return "".join(line + brk for line, brk in zip(self._lines, self._breaks)) + self._lines[-1]

    @property
    def lines(self) -> Sequence[str]:
        """Lines with their breaks, as pygls's TextDocument has them (made on demand)."""
        return split_keeping_breaks(self.source)

    @property
    def contents(self) -> CompactLines:
        """The lines without their breaks: the list itself, which edits change in place."""
        return self._lines

    @property
    def encoding(self) -> str:
        return self.position_codec.encoding

    def newline(self) -> str:
        """The document's first line break (what new lines should end with)."""
        return "\n" if not self._breaks else self._breaks[0]

    def _break_after(self, line: int) -> str:
        return "\n" if self._breaks is None else self._breaks[line]

    def _apply_full_change(self, change) -> None:
        old = len(self._lines)
        self._set_text(change.text)
        self.changes.append((0, old, len(self._lines)))

    def _apply_incremental_change(self, change: types.TextDocumentContentChangePartial) -> None:
        lines = self._lines
        last = len(lines) - 1
        start, end = change.range.start, change.range.end
        if (end.line, end.character) < (start.line, start.character):
            start, end = end, start
        start_line, end_line = min(start.line, last), min(end.line, last)
        start_column = self._column(start_line, start.character if start.line <= last else 10**9)
        end_column = self._column(end_line, end.character if end.line <= last else 10**9)
        # The segment runs from the start of the first touched line through the break after
        # the last one, so a break the edit makes next to it (\r then \n) is seen whole.
        tail = "" if end_line == last else self._break_after(end_line)
        segment = lines[start_line][:start_column] + change.text + lines[end_line][end_column:] + tail
        if start_line > 0 and segment.startswith("\n") and self._break_after(start_line - 1) == "\r":
            start_line -= 1  # a lone \r before the edit and the \n at its start are one \r\n break
            segment = lines[start_line] + "\r" + segment
        pieces = _BREAKS.split(segment)
        breaks = _BREAKS.findall(segment)
        if end_line < last:
            pieces.pop()  # the segment ends with a break; the next line follows it
        if self._breaks is None and any(brk != "\n" for brk in breaks):
            self._breaks = ["\n"] * last
        if self._breaks is not None:
            # Each line but the last has its break: replace those of the touched lines.
            self._breaks[start_line:min(end_line + 1, last)] = breaks
        lines[start_line:end_line + 1] = pieces
        self.changes.append((start_line, end_line + 1, len(pieces)))

    def _column(self, line: int, character: int) -> int:
        return to_code_points(self._lines[line], character, self.encoding)

    def take_changes(self) -> list[tuple[int, int, int]]:
        changes, self.changes = self.changes, []
        return changes


class LineWorkspace(Workspace):
    """pygls's Workspace, holding LineDocuments. A big didOpen's text was read as lines by the
    server's reader, and comes with an empty text: `take_lines` gives them."""

    take_lines: Callable[[str], tuple | None] = staticmethod(lambda uri: None)

    @classmethod
    def replacing(cls, workspace: Workspace, take_lines: Callable[[str], tuple | None]) -> LineWorkspace:
        replaced = cls(workspace.root_uri, workspace._sync_kind, list(workspace.folders.values()),
                       workspace.position_encoding)
        replaced.take_lines = take_lines
        return replaced

    def _create_text_document(self, doc_uri, source=None, version=None, language_id=None) -> TextDocument:
        lines = self.take_lines(doc_uri) if not source else None
        if lines is not None:
            return LineDocument.from_lines(doc_uri, *lines, version=version, language_id=language_id,
                                           sync_kind=self._sync_kind, position_codec=self._position_codec)
        return LineDocument(doc_uri, source=source, version=version, language_id=language_id,
                            sync_kind=self._sync_kind, position_codec=self._position_codec)
