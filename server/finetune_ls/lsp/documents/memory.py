"""Keeping the server's memory close to what it holds.

Checking a big document allocates and frees a lot on the way (the message read in
pieces, the workers' results, the report made in a thread). glibc gives every
thread that allocates its own heap ("arena") and keeps freed memory in them, so
the server's RSS stays far above what it still uses: measured on the 100 MB bench
file, 375 MB held where the lines, results and report take about 240. Fewer arenas
and handing free pages back after such work bring it down. Elsewhere (macOS,
Windows, musl) these do nothing.

A big document's check also leaves objects that Python's cycle collector walks on
every full collection: 17-22 ms with the bench file's check alive (measured in one
process; each keystroke's diagnostics allocate enough to bring one on now and then).
They hold no cycles, so once the check is done they are frozen out of its sight, and
a full collection takes microseconds.
"""

from __future__ import annotations

import ctypes
import gc
import sys

_M_ARENA_MAX = -8  # mallopt's parameter number, from glibc's malloc.h
_ARENAS = 1  # one heap for all threads: theirs (pool, report) hold little for long


def _glibc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)
        return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None
    except OSError:
        return None


_libc = _glibc()


def limit_arenas() -> None:
    """Call before the server starts its threads."""
    if _libc is not None:
        _libc.mallopt(_M_ARENA_MAX, _ARENAS)


def give_back() -> None:
    """Return the free pages of every heap to the system (after a big document's check)."""
    if _libc is not None:
        _libc.malloc_trim(0)


def settle() -> None:
    """After a big document's check: collect once (what was frozen before may have become
    cyclic garbage since, which a frozen object never is collected as), keep what is alive
    now out of the collector's full collections (what is freed later is still freed by its
    count), and give free pages back."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    give_back()
