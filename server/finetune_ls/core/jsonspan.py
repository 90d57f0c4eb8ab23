"""Find where a value sits in the text of one JSON line, given its path.

Fast parsers (orjson) keep no positions, so a finding's JSON pointer is turned
back into columns here, only for lines that have findings. The scanner walks
down the path and skips sibling values with C-speed regular expressions.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

# A JSON string, written as an unrolled loop (no per-character backtracking).
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_STRUCTURE = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\]]')
_SCALAR = re.compile(r'[^\s{}\[\],:"]+')
_SPACE = re.compile(r"\s*")

Path = tuple  # of str (object keys) and int (array indices)


@dataclass(frozen=True, slots=True)
class Span:
    """Code-point columns of a value, and of its key when it is an object member."""

    start: int
    end: int
    key_start: int | None = None
    key_end: int | None = None

    @property
    def member_start(self) -> int:
        return self.key_start if self.key_start is not None else self.start


def pointer(path: Path) -> str:
    """RFC 6901 JSON pointer of a path."""
    return "".join("/" + str(step).replace("~", "~0").replace("/", "~1") for step in path)


def _skip_space(text: str, pos: int) -> int:
    return _SPACE.match(text, pos).end()


def _value_end(text: str, pos: int) -> int:
    char = text[pos : pos + 1]
    if char == '"':
        match = _STRING.match(text, pos)
        return match.end() if match else len(text)
    if char in ("{", "["):
        depth = 0
        for match in _STRUCTURE.finditer(text, pos):
            token = match.group()
            if token in ("{", "["):
                depth += 1
            elif token in ("}", "]"):
                depth -= 1
                if depth == 0:
                    return match.end()
        return len(text)
    match = _SCALAR.match(text, pos)
    return match.end() if match else pos


def _decode_key(token: str) -> str:
    return json.loads(token) if "\\" in token else token[1:-1]


def _find_member(text: str, pos: int, key: str) -> Span | None:
    """Within the object starting at `pos`, the span of the last member named `key`
    (the last one, because parsers keep the last of duplicate keys)."""
    found = None
    pos = _skip_space(text, pos + 1)
    while pos < len(text) and text[pos] != "}":
        key_match = _STRING.match(text, pos)
        if not key_match:
            return found
        colon = _skip_space(text, key_match.end())
        value_start = _skip_space(text, colon + 1)
        value_end = _value_end(text, value_start)
        if _decode_key(key_match.group()) == key:
            found = Span(value_start, value_end, key_match.start(), key_match.end())
        pos = _skip_space(text, value_end)
        if text[pos : pos + 1] == ",":
            pos = _skip_space(text, pos + 1)
    return found


def _find_element(text: str, pos: int, index: int) -> Span | None:
    pos = _skip_space(text, pos + 1)
    current = 0
    while pos < len(text) and text[pos] != "]":
        value_end = _value_end(text, pos)
        if current == index:
            return Span(pos, value_end)
        current += 1
        pos = _skip_space(text, value_end)
        if text[pos : pos + 1] == ",":
            pos = _skip_space(text, pos + 1)
    return None


def locate(text: str, path: Path) -> Span | None:
    """Span of the value at `path` in `text` (a valid JSON document), or None when
    the path does not exist. The empty path is the whole document."""
    start = _skip_space(text, 0)
    span = Span(start, _value_end(text, start))
    for step in path:
        char = text[span.start : span.start + 1]
        if char == "{" and isinstance(step, str):
            span = _find_member(text, span.start, step)
        elif char == "[" and isinstance(step, int):
            span = _find_element(text, span.start, step)
        else:
            return None
        if span is None:
            return None
    return span


def locate_nearest(text: str, path: Path) -> tuple[Span, int]:
    """The span of the deepest existing prefix of `path`, and that prefix's length.
    A missing key is shown on the object that should hold it."""
    best = locate(text, ())
    if best is None:  # not JSON at all; callers only pass parsed lines
        return Span(0, len(text)), 0
    depth = 0
    for depth_candidate in range(1, len(path) + 1):
        span = locate(text, path[:depth_candidate])
        if span is None:
            break
        best, depth = span, depth_candidate
    return best, depth
