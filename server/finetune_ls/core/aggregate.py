"""File-level results built from per-line results, streamed in line order:
records spread over lines, blank lines, duplicates, and the running counts."""

from __future__ import annotations

import json
from array import array
from dataclasses import dataclass, field
from typing import NamedTuple

from finetune_ls.core import rules as R
from finetune_ls.core.analysis import BLANK, BROKEN, OTHER, FileContext, LineResult, example_digest, counter_for
from finetune_ls.core.codec import decode_result
from finetune_ls.core.findings import Finding, Fix, Related, TextEdit
from finetune_ls.core.lines import utf16_length
from finetune_ls.core.records import ARRAY, MULTILINE, Record, recover
from finetune_ls.core.shapes import line_shape, shape_format


@dataclass
class FileStats:
    lines: int = 0
    examples: int = 0
    tokens: int = 0
    trained: int = 0
    example_tokens: array = field(default_factory=lambda: array("q"))
    longest_line: int | None = None
    longest_tokens: int = 0
    over_limit: int = 0
    images: int = 0
    examples_with_images: int = 0
    estimated: bool = False
    mixed_lines: int = 0


class ExampleLine(NamedTuple):
    """Where an example's identity lives, for duplicates and validation overlap."""

    line: int
    width: int
    width_utf16: int


class ExampleIndex:
    """The first line of every distinct example, by digest. It grows with the number of
    examples, so it is kept compact: a dict to a slot, and the lines and widths in arrays."""

    def __init__(self):
        self._slots: dict[bytes, int] = {}
        self._lines = array("q")
        self._widths = array("l")
        self._widths_utf16 = array("l")

    def add(self, digest: bytes, line: int, width: int, width_utf16: int) -> ExampleLine | None:
        """Record an example; returns its first copy when it has been seen before."""
        slot = self._slots.get(digest)
        if slot is not None:
            return self[digest]
        self._slots[digest] = len(self._lines)
        self._lines.append(line)
        self._widths.append(width)
        self._widths_utf16.append(width_utf16)
        return None

    def add_block(self, digests: list[bytes], lines: list[int], widths, widths_utf16) \
            -> list[tuple[int, ExampleLine]]:
        """Record many examples; returns (index in the block, first copy) of those seen before.
        A block of distinct new examples, the common case, goes in by dict and array calls."""
        fresh = dict.fromkeys(digests)
        if len(fresh) == len(digests) and self._slots.keys().isdisjoint(fresh):
            base = len(self._lines)
            self._slots.update(zip(digests, range(base, base + len(digests))))
            self._lines.extend(lines)
            self._widths.extend(widths)
            self._widths_utf16.extend(widths_utf16)
            return []
        seen = []
        for index, digest in enumerate(digests):
            first = self.add(digest, lines[index], widths[index], widths_utf16[index])
            if first is not None:
                seen.append((index, first))
        return seen

    def __getitem__(self, digest: bytes) -> ExampleLine:
        slot = self._slots[digest]
        return ExampleLine(self._lines[slot], self._widths[slot], self._widths_utf16[slot])

    def keys(self):
        return self._slots.keys()

    def __len__(self) -> int:
        return len(self._lines)


class FileAggregator:
    """Feed it every line's result in order with `add`, then call `close`."""

    def __init__(self, ctx: FileContext):
        self.ctx = ctx
        self.findings: list[Finding] = []
        self.stats = FileStats()
        self.examples_by_digest = ExampleIndex()
        self._run: list[tuple[int, LineResult]] = []

    # ------------------------------------------------------------------ input
    def add(self, line: int, result: LineResult) -> None:
        self.stats.lines = max(self.stats.lines, line + 1)
        if self._joins_run(result):
            self._run.append((line, result))
        else:
            self._flush()
            self._take(line, result)

    def _joins_run(self, result: LineResult) -> bool:
        """Whether the line may be part of a record spread over lines. A broken line that
        its own repairs make a whole example stands alone (else every such line would
        start a scan over the rest of the file)."""
        if result.kind == BLANK:
            return bool(self._run)
        if result.text is None:
            return False
        if self.ctx.keep_text:
            return True
        return result.kind == OTHER or (result.kind == BROKEN and not result.repaired)

    def append_chunk(self, chunk) -> None:
        """Add the chunk of the lines that follow those added so far."""
        self.add_chunk(self.stats.lines, chunk)

    def add_chunk(self, offset: int, chunk) -> None:
        """Add a parallel.Chunk whose first line is line `offset`: its clean examples in
        blocks, every other line one by one, all in line order."""
        clean = chunk.clean
        position = 0
        for local, encoded in chunk.other:
            end = position
            while end < len(clean) and clean[end] < local:
                end += 1
            if end > position:
                self._clean_block(offset, chunk, position, end)
                position = end
            self.add(offset + local, decode_result(encoded, offset + local))
        if position < len(clean):
            self._clean_block(offset, chunk, position, len(clean))
        self.stats.lines = max(self.stats.lines, offset + chunk.lines)

    def _clean_block(self, offset: int, chunk, start: int, end: int) -> None:
        """Examples without findings: counted in bulk, checked one by one only for duplicates."""
        if self._run:
            self._flush()
        stats = self.stats
        tokens = chunk.tokens[start:end]
        stats.examples += end - start
        stats.tokens += sum(tokens)
        stats.trained += sum(chunk.trained[start:end])
        stats.example_tokens.extend(tokens)
        stats.estimated = stats.estimated or chunk.estimated
        longest = max(tokens)
        if longest > stats.longest_tokens or stats.longest_line is None:
            stats.longest_tokens = longest
            stats.longest_line = offset + chunk.clean[start + tokens.index(longest)]
        if self.ctx.context_limit:
            limit = self.ctx.context_limit
            stats.over_limit += sum(1 for count in tokens if count > limit)
        block = bytes(chunk.digests[16 * start : 16 * end])
        digests = [block[at : at + 16] for at in range(0, len(block), 16)]
        lines = [offset + local for local in chunk.clean[start:end]]
        widths, widths16 = chunk.widths[start:end], chunk.widths_utf16[start:end]
        for index, first in self.examples_by_digest.add_block(digests, lines, widths, widths16):
            self._duplicate(lines[index], first, widths[index], widths16[index])

    def close(self) -> None:
        self._flush()

    # ------------------------------------------------------------------ lines
    def _take(self, line: int, result: LineResult) -> None:
        if result.kind == BLANK:
            self._blank(line, result)
            return
        self.findings.extend(result.findings)
        if result.kind == OTHER and result.shape is not None:
            self.stats.mixed_lines += 1
        if result.kind == OTHER and result.text and any(f.code == R.JSON_ARRAY.code for f in result.findings):
            for value in json.loads(result.text):  # the examples of a one-line JSON array count
                self._count_recovered(line, value, result.width, result.width_utf16)
        if result.shape is None or result.kind == OTHER:
            return
        self._count(line, result.tokens, result.trained, result.images, result.estimated)
        if result.digest is not None:
            first = self.examples_by_digest.add(result.digest, line, result.width, result.width_utf16)
            if first is not None:
                self._duplicate(line, first, result.width, result.width_utf16)

    def _duplicate(self, line: int, first: ExampleLine, width: int, width_utf16: int) -> None:
        self.findings.append(Finding(
            R.DUPLICATE_EXAMPLE.code, R.DUPLICATE_EXAMPLE.severity,
            f"The same example as line {first.line + 1}: duplicates over-weight one example and are billed "
            "again. Delete this copy.",
            line, 0, line, width, 0, width_utf16, None, "line",
            Fix("Delete the duplicate line", (TextEdit(line, 0, line + 1, 0, ""),)),
            (Related(first.line, "first copy of this example"),)))

    def _count(self, line: int, tokens: int, trained: int, images: int, estimated: bool) -> None:
        stats = self.stats
        stats.examples += 1
        stats.tokens += tokens
        stats.trained += trained
        stats.example_tokens.append(tokens)
        if tokens > stats.longest_tokens or stats.longest_line is None:
            stats.longest_tokens, stats.longest_line = tokens, line
        if self.ctx.context_limit and tokens > self.ctx.context_limit:
            stats.over_limit += 1
        stats.images += images
        stats.examples_with_images += 1 if images else 0
        stats.estimated = stats.estimated or estimated

    def _blank(self, line: int, result: LineResult) -> None:
        self.findings.append(Finding(
            R.BLANK_LINE.code, R.BLANK_LINE.severity,
            "Empty line: a JSONL file has one example on every line. Delete it.",
            line, 0, line, result.width, 0, result.width_utf16, None, "line",
            Fix("Delete the empty line", (TextEdit(line, 0, line + 1, 0, ""),))))

    # ------------------------------------------------------------------ records
    def _flush(self) -> None:
        run, self._run = self._run, []
        if not run:
            return
        texts = ["" if result.kind == BLANK else result.text for _, result in run]
        covered: set[int] = set()
        for record in recover(texts):
            covered.update(range(record.first, record.last + 1))
            self._record(record, run)
        for index, (line, result) in enumerate(run):
            if index not in covered:
                self._take(line, result)

    def _record(self, record: Record, run: list[tuple[int, LineResult]]) -> None:
        first_line, last_line = run[record.first][0], run[record.last][0]
        first_text, last_text = run[record.first][1].text or "", run[record.last][1].text or ""
        start = len(first_text) - len(first_text.lstrip())
        span = f"lines {first_line + 1}-{last_line + 1}"
        is_example = any(shape_format(line_shape(value, self.ctx.target), self.ctx.format, self.ctx.target) for value in record.examples)
        if record.kind == ARRAY:
            rule, title = R.JSON_ARRAY, "Convert the JSON array to JSONL"
            message = (f"{span.capitalize()} are one JSON array of {len(record.examples)} examples (a .json file), not "
                       "JSONL: OpenAI needs one example object per line. Convert it (quick fix).")
        elif record.kind == MULTILINE:
            rule, title = R.MULTILINE_RECORD, "Join the object into one line"
            what = "one example" if is_example else "one JSON object (not a whole example)"
            message = (f"{span.capitalize()} hold {what} written over several lines; JSONL needs each example as one "
                       "object on a single line (write it with json.dumps without indent). Join it (quick fix).")
        else:
            rule, title = R.SPLIT_RECORD, "Join the lines, writing the line breaks as \\n"
            message = (f"Raw line breaks inside a string split this example over {span}; inside JSON strings a line "
                       "break must be written as \\n. Join the lines (quick fix).")
        self.findings.append(Finding(
            rule.code, rule.severity, message, first_line, start, last_line, len(last_text),
            utf16_length(first_text[:start]), utf16_length(last_text), None, "line",
            Fix(title, (TextEdit(first_line, 0, last_line, len(last_text), record.replacement),))))
        for value in record.examples:
            self._count_recovered(first_line, value, len(first_text), utf16_length(first_text))

    def _count_recovered(self, line: int, value: object, width: int, width_utf16: int) -> None:
        """An example inside a recovered record counts (examples, tokens) but is
        checked in full only once it is written as JSONL."""
        fmt = shape_format(line_shape(value, self.ctx.target), self.ctx.format, self.ctx.target)
        if fmt != self.ctx.format or not isinstance(value, dict):
            return
        tokens = trained = 0
        estimated = False
        if self.ctx.encoding:
            counted = counter_for(self.ctx).count(value, fmt)
            tokens, trained, estimated = counted.total, counted.trained, counted.estimated
        self._count(line, tokens, trained, 0, estimated)
        self.examples_by_digest.add(example_digest(value), line, width, width_utf16)
