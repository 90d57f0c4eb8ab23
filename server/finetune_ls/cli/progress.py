"""A one-line progress bar on standard error, for big files in a terminal."""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, label: str, total: int, stream=None):
        self.label = label if len(label) <= 40 else "…" + label[-39:]
        self.total = max(1, total)
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self.last_drawn = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last_drawn < 0.1 and done < total:
            return
        self.last_drawn = now
        fraction = min(1.0, done / max(1, total))
        width = 30
        filled = int(fraction * width)
        rate = done / 1e6 / max(1e-6, now - self.started)
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {fraction:4.0%} {rate:5.1f} MB/s")
        self.stream.flush()

    def done(self) -> None:
        self.stream.write("\r\033[K")
        self.stream.flush()
