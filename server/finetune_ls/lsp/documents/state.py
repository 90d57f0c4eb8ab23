"""One open document: its lines, its check kept in step with edits, and what was last
sent to the client."""

from __future__ import annotations

import asyncio
import itertools
import os
from dataclasses import dataclass, field

from lsprotocol import types
from pygls.uris import to_fs_path

from finetune_ls.core.document import DocumentCheck
from finetune_ls.core.engine import BOM, FileReport, after_bom, mark_overlap
from finetune_ls.core.findings import Finding
from finetune_ls.core.entries import entry_result, is_clean
from finetune_ls.core.rules import RULES
from finetune_ls.lsp.documents.convert import to_diagnostic, to_diagnostics
from finetune_ls.lsp.documents.document import LineDocument
from finetune_ls.lsp.wire.sending import EncodedDiagnostics


_RESULT_IDS = itertools.count(1)  # server-wide, so an id never means two documents' reports
# Documents with more lines have their report made off the event loop, after a pause in typing.
LARGE_LINES = int(os.environ.get("FINETUNE_LS_LARGE_LINES", "20000"))
# Documents with more lines are checked by the worker processes when they are opened (or checked
# again from scratch): in the server, 4,000 lines with their tokens hold the event loop ~0.8 s,
# and 18,000 (20 MB) held it 4.5 s, more than twice the CLI's time for the same file.
BACKGROUND_LINES = min(LARGE_LINES, 4000)
# Documents with more lines have their full report (duplicates, counts) made off the event loop
# after a pause in typing too: on the event loop, 50 ms after a keystroke, the 18,000 lines of a
# 20 MB file held it 30-60 ms, and the keystroke after it waited that long (its p95 was 30-50 ms).
FOLD_ELSEWHERE_LINES = BACKGROUND_LINES
_FILE_CODES = {code for code, rule in RULES.items() if rule.scope == "file"} | {"more-findings"}


@dataclass
class OpenDocument:
    uri: str
    document: LineDocument
    check: DocumentCheck
    role: str = "training"
    diagnostics: list[types.Diagnostic] = field(default_factory=list)
    encoded: EncodedDiagnostics = field(default_factory=EncodedDiagnostics)  # their JSON, as last sent
    result_id: int = 0  # for pull diagnostics: a new one, unique in the server, with every new report
    overrides: dict = field(default_factory=dict)  # model/epochs chosen for this file (code lens)
    loading: bool = False  # a big document's first check is still running; edits wait for it
    load_task: asyncio.Task | None = None  # that check

    @property
    def path(self) -> str:
        return to_fs_path(self.uri) or self.uri

    @property
    def name(self) -> str:
        return os.path.basename(self.path)

    def apply_changes(self, limit: int = 1000) -> bool:
        """Check again the lines the editor changed, and move the diagnostics already sent
        along with the text, replacing those of the changed lines (what a keystroke gets at
        once; the file-level findings follow with the next full report). True when every
        line was checked again."""
        changes = self.document.take_changes()
        if not changes:
            return False
        dirty = self.check.apply(changes, self.document.contents)
        if dirty is None:
            self.refresh_diagnostics(limit)
            return True
        self._patch_diagnostics(changes, dirty)
        return False

    def _patch_diagnostics(self, changes: list[tuple[int, int, int]], dirty: list[int]) -> None:
        """Diagnostics sent before the edits follow them through each edit in turn; those
        of the lines checked again are replaced by their new findings."""
        diagnostics = self.diagnostics
        for start, end, count in changes:
            shift = count - (end - start)
            kept = []
            for diagnostic in diagnostics:
                first, last = diagnostic.range.start.line, diagnostic.range.end.line
                if _is_file_level(diagnostic) or last < start:
                    kept.append(diagnostic)
                elif first >= end:
                    if shift:  # else it stays as it is, and so does its JSON
                        _shift_diagnostic(diagnostic, start, end, shift)
                        self.encoded.forget(diagnostic)
                    kept.append(diagnostic)
            diagnostics = kept
        rechecked = set(dirty)
        diagnostics = [d for d in diagnostics if _is_file_level(d) or d.range.start.line not in rechecked]
        contents, encoding = self.document.contents, self.document.encoding
        for line in dirty:
            for finding in in_text(self.check.line_result(line).findings, line, self.check.bom):
                diagnostics.append(to_diagnostic(finding, self.uri, contents, encoding))
        self.diagnostics = diagnostics
        self.result_id = next(_RESULT_IDS)

    @property
    def large(self) -> bool:
        """Checked in the background, its report made off the event loop after a pause."""
        return len(self.check.entries) > LARGE_LINES

    @property
    def folds_elsewhere(self) -> bool:
        """Its full report is made off the event loop after a pause in typing."""
        return len(self.check.entries) > FOLD_ELSEWHERE_LINES

    def current_report(self) -> FileReport:
        """The report for views (lens, summary): for a big document, the last one made,
        since making it takes a while and is done off the event loop after a pause."""
        if self.folds_elsewhere:
            return self.check.latest_report()
        return self.check.report()

    def report(self, partner: OpenDocument | None = None) -> FileReport:
        """The current report; with its training or validation partner, overlap marked."""
        report = self.check.report()
        if partner is None:
            return report
        own = _copy(report)
        other = _copy(partner.check.report())
        if self.role == "validation":
            mark_overlap(other, own)
        else:
            mark_overlap(own, other)
        return own

    def partial_diagnostics(self, entries: list[tuple], limit: int) -> list[types.Diagnostic]:
        """While a big document is checked: the findings of the lines checked so far."""
        self.diagnostics = line_diagnostics(entries, self.uri, self.document.contents, self.document.encoding, limit)
        self.result_id = next(_RESULT_IDS)
        return self.diagnostics

    def refresh_diagnostics(self, limit: int, partner: OpenDocument | None = None) -> list[types.Diagnostic]:
        report = self.report(partner)
        self.diagnostics = to_diagnostics(report.findings, self.uri, self.document.contents,
                                          self.document.encoding, limit)
        self.result_id = next(_RESULT_IDS)
        return self.diagnostics


def line_diagnostics(entries: list[tuple], uri: str, contents, encoding: str, limit: int) -> list[types.Diagnostic]:
    """The findings of the first len(entries) lines, by themselves (no file-level ones)."""
    bom = bool(contents) and contents[0].startswith(BOM)
    findings = []
    for line, entry in enumerate(entries):
        if not is_clean(entry):
            findings.extend(in_text(entry_result(entry, line).findings, line, bom))
    return to_diagnostics(findings, uri, contents, encoding, limit)


def in_text(findings: list[Finding], line: int, bom: bool) -> list[Finding]:
    """A line's findings placed in the text: the first line was checked without its
    byte-order mark, which the editor's columns count."""
    return [after_bom(finding) for finding in findings] if bom and line == 0 else findings


def _is_file_level(diagnostic: types.Diagnostic) -> bool:
    return diagnostic.code in _FILE_CODES and diagnostic.range.start.line == 0 and diagnostic.range.end.line == 0


def _shift_diagnostic(diagnostic: types.Diagnostic, start: int, end: int, shift: int) -> None:
    """Move a diagnostic after an edit of lines [start, end) that added `shift` lines, with
    the lines its fix edits and its related information point at."""
    def moved(line: int) -> int:
        return line + shift if line >= end else min(line, start + max(0, end - start + shift - 1))

    diagnostic.range.start.line += shift
    diagnostic.range.end.line += shift
    for info in diagnostic.related_information or ():
        info.location.range.start.line = moved(info.location.range.start.line)
        info.location.range.end.line = moved(info.location.range.end.line)
    fix = diagnostic.data.get("fix") if isinstance(diagnostic.data, dict) else None
    if isinstance(fix, dict):
        for edit in fix.get("edits", ()):
            edit[0], edit[2] = moved(edit[0]), moved(edit[2])


def _copy(report: FileReport) -> FileReport:
    """A report whose findings and summary can be added to without touching the cached one."""
    return FileReport(report.path, report.format, list(report.findings), dict(report.summary),
                      report.examples_by_digest, report.bom)
