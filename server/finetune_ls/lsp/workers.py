"""Worker processes for checking big documents without blocking the server.

Checking 100 MB takes seconds of CPU, mostly tokenisation, which threads cannot
spread (perf-probe.md). The server process runs threads (pygls reads stdin in
one), so it must not fork: workers come from a forkserver that imports the
engine and loads the encodings once, and each gets its lines sent to it.
Without worker processes (or for small documents) the same work runs in the
server, a chunk at a time, yielding to the event loop in between so requests
are still answered.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import AsyncIterator, Sequence

from finetune_ls.core.analysis import FileContext, token_counter
from finetune_ls.core.entries import line_entry
from finetune_ls.core.schemas import validator
from finetune_ls.core.shapes import FORMATS

CHUNK_LINES = 2000
_pool = None
_pool_failed = False


def _prepare() -> None:
    """Run in the forkserver before it forks any worker: load what every worker needs."""
    for encoding in ("o200k_base", "cl100k_base"):
        token_counter(encoding)
    for fmt in FORMATS:
        validator(fmt)


def _entries(task: tuple[list[str], FileContext]) -> list[tuple]:
    lines, ctx = task
    return [line_entry(line, ctx) for line in lines]


def worker_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return os.cpu_count() or 1


def pool():
    """The shared worker pool, made on first use; None where processes are not available."""
    global _pool, _pool_failed
    if _pool is None and not _pool_failed and worker_count() > 1:
        try:
            methods = multiprocessing.get_all_start_methods()
            context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
            if "forkserver" in methods:
                context.set_forkserver_preload(["finetune_ls.lsp.worker_preload"])
            _pool = context.Pool(worker_count(), initializer=_prepare)
        except (OSError, ValueError, RuntimeError):
            _pool_failed = True
    return _pool


def shutdown() -> None:
    global _pool
    if _pool is not None:
        _pool.terminate()
        _pool = None


def check_file(path: str, settings) -> object:
    """A whole file from disk, with the CLI's engine (in a worker: the server must not fork)."""
    from finetune_ls.core.engine import check_path
    return check_path(path, settings, jobs=1)


async def run_in_worker(function, *args):
    """Run a function in a worker process (or a thread when there are none) and wait for it."""
    loop = asyncio.get_running_loop()
    workers = pool()
    if workers is None:
        return await loop.run_in_executor(None, function, *args)
    future = loop.create_future()
    workers.apply_async(function, args, callback=lambda result: loop.call_soon_threadsafe(future.set_result, result),
                        error_callback=lambda error: loop.call_soon_threadsafe(future.set_exception, error))
    return await future


async def analyze_lines(contents: Sequence[str], ctx: FileContext, use_workers: bool = True,
                        chunk: int = CHUNK_LINES) -> AsyncIterator[tuple[int, list[tuple]]]:
    """(first line, entries) for every chunk of lines, in order, without blocking the loop."""
    tasks = [(list(contents[start:start + chunk]), ctx) for start in range(0, len(contents), chunk)]
    workers = pool() if use_workers and len(tasks) > 1 else None
    if workers is None:
        for index, task in enumerate(tasks):
            yield index * chunk, _entries(task)
            await asyncio.sleep(0)  # let the server answer what is waiting
        return
    loop = asyncio.get_running_loop()
    results = workers.imap(_entries, tasks)
    for index in range(len(tasks)):
        entries = await loop.run_in_executor(None, results.__next__)
        yield index * chunk, entries
