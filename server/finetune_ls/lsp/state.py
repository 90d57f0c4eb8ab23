"""One open document: its lines, its check kept in step with edits, and what was last
sent to the client."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from lsprotocol import types
from pygls.uris import to_fs_path

from finetune_ls.core.document import DocumentCheck
from finetune_ls.core.engine import FileReport, mark_overlap
from finetune_ls.lsp.convert import to_diagnostics
from finetune_ls.lsp.document import LineDocument


@dataclass
class OpenDocument:
    uri: str
    document: LineDocument
    check: DocumentCheck
    role: str = "training"
    diagnostics: list[types.Diagnostic] = field(default_factory=list)
    result_id: int = 0  # for pull diagnostics: changes with every new report
    overrides: dict = field(default_factory=dict)  # model/epochs chosen for this file (code lens)

    @property
    def path(self) -> str:
        return to_fs_path(self.uri) or self.uri

    @property
    def name(self) -> str:
        return os.path.basename(self.path)

    def apply_changes(self) -> bool:
        """Check again the lines the editor changed. True when every line was checked again."""
        everything = False
        for start, end, count in self.document.take_changes():
            everything = self.check.replace(start, end, count, self.document.contents) or everything
        return everything

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
