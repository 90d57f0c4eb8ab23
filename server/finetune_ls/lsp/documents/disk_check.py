"""A file checked from disk by the worker processes, a byte range each, as the CLI checks it.

VS Code does not hand documents over 50 MB to extensions, so this is how its users
see a big file's findings. Each worker reads its own range (nothing big passes
through the server) and the shards of the CLI's line cache around its own, so a file
checked before, by either, is checked again quickly.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable

from finetune_ls.core.aggregate import FileAggregator
from finetune_ls.core.cache import LineCache, file_stat
from finetune_ls.core.engine import (
    CheckSettings, FileReport, check_path, finish_report, plan_source, store_chunks, stored_file,
)
from finetune_ls.core.entries import chunk_record
from finetune_ls.core.parallel import analyze_file_range, chunk_ranges
from finetune_ls.core.regular_files import regular_size
from finetune_ls.lsp.documents import workers

ATTEMPTS = 3  # checks of a file that keeps changing while it is checked; the last one is shown


async def check_file(path: str, settings: CheckSettings,
                     progress: Callable[[int, int], None] | None = None) -> FileReport:
    """The report of a file on disk; `progress(bytes done, size)` after each range. A file
    that changes while it is checked is checked again. Raises OSError when it cannot be read."""
    for _ in range(ATTEMPTS):
        before = _version(path)
        report = await _check_once(path, settings, progress)
        if _version(path) == before:
            break
    return report


async def _check_once(path: str, settings: CheckSettings, progress) -> FileReport:
    before = await asyncio.to_thread(file_stat, path)
    planned = await asyncio.to_thread(_plan, path, settings)  # reads the head and probes for line ends
    if isinstance(planned, FileReport):
        return planned  # binary, or no workers: checked by the engine itself
    (plan, _, bom), ranges, size = planned
    cache = LineCache(path, plan.context.fingerprint())
    aggregator = FileAggregator(plan.context)
    # The same bytes as the last complete check, by the CLI or by this server: its chunks.
    whole, stored = await asyncio.to_thread(stored_file, cache, path, before)
    if stored is not None:
        for chunk in stored:
            aggregator.append_chunk(chunk)
        if progress is not None:
            progress(size, size)
        return finish_report(path, plan, aggregator, settings, bom, size)
    tasks = [(path, index, begin, end, plan.context, cache) for index, (begin, end) in enumerate(ranges)]
    records = []
    done = 0
    async for chunk in workers.map_in_order(analyze_file_range, tasks):
        aggregator.append_chunk(chunk)
        records.append(chunk_record(chunk))
        if progress is not None:
            progress(ranges[done][1], size)
        done += 1
    cache.keep_only(len(ranges))
    if whole is not None:
        await asyncio.to_thread(store_chunks, cache, whole, records, path)
    return finish_report(path, plan, aggregator, settings, bom, size)


def _plan(path: str, settings: CheckSettings):
    size = regular_size(path)
    planned = plan_source(path, size, path, settings)
    if isinstance(planned, FileReport):
        return planned
    if workers.pool() is None:
        return check_path(path, settings, jobs=1)
    return planned, chunk_ranges(path, planned.start, size, workers.worker_count()), size


def _version(path: str) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns
