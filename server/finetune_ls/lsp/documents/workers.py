"""Worker processes for checking big documents without blocking the server.

Checking 100 MB takes seconds of CPU, mostly tokenisation, which threads cannot
spread (perf-probe.md). The server process runs threads (pygls reads stdin in
one), so it must not fork: workers come from a forkserver that imports the
engine and loads the encoding once, and each gets its lines sent to it. The
pool starts in the background when the server starts, and stops when it has
been idle a while (its processes hold ~100 MB each). Without worker processes
the same work runs in the server, a chunk at a time, yielding to the event loop
in between so requests are still answered.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
from collections.abc import AsyncIterator, Callable, Sequence

from finetune_ls.core.analysis import FileContext, token_counter
from finetune_ls.core.entries import line_entries
from finetune_ls.core.parallel import default_jobs
from finetune_ls.core.schemas import validator
from finetune_ls.core.shapes import FORMATS

CHUNK_LINES = 2000
IDLE_SECONDS = 120.0
PRELOADED_ENCODING = "o200k_base"  # every model that can still be trained uses it

_pool = None
_pool_failed = False
_lock = threading.Lock()
_idle_timer: asyncio.TimerHandle | None = None


def _prepare() -> None:
    """Load what every worker needs (run in the forkserver, before it forks workers)."""
    token_counter(PRELOADED_ENCODING)
    for fmt in FORMATS:
        validator(fmt)


def entries_of(task: tuple[list[str], FileContext]) -> list[tuple]:
    """The entries of a chunk of lines (findings, and tokens when the context counts them)."""
    lines, ctx = task
    return line_entries(lines, ctx)


def worker_count() -> int:
    return default_jobs()  # the CLI's: one per core this process may use


def pool():
    """The shared worker pool, made on first use; None where processes are not available."""
    global _pool, _pool_failed
    with _lock:
        if _pool is None and not _pool_failed and worker_count() > 1:
            try:
                methods = multiprocessing.get_all_start_methods()
                context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
                if "forkserver" in methods:
                    context.set_forkserver_preload(["finetune_ls.lsp.documents.worker_preload"])
                _pool = context.Pool(worker_count(), initializer=_prepare)
            except (OSError, ValueError, RuntimeError):
                _pool_failed = True
        return _pool


def start_in_background() -> None:
    """Start the pool without waiting for it."""
    threading.Thread(target=pool, name="finetune-ls-workers", daemon=True).start()


def load_encoding_in_background(encoding: str = PRELOADED_ENCODING) -> None:
    """Load an encoding in this process (the server counts the tokens of edited lines
    itself) without waiting for it. Not while a big document is read or checked: it
    holds the interpreter for about half a second that reading the document needs."""
    threading.Thread(target=token_counter, args=(encoding,), name="finetune-ls-encoding", daemon=True).start()


def shutdown() -> None:
    global _pool
    with _lock:
        if _pool is not None:
            _pool.terminate()
            _pool = None


class _InUse:
    """While work is with the workers they stay; once none has needed them for
    IDLE_SECONDS, they stop."""

    active = 0

    def __enter__(self):
        global _idle_timer
        _InUse.active += 1
        if _idle_timer is not None:
            _idle_timer.cancel()
            _idle_timer = None

    def __exit__(self, *exc):
        global _idle_timer
        _InUse.active -= 1
        if _InUse.active == 0:
            _idle_timer = asyncio.get_running_loop().call_later(IDLE_SECONDS, shutdown)
        return False


async def _submit(workers, function: Callable, task) -> object:
    loop = asyncio.get_running_loop()
    future = loop.create_future()

    def done(result):
        loop.call_soon_threadsafe(lambda: future.done() or future.set_result(result))

    def failed(error):
        loop.call_soon_threadsafe(lambda: future.done() or future.set_exception(error))

    workers.apply_async(function, (task,), callback=done, error_callback=failed)
    return await future


def submit(function: Callable, task) -> asyncio.Future:
    """Start `function(task)` in the workers now (there must be a pool); the workers stay
    while it runs."""
    async def run():
        with _InUse():
            return await _submit(pool(), function, task)
    return asyncio.ensure_future(run())


async def map_in_order(function: Callable, tasks: Sequence) -> AsyncIterator[object]:
    """function(task) for every task, all started in the workers at once (there must be a
    pool), in the tasks' order."""
    with _InUse():
        pending = [asyncio.ensure_future(_submit(pool(), function, task)) for task in tasks]
        try:
            for future in pending:
                yield await future
        finally:
            _drop(pending)


def _drop(futures: list[asyncio.Future]) -> None:
    """Cancel the waits still running (the workers finish those tasks anyway), and take the
    failures of the others as seen: asyncio logs every one that nobody awaited."""
    for future in futures:
        if not future.done():
            future.cancel()
        elif not future.cancelled():
            future.exception()


async def map_chunks(function: Callable, contents: Sequence[str | bytes], ctx: FileContext,
                     first_here: bool = False, ready: dict[int, asyncio.Future] | None = None,
                     ) -> AsyncIterator[tuple[int, list]]:
    """(first line, results) for every chunk of lines, in order, from the workers (the first
    chunk in this process when `first_here`, for the quickest first answer). `ready`: the
    results of chunks sent already, by their first line."""
    ready = ready or {}
    starts = list(range(0, len(contents), CHUNK_LINES))
    tasks = [(contents[start:start + CHUNK_LINES], ctx) for start in starts]
    workers = pool() if len(tasks) > 1 else None
    if workers is None:
        for start, task in zip(starts, tasks):
            yield start, await ready[start] if start in ready else function(task)
            await asyncio.sleep(0)  # let the server answer what is waiting
        return
    first = 1 if first_here else 0
    with _InUse():
        pending = [ready.pop(start) if start in ready else asyncio.ensure_future(_submit(workers, function, task))
                   for start, task in zip(starts[first:], tasks[first:])]
        try:
            if first_here:
                yield 0, function(tasks[0])
            for start, future in zip(starts[first:], pending):
                yield start, await future
        finally:
            _drop(pending)
