"""`$/progress` for one piece of work, when the client shows it; cancellable work can
ask whether the user pressed Cancel."""

from __future__ import annotations

import uuid

from lsprotocol import types


class Progress:
    def __init__(self, ls, title: str, cancellable: bool = False):
        self.ls, self.title, self.cancellable, self.token = ls, title, cancellable, None

    async def __aenter__(self):
        window = self.ls.client_capabilities.window
        if window and window.work_done_progress:
            self.token = str(uuid.uuid4())
            try:
                await self.ls.work_done_progress.create_async(self.token)
                self.ls.work_done_progress.begin(self.token, types.WorkDoneProgressBegin(
                    title=self.title, percentage=0, cancellable=self.cancellable))
            except Exception:  # noqa: BLE001 - a client that refuses progress still gets the work done
                self.token = None
        return self

    def report(self, message: str, percentage: int) -> None:
        if self.token:
            self.ls.work_done_progress.report(self.token, types.WorkDoneProgressReport(
                message=message, percentage=max(0, min(100, percentage))))

    def cancelled(self) -> bool:
        """Whether the user cancelled (safe to call from another thread)."""
        future = self.ls.work_done_progress.tokens.get(self.token) if self.token else None
        return bool(future is not None and future.cancelled())

    async def __aexit__(self, *exc):
        if self.token:
            self.ls.work_done_progress.end(self.token, types.WorkDoneProgressEnd(message="done"))
            self.ls.work_done_progress.tokens.pop(self.token, None)
        return False
