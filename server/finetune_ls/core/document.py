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
        self._stale: FileReport | None = None  # the last report, until a new one is made
        self._folding: FileAggregator | None = None  # the report folded as entries come (add_entries)

    # ------------------------------------------------------------ input
    def open(self, lines: Sequence[str], entries: list[tuple] | None = None) -> None:
        """Check every line. `lines` are the document's lines by LSP rules, without their
        breaks (a final break leaves an empty last line). `entries`: already computed
        (e.g. by worker processes) for the current plan."""
        self.contents = lines
        self.plan = plan_check(format_sample(self._analysed(lines)), self.settings)
        self.entries = entries if entries is not None else [self._entry(i) for i in range(len(lines))]
        self._report = None
        self._folding = None

    def open_streamed(self, lines: Sequence[str]) -> None:
        """Start a document whose entries come later, in line order, with `add_entries` (a
        big one's, from the workers). The report is folded as they come, as the CLI folds
        its chunks, so it is nearly made when the last arrive."""
        self.open(lines, entries=[])
        self._folding = FileAggregator(self.plan.context)

    def add_entries(self, entries: list[tuple]) -> None:
        """The entries of the lines after those added so far (see `open_streamed`)."""
        if not self.entries and entries and self.bom:  # checked as it is by whoever checked it; read without the mark
            entries = [self._entry(0), *entries[1:]]
        self.entries.extend(entries)
        self._report = None  # one made meanwhile (a partner's overlap, say) lacked these lines
        if self._folding is not None:
            if len(self.entries) == len(self.contents) and self.contents[-1] == "":
                entries = entries[:-1]  # the empty "line" after a final line break is no line
            self._folding.append_chunk(chunk_of(entries))

    def replace(self, start: int, end: int, count: int, lines: Sequence[str]) -> bool:
        """One edit (see `apply`). Returns whether every line was checked again."""
        return self.apply([(start, end, count)], lines) is None

    def apply(self, changes: Sequence[tuple[int, int, int]], lines: Sequence[str]) -> list[int] | None:
        """Edits, in order: lines [start, end) of the document as it was before each became
        `count` lines from `start`; `lines` is the document after all of them. Only the
        lines the edits left are checked again (against this final text), unless an edit
        changed the file's format (it reaches into the lines the format is decided from):
        then every line is. Returns the lines checked again, or None for all of them."""
        self.contents = lines
        if any(start < FORMAT_SAMPLE_LINES * 4 for start, _, _ in changes) and \
                any(start < self._sample_extent() for start, _, _ in changes):
            plan = plan_check(format_sample(self._analysed(lines)), self.settings)
            if plan != self.plan:
                self.open(lines)
                return None
        dirty: list[int] = []
        first: int | None = 0  # where the old first line went: it was read without a byte-order mark
        for start, end, count in changes:
            shift = count - (end - start)
            dirty = [line if line < start else line + shift for line in dirty if not start <= line < end]
            dirty.extend(range(start, start + count))
            if first is not None and first >= start:
                first = None if first < end else first + shift
            self.entries[start:end] = [None] * count
        self._folding = None  # folded from entries that are no longer all there
        # A byte-order mark may have come or gone with the first line, or moved off it.
        if first != 0:
            dirty.extend(line for line in (0, first) if line is not None and line < len(self.entries))
        dirty = sorted(set(dirty))
        for line in dirty:
            self.entries[line] = self._entry(line)
        self._stale, self._report = self._report or self._stale, None
        return dirty

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

    def latest_report(self) -> FileReport:
        """The report as of the last time one was made (for big documents, whose report is
        made elsewhere after a pause), or the current one if there is none yet."""
        if self._report is None and self._stale is not None:
            return self._stale
        return self.report()

    def _fold(self) -> FileReport:
        seen = 0  # a NUL in the first BINARY_PROBE_BYTES characters: a binary file, one finding
        for line in self.contents:
            nul = line.find("\x00", 0, BINARY_PROBE_BYTES - seen)
            if nul >= 0:
                return binary_report(self.path, seen + nul, self.settings)
            seen += len(line) + 1
            if seen >= BINARY_PROBE_BYTES:
                break
        aggregator = self._folding if len(self.entries) == len(self.contents) else None
        if aggregator is not None:
            self._folding = None  # finish_report closes it
        else:
            entries = self.entries
            if self.contents and self.contents[-1] == "":
                entries = entries[:-1]  # the empty "line" after a final line break is no line
            aggregator = FileAggregator(self.plan.context)
            aggregator.add_chunk(0, chunk_of(entries))
        return finish_report(self.path, self.plan, aggregator, self.settings, self.bom)

    def snapshot(self) -> DocumentCheck:
        """A copy whose report can be made in another thread while this one is edited."""
        copy = DocumentCheck(self.path, self.settings)
        # The contents' own copy: the language server's lines are stored compactly, and
        # list() would turn every one of them back into text.
        contents = self.contents.copy() if hasattr(self.contents, "copy") else list(self.contents)
        copy.plan, copy.entries, copy.contents = self.plan, list(self.entries), contents
        return copy

    def adopt(self, report: FileReport) -> None:
        """Take a report made from a snapshot (the caller checked nothing changed since)."""
        self._report = report

    def line_result(self, index: int):
        """The result of one line, placed at its line (for hovers and hints)."""
        return entry_result(self.entries[index], index)
