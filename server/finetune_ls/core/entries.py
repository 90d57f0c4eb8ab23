"""A line's result in its compact, position-free form (an "entry"), and chunks of them.

Every line of a file ends up as an entry: a clean example (no findings) is the
6-tuple (tokens, trained, width, width_utf16, digest, estimated); any other line
is its LineResult encoded by codec.py. Entries are computed at line 0, so they
can be cached by content, sent between processes, and kept per line by the
language server while lines move; decoding shifts them to their line.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field

from collections.abc import Container, Sequence

from finetune_ls.core.analysis import (
    EXAMPLE, UNPARSED, FileContext, LineResult, PlainExample, analyze_line, count_plain, counter_for, parse,
    plain_example,
)
from finetune_ls.core.shapes import CHAT, REINFORCEMENT
from finetune_ls.core.codec import decode_result, encode_result
from finetune_ls.core.private_scan import available as scan_available, suspect_lines

CLEAN_LENGTH = 6
CONVERSATIONS = (CHAT, REINFORCEMENT)  # formats whose lines TemplateCounter renders as `messages`


def line_entry(raw: bytes | str, ctx: FileContext, private_suspect: bool = True) -> tuple:
    """Check one line (without its break) and return its entry. Never raises."""
    value = parse(raw)
    if value is not UNPARSED and not ctx.keep_text:
        try:
            example = plain_example(value, raw, ctx, private_suspect=private_suspect)
            if example is not None:
                # (an open-weight chat template may refuse the example: the full analysis reports it)
                return count_plain(example, ctx)
        except Exception:  # noqa: BLE001 - the full analysis below never raises and reports it
            pass
    return _analysed_entry(raw, ctx, value, private_suspect)


def _analysed_entry(raw: bytes | str, ctx: FileContext, value: object, private_suspect: bool = True) -> tuple:
    result = analyze_line(raw, 0, ctx, value, private_suspect)
    if result.kind == EXAMPLE and not result.findings and not result.images and result.text is None:
        return (result.tokens, result.trained, result.width, result.width_utf16, result.digest, result.estimated)
    return encode_result(result)


def line_entries(lines: Sequence[bytes | str], ctx: FileContext) -> list[tuple]:
    """The entries of many lines, as `line_entry` gives them one by one. For an open-weight target
    the plain examples' tokens are counted together (TemplateCounter.plain_batch): encoding the
    renderings is most of the check, and one call of the tokenizer costs less than one per line."""
    suspects = _private_suspects(lines, ctx)
    counter = counter_for(ctx) if ctx.tokenizer is not None and ctx.encoding is not None else None
    if counter is None or ctx.keep_text:
        return _entries_in_batches(lines, ctx, suspects)
    entries: list = [None] * len(lines)
    plain: list[tuple[int, PlainExample]] = []
    analysed: list[tuple[int, object]] = []  # (index, parsed value) of the lines the full analysis checks
    _sort_lines(lines, range(len(lines)), ctx, suspects, plain, analysed, fit_checked_later=True)
    conversations = [value for _, value in analysed
                     if ctx.format in CONVERSATIONS and value.__class__ is dict and value.get("messages").__class__ is list]
    with counter.counted_ahead(conversations):
        for index, value in analysed:
            entries[index] = _analysed_entry(lines[index], ctx, value, index in suspects)
    trained_roles = ("assistant",) if ctx.format == CHAT else ()
    try:
        counts = counter.plain_batch([example.messages for _, example in plain], trained_roles)
    except Exception:  # noqa: BLE001 - one by one: the full analysis reports what went wrong
        counts = [None] * len(plain)
    for (index, example), counted in zip(plain, counts):
        if counted is None or (example.may_exceed and counted[0] > ctx.context_limit):
            # refused by the template, or over the context: the full analysis says where it is cut
            entries[index] = line_entry(lines[index], ctx, index in suspects)
        else:
            entries[index] = (counted[0], counted[1], example.width, example.width_utf16, example.digest, False)
    return entries


def _sort_lines(lines: Sequence[bytes | str], indices: range, ctx: FileContext, suspects: Container[int],
                plain: list, analysed: list, fit_checked_later: bool = False) -> None:
    """Parse the lines at `indices`; append (index, PlainExample) to `plain` for those that are
    plain examples, (index, parsed value or UNPARSED) to `analysed` for the full analysis."""
    for index in indices:
        raw = lines[index]
        value = parse(raw)
        example = None
        if value is not UNPARSED and not ctx.keep_text:
            try:
                example = plain_example(value, raw, ctx, fit_checked_later, private_suspect=index in suspects)
            except Exception:  # noqa: BLE001 - the full analysis never raises and reports it
                example = None
        if example is None:
            analysed.append((index, value))
        else:
            plain.append((index, example))


BATCH_LINES = 64


def _entries_in_batches(lines: Sequence[bytes | str], ctx: FileContext, suspects: Container[int]) -> list[tuple]:
    """`line_entry` of every line, in batches: a few lines parsed and checked, then their plain
    examples' tokens counted in one go. Measured on the bench file, this costs about a tenth less
    CPU than parsing, checking and counting line by line (bench/README.md, issue 17): the
    tokenizer's code and tables stay in the processor's caches between its calls."""
    entries: list = [None] * len(lines)
    for start in range(0, len(lines), BATCH_LINES):
        plain, analysed = [], []
        _sort_lines(lines, range(start, min(start + BATCH_LINES, len(lines))), ctx, suspects, plain, analysed)
        for index, example in plain:
            try:
                entries[index] = count_plain(example, ctx)
            except Exception:  # noqa: BLE001 - as line_entry: the full analysis reports it
                analysed.append((index, UNPARSED))
        for index, value in analysed:
            entries[index] = _analysed_entry(lines[index], ctx, value, index in suspects)
    return entries


class _EveryLine:
    """Every index: the privacy rules' own test decides for each line."""

    def __contains__(self, index: object) -> bool:
        return True


EVERY_LINE = _EveryLine()


def _private_suspects(lines: Sequence[bytes | str], ctx: FileContext) -> Container[int]:
    """The lines the privacy rules need to look at, by one scan of them all; EVERY_LINE when the
    rules are off (they look at none) or the scan is not available. Lines held as text (the
    language server's) are scanned in UTF-8, as privacy.may_hold_private tests them."""
    if not ctx.privacy or ctx.keep_text or not lines or not scan_available():
        return EVERY_LINE
    if any(line.__class__ is not bytes for line in lines):
        lines = [line if line.__class__ is bytes else line.encode("utf-8", "surrogatepass") for line in lines]
    found = suspect_lines(lines)
    return EVERY_LINE if found is None else found


def is_clean(entry: tuple) -> bool:
    return len(entry) == CLEAN_LENGTH


def entry_tokens(entry: tuple) -> tuple[int, int]:
    """(tokens, trained tokens) of a line's entry."""
    return (entry[0], entry[1]) if is_clean(entry) else (entry[2], entry[3])


def entry_result(entry: tuple, line: int) -> LineResult:
    """The entry as a LineResult placed at `line`."""
    if is_clean(entry):
        tokens, trained, width, width_utf16, digest, estimated = entry
        return LineResult(EXAMPLE, [], None, tokens, trained, 0, estimated, digest, width, width_utf16)
    return decode_result(entry, line)


@dataclass
class Chunk:
    """The entries of consecutive lines, aggregated: arrays for the many clean examples,
    the other entries as they are. Line numbers are local to the chunk."""

    lines: int = 0
    clean: array = field(default_factory=lambda: array("l"))  # lines holding a clean example
    tokens: array = field(default_factory=lambda: array("q"))
    trained: array = field(default_factory=lambda: array("q"))
    widths: array = field(default_factory=lambda: array("l"))
    widths_utf16: array = field(default_factory=lambda: array("l"))
    digests: bytearray = field(default_factory=bytearray)  # 16 bytes per clean example
    estimated: bool = False
    other: list = field(default_factory=list)  # (line, encoded LineResult) for every other line


def chunk_of(entries: list[tuple]) -> Chunk:
    chunk = Chunk(len(entries))
    clean = []
    for number, entry in enumerate(entries):
        if len(entry) == CLEAN_LENGTH:
            chunk.clean.append(number)
            clean.append(entry)
        else:
            chunk.other.append((number, entry))
    if clean:  # column by column, in C: the clean examples are most lines of a big file
        tokens, trained, widths, widths_utf16, digests, estimated = zip(*clean)
        chunk.tokens.extend(tokens)
        chunk.trained.extend(trained)
        chunk.widths.extend(widths)
        chunk.widths_utf16.extend(widths_utf16)
        chunk.digests += b"".join(digests)
        chunk.estimated = any(estimated)
    return chunk


_ARRAYS = ("clean", "tokens", "trained", "widths", "widths_utf16")


def chunk_record(chunk: Chunk) -> tuple:
    """The chunk as values marshal writes (the whole-file cache): arrays as their bytes."""
    return (chunk.lines, *(getattr(chunk, name).tobytes() for name in _ARRAYS), bytes(chunk.digests),
            chunk.estimated, chunk.other)


def chunk_from_record(record: tuple) -> Chunk:
    """Raises ValueError or TypeError on a record that is not one chunk_record wrote."""
    lines, *arrays, digests, estimated, other = record
    chunk = Chunk(lines, estimated=bool(estimated), other=list(other), digests=bytearray(digests))
    for name, data in zip(_ARRAYS, arrays, strict=True):
        getattr(chunk, name).frombytes(data)
    if not len(chunk.clean) == len(chunk.tokens) == len(chunk.trained) == len(chunk.widths) \
            == len(chunk.widths_utf16) == len(chunk.digests) // 16:
        raise ValueError("a chunk record whose columns differ in length")
    return chunk
