"""A document's check kept in step with its edits: the language server's core.

Each line's result is kept as an entry (entries.py); an edit recomputes only the
entries of the lines it touched, and the report is folded from the entries
without checking any other line again. The same code checks a whole text
(`engine.check_text`), so the editor and the CLI always agree.
"""

from __future__ import annotations

from collections.abc import Sequence

from finetune_ls.core.aggregate import FileAggregator
from finetune_ls.core.engine import (
    BINARY_PROBE_BYTES, BOM, FORMAT_SAMPLE_LINES, CheckSettings, FileReport, Plan, binary_report, finish_report,
    format_sample, plan_check,
)
from finetune_ls.core.entries import chunk_of, entry_result, line_entry


class DocumentCheck:
    """Per-line entries for every line of one document, and its report."""

    def __init__(self, path: str, settings: CheckSettings):
        self.path = path
        self.settings = settings
        self.plan: Plan | None = None
        self.entries: list[tuple] = []
        self.contents: Sequence[str] = ()
        self._report: FileReport | None = None

    # ------------------------------------------------------------ input
    def open(self, lines: Sequence[str], entries: list[tuple] | None = None) -> None:
        """Check every line. `lines` are the document's lines by LSP rules, without their
        breaks (a final break leaves an empty last line). `entries`: already computed
        (e.g. by worker processes) for the current plan."""
        self.contents = lines
        self.plan = plan_check(format_sample(self._analysed(lines)), self.settings)
        self.entries = entries if entries is not None else [self._entry(i) for i in range(len(lines))]
        self._report = None

    def replace(self, start: int, end: int, count: int, lines: Sequence[str]) -> bool:
        """Lines [start, end) of the old document became `count` lines from `start` in the
        new one (`lines`, all of it). Only those are checked again, unless the edit changed
        the file's format (it reaches into the lines the format is decided from): then
        every line is. Returns whether everything was checked again."""
        self.contents = lines
        if start < self._sample_extent():
            plan = plan_check(format_sample(self._analysed(lines)), self.settings)
            if plan != self.plan:
                self.open(lines)
                return True
        self.entries[start:end] = [self._entry(i) for i in range(start, start + count)]
        if start == 0 and self.entries:
            self.entries[0] = self._entry(0)  # a byte-order mark may have come or gone
        self._report = None
        return False

    def _sample_extent(self) -> int:
        """How many lines the format sample reads (up to the FORMAT_SAMPLE_LINES-th non-blank one)."""
        seen = 0
        for index, line in enumerate(self.contents):
            if line.strip():
                seen += 1
                if seen >= FORMAT_SAMPLE_LINES:
                    return index + 1
        return len(self.contents) + 1

    def _analysed(self, lines: Sequence[str]) -> Sequence[str]:
        """The lines as they are analysed: without a leading byte-order mark."""
        if lines and lines[0].startswith(BOM):
            return [lines[0][1:], *lines[1:FORMAT_SAMPLE_LINES * 2]]
        return lines

    def _entry(self, index: int) -> tuple:
        line = self.contents[index]
        if index == 0 and line.startswith(BOM):
            line = line[1:]
        return line_entry(line, self.plan.context)

    # ------------------------------------------------------------ output
    @property
    def bom(self) -> bool:
        return bool(self.contents) and self.contents[0].startswith(BOM)

    def report(self) -> FileReport:
        """Findings and summary of the document as it is now."""
        if self._report is None:
            self._report = self._fold()
        return self._report

    def _fold(self) -> FileReport:
        seen = 0  # a NUL in the first BINARY_PROBE_BYTES characters: a binary file, one finding
        for line in self.contents:
            nul = line.find("\x00", 0, BINARY_PROBE_BYTES - seen)
            if nul >= 0:
                return binary_report(self.path, seen + nul, self.settings)
            seen += len(line) + 1
            if seen >= BINARY_PROBE_BYTES:
                break
        entries = self.entries
        if self.contents and self.contents[-1] == "":
            entries = entries[:-1]  # the empty "line" after a final line break is no line
        aggregator = FileAggregator(self.plan.context)
        aggregator.add_chunk(0, chunk_of(entries))
        return finish_report(self.path, self.plan, aggregator, self.settings, self.bom)

    def snapshot(self) -> DocumentCheck:
        """A copy whose report can be made in another thread while this one is edited."""
        copy = DocumentCheck(self.path, self.settings)
        copy.plan, copy.entries, copy.contents = self.plan, list(self.entries), list(self.contents)
        return copy

    def adopt(self, report: FileReport) -> None:
        """Take a report made from a snapshot (the caller checked nothing changed since)."""
        self._report = report

    def line_result(self, index: int):
        """The result of one line, placed at its line (for hovers and hints)."""
        return entry_result(self.entries[index], index)
