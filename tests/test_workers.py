"""The worker pool that checks big documents for the language server."""

from __future__ import annotations

import asyncio
import time

import pytest

from finetune_ls.lsp.documents import workers

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


OK = '{"messages":[{"role":"user","content":"q%d"},{"role":"assistant","content":"a%d"}]}'


async def test_a_file_that_changes_while_it_is_checked_from_disk_is_checked_again(quick_idle, tmp_path):
    """The check from disk (a byte range per worker) plans its ranges from the file's size: a
    file written meanwhile would be read across line ends. It is checked again, and the report
    is of the file as it is now, as `check` reports it."""
    from finetune_ls.core.engine import CheckSettings, check_path
    from finetune_ls.lsp.documents import disk_check

    if workers.pool() is None:
        pytest.fail("no worker pool could be started on this machine")
    path = tmp_path / "moving.jsonl"
    path.write_text("".join(OK % (i, i) + "\n" for i in range(30000)), encoding="utf-8")  # ~2.5 MB: 5 ranges
    settings = CheckSettings(model="gpt-4o-mini-2024-07-18")
    written = []

    def progress(done: int, size: int) -> None:
        if not written:  # after the first range: someone saves the file with a line more
            with open(path, "a", encoding="utf-8") as handle:
                handle.write('{"messages":[{"role":"bot","content":"new"}]}\n')
            written.append(done)

    report = await disk_check.check_file(str(path), settings, progress)
    expected = check_path(str(path), settings, use_cache=False)
    assert written
    assert report.summary["examples"] == expected.summary["examples"] == 30001
    assert [(f.code, f.line) for f in report.findings] == [(f.code, f.line) for f in expected.findings]
    assert ("unknown-role", 30000) in {(f.code, f.line) for f in report.findings}
