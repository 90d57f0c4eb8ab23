"""One open document: its lines, its check kept in step with edits, and what was last
sent to the client."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from lsprotocol import types
from pygls.uris import to_fs_path

from finetune_ls.core.document import DocumentCheck
from finetune_ls.core.engine import FileReport, after_bom, mark_overlap
from finetune_ls.core.entries import entry_result, is_clean
from finetune_ls.core.rules import RULES
from finetune_ls.lsp.convert import to_diagnostic, to_diagnostics
from finetune_ls.lsp.document import LineDocument


_FILE_CODES = {code for code, rule in RULES.items() if rule.scope == "file"} | {"more-findings"}


@dataclass
class OpenDocument:
    uri: str
    document: LineDocument
    check: DocumentCheck
    role: str = "training"
    diagnostics: list[types.Diagnostic] = field(default_factory=list)
    result_id: int = 0  # for pull diagnostics: changes with every new report
    overrides: dict = field(default_factory=dict)  # model/epochs chosen for this file (code lens)
    loading: bool = False  # a big document's first check is still running; edits wait for it

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
        everything = False
        for start, end, count in self.document.take_changes():
            everything = self.check.replace(start, end, count, self.document.contents) or everything
            if not everything:
                self._patch_diagnostics(start, end, count)
        if everything:
            self.refresh_diagnostics(limit)
        return everything

    def _patch_diagnostics(self, start: int, end: int, count: int) -> None:
        shift = count - (end - start)
        kept = []
        for diagnostic in self.diagnostics:
            first, last = diagnostic.range.start.line, diagnostic.range.end.line
            if last < start or (first == 0 and last == 0 and diagnostic.code in _FILE_CODES):
                kept.append(diagnostic)
            elif first >= end:
                diagnostic.range.start.line += shift
                diagnostic.range.end.line += shift
                kept.append(diagnostic)
        contents, encoding = self.document.contents, self.document.encoding
        for line in range(start, start + count):
            for finding in self.check.line_result(line).findings:
                if self.check.bom and line == 0:
                    finding = after_bom(finding)
                kept.append(to_diagnostic(finding, self.uri, contents, encoding))
        self.diagnostics = kept
        self.result_id += 1

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
        findings = []
        for line, entry in enumerate(entries):
            if not is_clean(entry):
                findings.extend(entry_result(entry, line).findings)
        self.diagnostics = to_diagnostics(findings, self.uri, self.document.contents, self.document.encoding, limit)
        self.result_id += 1
        return self.diagnostics

    def refresh_diagnostics(self, limit: int, partner: OpenDocument | None = None) -> list[types.Diagnostic]:
        report = self.report(partner)
        self.diagnostics = to_diagnostics(report.findings, self.uri, self.document.contents,
                                          self.document.encoding, limit)
        self.result_id += 1
        return self.diagnostics


def _copy(report: FileReport) -> FileReport:
    """A report whose findings and summary can be added to without touching the cached one."""
    return FileReport(report.path, report.format, list(report.findings), dict(report.summary),
                      report.examples_by_digest, report.bom)
