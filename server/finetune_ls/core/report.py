"""Builds the findings of one line: ranges from JSON paths, fixes as text edits."""

from __future__ import annotations

import re

from finetune_ls.core.findings import Finding, Fix, Related, Severity, TextEdit
from finetune_ls.core.jsonspan import Path, Span, locate, locate_nearest, pointer
from finetune_ls.core.lines import utf16_column, utf16_length
from finetune_ls.core.rules import Rule

_SPACE_AFTER = re.compile(r"\s*,?\s*")
_SPACE_BEFORE = re.compile(r",\s*$")


class LineReport:
    """Findings for one line of text. The text is decoded only when a finding needs it."""

    __slots__ = ("line", "_raw", "_text", "findings", "seen")

    def __init__(self, line: int, raw: bytes | None = None, text: str | None = None):
        self.line = line
        self._raw = raw
        self._text = text
        self.findings: list[Finding] = []
        self.seen: set[tuple] = set()  # (code, pointer, columns), to report each once

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = (self._raw or b"").decode("utf-8", "replace")
        return self._text

    # ------------------------------------------------------------ ranges
    def span(self, path: Path) -> Span | None:
        return locate(self.text, path)

    def add(self, rule: Rule, message: str, path: Path | None = None, *, key: bool = False,
            columns: tuple[int, int] | None = None, fix: Fix | None = None,
            severity: Severity | None = None, related: tuple[Related, ...] = ()) -> Finding | None:
        """Report `rule` at `path` (the key when `key`), at explicit columns, or on the whole line.
        The same rule is reported once per path."""
        ptr = pointer(path) if path is not None else None
        identity = (rule.code, ptr, columns)
        if identity in self.seen:
            return None
        self.seen.add(identity)
        text = self.text
        if columns is not None:
            start, end = columns
        elif path is not None:
            span, depth = locate_nearest(text, path)
            if key and depth == len(path) and span.key_start is not None:
                start, end = span.key_start, span.key_end
            else:
                start, end = span.start, span.end
        else:
            start, end = 0, len(text)
        start, end = max(0, min(start, len(text))), max(0, min(end, len(text)))
        if end <= start and text:  # an empty range is easy to miss: show one character
            start, end = (start, start + 1) if start < len(text) else (len(text) - 1, len(text))
        finding = Finding(
            rule.code, severity or rule.severity, message, self.line, start, self.line, end,
            utf16_column(text, start), utf16_column(text, end), ptr, "line", fix, related,
        )
        self.findings.append(finding)
        return finding

    def has(self, code: str) -> bool:
        return any(f.code == code for f in self.findings)

    # ------------------------------------------------------------ edits
    def edit(self, start: int, end: int, new_text: str) -> TextEdit:
        return TextEdit(self.line, start, self.line, end, new_text)

    def replace_value(self, path: Path, new_text: str) -> TextEdit | None:
        span = self.span(path)
        return self.edit(span.start, span.end, new_text) if span else None

    def rename_key(self, path: Path, new_key: str) -> TextEdit | None:
        span = self.span(path)
        if not span or span.key_start is None:
            return None
        return self.edit(span.key_start, span.key_end, '"' + new_key + '"')

    def remove_member(self, path: Path) -> TextEdit | None:
        """Remove `"key": value` and one adjoining comma: the one before it, so that
        removing two neighbours gives two separate edits; the one after it for the
        first member of an object."""
        span = self.span(path)
        if not span or span.key_start is None:
            return None
        text = self.text
        before = _SPACE_BEFORE.search(text, 0, span.key_start)
        if before:
            return self.edit(before.start(), span.end, "")
        after = _SPACE_AFTER.match(text, span.end)
        end = after.end() if after and "," in after.group() else span.end
        return self.edit(span.key_start, end, "")

    def delete_line(self) -> TextEdit:
        """Remove the line and its line break."""
        return TextEdit(self.line, 0, self.line + 1, 0, "")

    def replace_line(self, new_text: str) -> TextEdit:
        return self.edit(0, len(self.text), new_text)

    def line_widths(self) -> tuple[int, int]:
        return len(self.text), utf16_length(self.text)


def make_fix(title: str, *edits: TextEdit | None, safe: bool = True) -> Fix | None:
    real = tuple(edit for edit in edits if edit is not None)
    return Fix(title, real, safe) if real else None
