"""Line analysis of a file by chunks, over a pool of processes for big files.

Tokenisation is ~87% of the work and parsing and checks hold the GIL, so
threads gain little; processes over byte ranges reach the floor (measured in
../shared/reference/perf-probe.md). Workers are forked so they share the
loaded encodings, schemas and cache with the parent, read their own byte
range, write their own cache shard, and send back a compact Chunk: arrays for
the many clean examples, full results only for lines with something to say.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator

from finetune_ls.core.analysis import FileContext, counter_for
from finetune_ls.core import private_scan
from finetune_ls.core.cache import LineCache, line_key
from finetune_ls.core.entries import Chunk, chunk_of, line_entries
from finetune_ls.core.lines import split_lines_bytes
from finetune_ls.core.regular_files import open_regular
from finetune_ls.core.schemas import validator
from finetune_ls.core.shapes import FORMATS

PARALLEL_MIN_BYTES = 2 * 1024 * 1024
CHUNKS_PER_WORKER = 8
MIN_CHUNK_BYTES = 512 * 1024
MAX_CHUNK_BYTES = 8 * 1024 * 1024  # what one process holds at a time: memory does not grow with the file

# Set in the parent just before forking; the workers inherit them.
_source: bytes | str | None = None
_cached: dict[bytes, tuple] | None = None
_cache: LineCache | None = None


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return os.cpu_count() or 1


def can_fork() -> bool:
    # fork is the only start method whose workers share the parent's memory for
    # free; it is safe on Linux, not on macOS (system frameworks) or Windows.
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def _read(source: bytes | str, start: int, end: int) -> bytes:
    if isinstance(source, bytes):
        return source[start:end]
    with open_regular(source) as handle:  # a file replaced meanwhile by a device or a pipe is refused
        handle.seek(start)
        return handle.read(end - start)


def chunk_ranges(source: bytes | str, start: int, size: int, jobs: int) -> list[tuple[int, int]]:
    """Byte ranges that end just after a \\n, so no line (and no \\r\\n) is cut."""
    if jobs <= 1:
        target = 2 * MIN_CHUNK_BYTES
    else:
        target = min(MAX_CHUNK_BYTES, max(MIN_CHUNK_BYTES, (size - start) // (jobs * CHUNKS_PER_WORKER)))
    ranges = []
    position = start
    while position < size:
        end = min(size, position + target)
        while end < size:
            probe = _read(source, end, min(size, end + 1024 * 1024))
            newline = probe.find(b"\n")
            if newline >= 0:
                end += newline + 1
                break
            end += len(probe)
        ranges.append((position, end))
        position = end
    return ranges


def analyze_range(source: bytes | str, start: int, end: int, ctx: FileContext, cached: dict[bytes, tuple] | None,
                  cache: LineCache | None = None, index: int = 0) -> Chunk:
    data = _read(source, start, end)
    lines = split_lines_bytes(data)
    del data
    if lines and lines[-1] == b"" and end > start:
        lines.pop()  # the break ends the last line; no line follows it in this range
    hashing = cache is not None or cached is not None
    keys = [line_key(raw) for raw in lines] if hashing else None
    entries: list = [None] * len(lines)
    missing = []  # the lines the cache does not hold, checked together (entries.line_entries)
    for number in range(len(lines)):
        entry = cached.get(keys[number]) if cached is not None else None
        if entry is None:
            missing.append(number)
        else:
            entries[number] = entry
    for number, entry in zip(missing, line_entries([lines[number] for number in missing], ctx)):
        entries[number] = entry
    if cache is not None:
        cache.write_shard(index, dict(zip(keys, entries)))
    return chunk_of(entries)


def analyze_file_range(task: tuple[str, int, int, int, FileContext, LineCache | None]) -> Chunk:
    """A byte range of a file on disk, in a worker that was not forked for this check (the
    language server's pool): it reads its range and the cache shards around its own itself."""
    path, index, start, end, ctx, cache = task
    cached = cache.load_around(index) if cache is not None else None
    return analyze_range(path, start, end, ctx, cached, cache, index)


def _work(task: tuple[int, int, int, FileContext]) -> Chunk:
    index, start, end, ctx = task
    return analyze_range(_source, start, end, ctx, _cached, _cache, index)  # type: ignore[arg-type]


def _warm(ctx: FileContext) -> None:
    """Load what every worker needs once, in the parent, before forking."""
    if ctx.encoding:
        counter_for(ctx)
    if ctx.privacy:
        private_scan.prepare()
    for fmt in FORMATS:
        validator(fmt)


def analyze_source(source: bytes | str, start: int, size: int, ctx: FileContext, cache: LineCache | None,
                   jobs: int, progress: Callable[[int, int], None] | None = None) -> Iterator[Chunk]:
    """Chunks in file order, from a pool of forked workers when it pays."""
    global _source, _cached, _cache
    ranges = chunk_ranges(source, start, size, jobs)
    cached = cache.load() if cache is not None else None
    try:
        if jobs <= 1 or size - start < PARALLEL_MIN_BYTES or len(ranges) < 2 or not can_fork():
            for index, (begin, end) in enumerate(ranges):
                yield analyze_range(source, begin, end, ctx, cached, cache, index)
                if progress:
                    progress(end, size)
            return
        _warm(ctx)
        _source, _cached, _cache = source, cached, cache
        pool = multiprocessing.get_context("fork").Pool(min(jobs, len(ranges)))
        try:
            tasks = [(index, begin, end, ctx) for index, (begin, end) in enumerate(ranges)]
            for (_, end), chunk in zip(ranges, pool.imap(_work, tasks)):
                yield chunk
                if progress:
                    progress(end, size)
            pool.close()
        finally:
            pool.terminate()
            pool.join()
            _source = _cached = _cache = None
    finally:
        if cache is not None:
            cache.keep_only(len(ranges))
