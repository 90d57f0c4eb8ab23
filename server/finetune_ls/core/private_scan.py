"""Which lines of a chunk may hold private data, by one scan of all of them.

The privacy rules (privacy.py) test every line with byte operations before any
detector runs: a few passes of C over each line, which cost 5-6% of a whole
check (issue 17). Hyperscan matches many expressions in one pass over many
buffers at memory speed, so one scan of a chunk's lines finds the few lines
worth that test. Its expressions are a superset of privacy.may_hold_private:
every line that test passes holds a match (tests/test_private_scan.py holds
the two side by side), so a line without one is certainly clean. Where the
library is missing (a platform without its wheel), callers test line by line.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_left
from collections.abc import Sequence
from itertools import accumulate

from finetune_ls.core import privacy

_TOKEN = rb"[A-Za-z0-9_\-]"
_NO_BREAK = rb"\xc2\xa0|\xe2\x80[\x87\xaf]"  # privacy._NO_BREAK in UTF-8: a digit group separator
# Each expression covers one of may_hold_private's tests; none matches a line break, so a
# match is inside one line (a match across the separator only adds a line to test).
HINTS = (
    # _EMAIL_HINT (its look-behind written as the match's first character)
    rb"[A-Za-z0-9._%+\-]@[A-Za-z0-9][A-Za-z0-9\-]*(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2}",
    privacy._PLUS_HINT.pattern,
    # _DIGIT_SHAPE over the _CLASSES translation, no-break spaces as the spaces they become
    rb"[0-9]{3}(?:[ .()]|" + _NO_BREAK + rb")[0-9]{4}",
    rb"[0-9]{3}[A-Za-z_\-][0-9]{4}",
    rb"[0-9]{13}",
    privacy._HIDING_ESCAPE.pattern,
    rb"PRIVATE KEY",
    # A key's prefix starts a run of 20 token characters at its first, second or sixth (after
    # the letters of an escape: \n, \u00e9) character: 15 - len(prefix) more follow it at least.
    *(re.escape(prefix) + _TOKEN + b"{%d}" % max(0, 15 - len(prefix)) for prefix in privacy._SECRET_PREFIXES),
)
_SEPARATOR = b"\n"
_MATCHES_PER_LINE = 4
_MATCHES_PER_SCAN = 256

try:
    import hyperscan
except ImportError:  # no wheel for this platform: privacy.may_hold_private line by line
    hyperscan = None

_database = None
_unusable = False  # the library loads but cannot compile here (a processor it does not support)
# One scratch space per database, which a scan holds with the GIL released: two threads
# scanning at once (checks from disk in threads when there is no worker pool) would fail.
_scanning = threading.Lock()


def available() -> bool:
    return hyperscan is not None and not _unusable


def _compiled():
    global _database, _unusable
    if _database is None and not _unusable:
        try:
            database = hyperscan.Database(mode=hyperscan.HS_MODE_VECTORED)
            database.compile(expressions=list(HINTS), ids=list(range(len(HINTS))), elements=len(HINTS),
                             flags=[0] * len(HINTS))
        except hyperscan.error:
            _unusable = True
            return None
        _database = database
    return _database


def prepare() -> None:
    """Compile the expressions now (~30 ms): before forking, so workers share them."""
    if hyperscan is not None:
        _compiled()


def suspect_lines(lines: Sequence[bytes]) -> set[int] | None:
    """Indices of the lines that may hold private data (each then needs may_hold_private);
    None when the scan is not available."""
    if not available():
        return None
    if not lines:
        return set()
    buffers = [_SEPARATOR] * (2 * len(lines))
    buffers[::2] = lines
    # Offset just past each line's separator: a match ending at `end` is in the first line
    # whose bound is at least `end`.
    bounds = list(accumulate(len(line) + 1 for line in lines))
    found: set[int] = set()
    budget = [_MATCHES_PER_LINE * len(lines) + _MATCHES_PER_SCAN]

    def on_match(expression: int, start: int, end: int, flags: int, context: object) -> bool:
        found.add(bisect_left(bounds, end))
        budget[0] -= 1
        return budget[0] < 0  # True stops the scan

    database = _compiled()
    if database is None:
        return None
    try:
        with _scanning:
            database.scan(buffers, match_event_handler=on_match)
    except hyperscan.error:  # ScanTerminated (too many matches), or anything the library refuses
        return None
    # Every end of every match is reported (a run of 50 digits ends 38 matches of 13): lines
    # full of long numbers would cost a call each; those chunks are tested line by line.
    return found if budget[0] >= 0 else None
