"""Findings as LSP diagnostics, and back: a diagnostic carries its fix in `data`, so
code actions are computed from the diagnostic alone (no server state)."""

from __future__ import annotations

from collections.abc import Sequence

from lsprotocol import types

from finetune_ls.core.findings import Finding, Fix, Severity, TextEdit
from finetune_ls.lsp.documents.document import from_code_points

SOURCE = "finetune-ls"
_SEVERITY = {Severity.ERROR: types.DiagnosticSeverity.Error, Severity.WARNING: types.DiagnosticSeverity.Warning,
             Severity.INFORMATION: types.DiagnosticSeverity.Information, Severity.HINT: types.DiagnosticSeverity.Hint}
_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFORMATION: 2, Severity.HINT: 3}


def position(contents: Sequence[str], line: int, column: int, encoding: str) -> types.Position:
    if encoding == types.PositionEncodingKind.Utf16 or line >= len(contents):
        return types.Position(line=line, character=column)  # callers pass UTF-16 columns for UTF-16
    return types.Position(line=line, character=from_code_points(contents[line], column, encoding))


def finding_range(finding: Finding, contents: Sequence[str], encoding: str) -> types.Range:
    if encoding in (types.PositionEncodingKind.Utf16, None):
        return types.Range(types.Position(finding.line, finding.column_utf16),
                           types.Position(finding.end_line, finding.end_column_utf16))
    return types.Range(position(contents, finding.line, finding.column, encoding),
                       position(contents, finding.end_line, finding.end_column, encoding))


def edit_range(edit: TextEdit, contents: Sequence[str], encoding: str) -> types.Range:
    def at(line: int, column: int) -> types.Position:
        if line >= len(contents):
            return types.Position(line=line, character=0)
        return types.Position(line=line, character=from_code_points(contents[line], column, encoding))
    return types.Range(at(edit.start_line, edit.start_column), at(edit.end_line, edit.end_column))


def fix_data(fix: Fix | None) -> dict | None:
    if fix is None:
        return None
    return {"title": fix.title, "safe": fix.safe,
            "edits": [[e.start_line, e.start_column, e.end_line, e.end_column, e.new_text] for e in fix.edits]}


def fix_from_data(data: object) -> Fix | None:
    """The fix a diagnostic carries, or None when its data is not one of ours."""
    if not isinstance(data, dict) or not isinstance(data.get("fix"), dict):
        return None
    fix = data["fix"]
    try:
        edits = tuple(TextEdit(int(a), int(b), int(c), int(d), str(text)) for a, b, c, d, text in fix["edits"])
        return Fix(str(fix["title"]), edits, bool(fix.get("safe", True)))
    except (KeyError, TypeError, ValueError):
        return None


def to_diagnostic(finding: Finding, uri: str, contents: Sequence[str], encoding: str) -> types.Diagnostic:
    related = [types.DiagnosticRelatedInformation(
        location=types.Location(uri, types.Range(types.Position(r.line, 0), types.Position(r.line, 0))),
        message=r.message) for r in finding.related]
    data = {"code": finding.code, "pointer": finding.pointer}
    if finding.fix:
        data["fix"] = fix_data(finding.fix)
    return types.Diagnostic(
        range=finding_range(finding, contents, encoding),
        message=finding.message,
        severity=_SEVERITY[finding.severity],
        code=finding.code,
        source=SOURCE,
        related_information=related or None,
        data=data,
    )


def to_diagnostics(findings: Sequence[Finding], uri: str, contents: Sequence[str], encoding: str,
                   limit: int) -> list[types.Diagnostic]:
    """At most `limit` diagnostics, the most severe first; a note says how many more there are."""
    kept = list(findings)
    dropped = 0
    if len(kept) > limit:
        order = sorted(range(len(kept)), key=lambda i: (_RANK[kept[i].severity], i))[:limit]
        dropped = len(kept) - limit
        kept = [kept[i] for i in sorted(order)]
    diagnostics = [to_diagnostic(finding, uri, contents, encoding) for finding in kept]
    if dropped:
        diagnostics.append(types.Diagnostic(
            range=types.Range(types.Position(0, 0), types.Position(0, 0)),
            message=f"{dropped:,} more findings are not shown (the editor gets the first {limit:,}, most severe "
                    "first); `finetune-ls check` lists them all.",
            severity=types.DiagnosticSeverity.Information, code="more-findings", source=SOURCE))
    return diagnostics
