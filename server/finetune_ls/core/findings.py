"""What the engine reports: findings with exact ranges, and fixes as text edits."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum


class Severity(str, Enum):
    """error: the provider would reject the file or the example.
    warning: accepted, but almost surely a mistake, or silently changed (truncated).
    information / hint: advice."""

    ERROR = "error"
    WARNING = "warning"
    INFORMATION = "information"
    HINT = "hint"


@dataclass(frozen=True, slots=True)
class TextEdit:
    """Replace the text between two positions (0-based lines, code-point columns)."""

    start_line: int
    start_column: int
    end_line: int
    end_column: int
    new_text: str

    def shifted(self, lines: int) -> TextEdit:
        return replace(self, start_line=self.start_line + lines, end_line=self.end_line + lines)


@dataclass(frozen=True, slots=True)
class Fix:
    """A quick fix. `safe` fixes keep every value the user wrote and may run in fix-all."""

    title: str
    edits: tuple[TextEdit, ...]
    safe: bool = True

    def shifted(self, lines: int) -> Fix:
        return replace(self, edits=tuple(edit.shifted(lines) for edit in self.edits))


@dataclass(frozen=True, slots=True)
class Related:
    """Another place a finding refers to (e.g. the first copy of a duplicate)."""

    line: int
    message: str


@dataclass(slots=True)
class Finding:
    """One problem, at a range given in code points and in UTF-16 code units.

    Lines are 0-based here; the CLI prints them 1-based. Editors speak UTF-16
    (LSP), compilers and people count code points, so both columns are kept.
    """

    code: str
    severity: Severity
    message: str
    line: int
    column: int
    end_line: int
    end_column: int
    column_utf16: int
    end_column_utf16: int
    pointer: str | None = None
    scope: str = "line"  # "line" or "file"
    fix: Fix | None = None
    related: tuple[Related, ...] = field(default=())

    def shifted(self, lines: int) -> Finding:
        """The same finding `lines` further down (used when results computed for a
        chunk, or cached for a line, are placed in a file)."""
        if lines == 0:
            return self
        return replace(
            self,
            line=self.line + lines,
            end_line=self.end_line + lines,
            fix=self.fix.shifted(lines) if self.fix else None,
            related=tuple(Related(r.line + lines, r.message) for r in self.related),
        )


def file_finding(code: str, severity: Severity, message: str, fix: Fix | None = None) -> Finding:
    """A finding about the file as a whole; it sits at the start of the file."""
    return Finding(code, severity, message, 0, 0, 0, 0, 0, 0, None, "file", fix)
