"""Examples spread over several lines: pretty-printed objects, whole JSON arrays,
and records split by raw line breaks inside strings.

Real users produce all three (json.dump(..., indent=2), a .json file renamed
to .jsonl, a script that writes text with newlines unescaped). Rather than a
cascade of syntax errors, each becomes one finding over its lines, with a fix
that rewrites it as JSONL.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from finetune_ls.core.conversions import compact_json
from finetune_ls.core.depth import recursion_room

MULTILINE, SPLIT, ARRAY = "multiline", "split", "array"
_MAX_RECORD_LINES = 200_000
# Line visits allowed per recovery, as a multiple of the lines given: a scan that
# finds no end runs to the end of the run, and many such starts would be quadratic.
_VISITS_PER_LINE = 4
_MIN_VISITS = 10_000
_OUTSIDE = re.compile(r'["{}\[\]]')
_INSIDE = re.compile(r'[\\"]')


@dataclass(frozen=True)
class Record:
    first: int  # indexes into the run of lines given to `recover`
    last: int
    kind: str
    value: object
    replacement: str  # the record rewritten as JSONL (one line, or one line per array element)

    @property
    def examples(self) -> list:
        return list(self.value) if self.kind == ARRAY and isinstance(self.value, list) else [self.value]


class _Budget:
    def __init__(self, visits: int):
        self.left = visits


def _scan(lines: list[str | None], start: int, budget: _Budget) -> tuple[int, list[bool]] | None:
    """Follow brackets from the first line (string-aware, across lines) to the line
    where they all close. Returns that index and, per line, whether it ends inside a string."""
    depth = 0
    in_string = False
    ends_in_string: list[bool] = []
    for index in range(start, min(len(lines), start + _MAX_RECORD_LINES)):
        text = lines[index]
        budget.left -= 1
        if text is None or budget.left < 0:
            return None
        pos = 0
        while True:
            if in_string:
                match = _INSIDE.search(text, pos)
                if not match:
                    break
                if match.group() == "\\":
                    pos = match.end() + 1
                    continue
                in_string = False
                pos = match.end()
                continue
            match = _OUTSIDE.search(text, pos)
            if not match:
                break
            token = match.group()
            pos = match.end()
            if token == '"':
                in_string = True
            elif token in "{[":
                depth += 1
            else:
                depth -= 1
                if depth <= 0:
                    rest = text[pos:].strip()
                    if depth < 0 or rest not in ("", ","):
                        return None
                    ends_in_string.append(False)
                    return index, ends_in_string
        ends_in_string.append(in_string)
    return None


def _join_split(lines: list[str], ends_in_string: list[bool]) -> str:
    """Join a record split by raw line breaks: a break inside a string becomes \\n."""
    parts = []
    for text, inside in zip(lines, ends_in_string):
        parts.append(text + ("\\n" if inside else ""))
    return "".join(parts).rstrip().rstrip(",")


def recover(lines: list[str | None]) -> list[Record]:
    """Records spread over several of these consecutive lines (None: a line to skip)."""
    records: list[Record] = []
    budget = _Budget(max(_MIN_VISITS, _VISITS_PER_LINE * len(lines)))
    index = 0
    while index < len(lines) and budget.left > 0:
        text = lines[index]
        stripped = text.lstrip() if text else ""
        if not stripped or stripped[0] not in "{[":
            index += 1
            continue
        scanned = _scan(lines, index, budget)
        if scanned is None or scanned[0] == index:
            index += 1
            continue
        end, ends_in_string = scanned
        chunk = "\n".join(lines[index : end + 1]).strip().rstrip(",")  # type: ignore[arg-type]
        record = _record(chunk, index, end, lines, ends_in_string)
        if record is None:
            index += 1
            continue
        records.append(record)
        index = end + 1
    return records


def _record(chunk: str, first: int, last: int, lines: list, ends_in_string: list[bool]) -> Record | None:
    try:
        with recursion_room():  # a record as deep as check accepts
            value = json.loads(chunk)
    except (ValueError, RecursionError):
        value = None
    else:
        if isinstance(value, list):
            return Record(first, last, ARRAY, value, "\n".join(compact_json(item) for item in value))
        return Record(first, last, MULTILINE, value, compact_json(value))
    joined = _join_split(lines[first : last + 1], ends_in_string)
    try:
        with recursion_room():
            value = json.loads(joined)
    except (ValueError, RecursionError):
        return None
    if isinstance(value, list):
        return None
    return Record(first, last, SPLIT, value, joined)
