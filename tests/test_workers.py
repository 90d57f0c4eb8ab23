"""The worker pool that checks big documents for the language server."""

from __future__ import annotations

import asyncio
import time

import pytest

from finetune_ls.lsp import workers

pytestmark = pytest.mark.asyncio(loop_scope="function")


@pytest.fixture
def quick_idle(monkeypatch):
    monkeypatch.setattr(workers, "IDLE_SECONDS", 0.05)
    yield
    workers.shutdown()


async def test_the_workers_stop_only_when_no_work_is_left(quick_idle):
    if workers.pool() is None:
        pytest.fail("no worker pool could be started on this machine")
    slow = workers.submit(time.sleep, 1.0)
    assert await workers.submit(abs, -3) == 3  # done first, while the slow one runs
    await asyncio.sleep(0.3)  # past the idle time counted from the quick one's end
    assert await asyncio.wait_for(slow, 20) is None
    await asyncio.sleep(0.3)
    assert workers._pool is None  # idle now: stopped
