"""A file checked from disk by the worker processes, a byte range each, as the CLI checks it.

VS Code does not hand documents over 50 MB to extensions, so this is how its users
see a big file's findings. Each worker reads its own range (nothing big passes
through the server) and its own shard of the CLI's line cache, so a file checked
before, by either, is checked again quickly.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable

from finetune_ls.core.aggregate import FileAggregator
from finetune_ls.core.cache import LineCache
from finetune_ls.core.engine import CheckSettings, FileReport, check_path, finish_report, plan_source
from finetune_ls.core.parallel import analyze_file_range, chunk_ranges
from finetune_ls.lsp import workers


async def check_file(path: str, settings: CheckSettings,
                     progress: Callable[[int, int], None] | None = None) -> FileReport:
    """The report of a file on disk; `progress(bytes done, size)` after each range.
    Raises OSError when it cannot be read."""
    size = os.path.getsize(path)
    planned = await asyncio.to_thread(plan_source, path, size, path, settings)  # reads up to 8 MB
    if isinstance(planned, FileReport):
        return planned  # binary
    if workers.pool() is None:
        return await asyncio.to_thread(check_path, path, settings, 1)
    plan, start, bom = planned
    cache = LineCache(path, plan.context.fingerprint())
    ranges = chunk_ranges(path, start, size, workers.worker_count())
    tasks = [(path, index, begin, end, plan.context, cache) for index, (begin, end) in enumerate(ranges)]
    aggregator = FileAggregator(plan.context)
    line = 0
    async for (_, end), chunk in workers.map_in_order(analyze_file_range, tasks, ranges):
        aggregator.add_chunk(line, chunk)
        line += chunk.lines
        if progress is not None:
            progress(end, size)
    cache.keep_only(len(ranges))
    return finish_report(path, plan, aggregator, settings, bom)
