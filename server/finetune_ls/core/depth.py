"""How deep arrays and objects nest, measured without recursion.

The rule nesting-too-deep stops at 1,000 levels (rules.md). Below that, some steps of the
check cannot follow a value as deep as the rule allows: orjson writes at most 254
levels, and jsonschema-rs hands at most about 255 back to Python, so a schema error on
a 260-level value was an internal error. Those steps see the value cut at SAFE_DEPTH
instead (`cut`), deeper than any schema or check looks; everything here is iterative.
Whatever else reads or writes whole values does it at any depth check accepts:
`write_json` and `map_strings` without recursion, and Python's own json parser (kept
where numbers must stay as written) inside `recursion_room`.
"""

from __future__ import annotations

import json
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Callable

MAX_DEPTH = 1_000  # levels of arrays and objects a line may nest (rule nesting-too-deep)
SAFE_DEPTH = 200  # what every recursive step of the check can follow

_STRUCTURE = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[{}\[\]]')
_OPENERS = (b"[", b"{")


def may_nest_deeper(raw: bytes | str, depth: int = SAFE_DEPTH) -> bool:
    """Whether a line can nest more than `depth` levels: it needs that many opening
    brackets (counted at C speed; most lines have far fewer)."""
    if isinstance(raw, str):
        return raw.count("[") + raw.count("{") > depth
    return raw.count(b"[") + raw.count(b"{") > depth


def nesting_depth(value: object, stop: int | None = None) -> int:
    """Levels of arrays and objects in a parsed value (a scalar is 0); counting ends once
    it passes `stop`."""
    deepest = 0
    pending = [(value, 1)]
    while pending:
        node, level = pending.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if level > deepest:
            deepest = level
            if stop is not None and deepest > stop:
                return deepest
        pending.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def crossing_column(text: str, limit: int = MAX_DEPTH) -> int | None:
    """Column of the bracket that opens level limit + 1 (string-aware), or None."""
    deepest, offset = _deepest_opening(text, limit)
    return offset if deepest > limit else None


def deepest_bracket(text: str, limit: int = MAX_DEPTH) -> int:
    """Offset of the bracket that opens level limit + 1, or else of the deepest one."""
    return _deepest_opening(text, limit)[1]


def _deepest_opening(text: str, limit: int) -> tuple[int, int]:
    """The deepest level opened in the text (brackets inside strings are not counted) and
    the offset of its bracket; the scan ends at the first bracket past `limit`."""
    depth = deepest = offset = 0
    for match in _STRUCTURE.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > deepest:
                deepest, offset = depth, match.start()
                if depth > limit:
                    break
        elif token in ("]", "}"):
            depth -= 1
    return deepest, offset


def cut(value: object, depth: int = SAFE_DEPTH) -> object:
    """A copy of the value whose arrays and objects at level `depth` are left empty."""
    if not isinstance(value, (dict, list)):
        return value
    top = {} if isinstance(value, dict) else []
    pending = [(value, top, 1)]
    while pending:
        source, target, level = pending.pop()
        items = source.items() if isinstance(source, dict) else enumerate(source)
        for key, item in items:
            if isinstance(item, (dict, list)):
                copy = {} if isinstance(item, dict) else []
                if level + 1 < depth:
                    pending.append((item, copy, level + 1))
                item = copy
            if isinstance(target, dict):
                target[key] = item
            else:
                target.append(item)
    return top


def shallow(value: object) -> bool:
    """Whether the recursive writers (orjson: 254 levels, json: the recursion limit) can
    follow the value."""
    return nesting_depth(value, stop=SAFE_DEPTH) <= SAFE_DEPTH


def write_json(value: object, *, sort_keys: bool = False, allow_nan: bool = True,
               text: Callable[[str], str] | None = None) -> str:
    """Compact JSON (non-ASCII as is) of a value of any depth, written without recursion;
    `text`, if given, rewrites each string value (not keys) first."""
    if text is None and shallow(value):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys, allow_nan=allow_nan)
    scalar = json.JSONEncoder(ensure_ascii=False, allow_nan=allow_nan).encode
    parts: list[str] = []
    pending: list[object] = [value]  # values still to write, and strings to write as they are
    while pending:
        node = pending.pop()
        if isinstance(node, _Literal):
            parts.append(node)
        elif isinstance(node, dict):
            keys = sorted(node) if sort_keys else list(node)
            items: list[object] = []
            for index, key in enumerate(keys):
                items += [_Literal(("," if index else "") + scalar(key) + ":"), node[key]]
            pending += [_Literal("}"), *reversed(items), _Literal("{")]
        elif isinstance(node, list):
            items = []
            for index, item in enumerate(node):
                items += [_Literal(","), item] if index else [item]
            pending += [_Literal("]"), *reversed(items), _Literal("[")]
        else:
            parts.append(scalar(text(node) if text is not None and isinstance(node, str) else node))
    return "".join(parts)


class _Literal(str):
    """JSON punctuation (or a written key) in write_json's stack, told apart from string values."""


_room_lock = threading.Lock()
_room_users = 0
_usual_limit = 0


@contextmanager
def recursion_room(levels: int = MAX_DEPTH + 100) -> Iterator[None]:
    """Room for Python's own json (recursive in C, within the recursion limit) to read a
    value as deep as check accepts, where what it reads must stay as written (floats,
    repeated keys) and orjson cannot stand in. The limit is raised while any thread is
    inside, then restored."""
    global _room_users, _usual_limit
    with _room_lock:
        if _room_users == 0:
            _usual_limit = sys.getrecursionlimit()
            sys.setrecursionlimit(_usual_limit + levels)
        _room_users += 1
    try:
        yield
    finally:
        with _room_lock:
            _room_users -= 1
            if _room_users == 0:
                sys.setrecursionlimit(_usual_limit)


def as_checked(value: object, text: bytes | str) -> object:
    """The value of a line as check counts and checks it: cut at SAFE_DEPTH when deeper
    (so a hover on the line counts what its inlay hint does)."""
    if may_nest_deeper(text) and nesting_depth(value, stop=SAFE_DEPTH) > SAFE_DEPTH:
        return cut(value)
    return value


def map_strings(value: object, change: Callable[[str], str]) -> object:
    """A copy of the value with `change` applied to every string, keys included."""
    if isinstance(value, str):
        return change(value)
    if not isinstance(value, (dict, list)):
        return value
    top = {} if isinstance(value, dict) else []
    pending = [(value, top)]
    while pending:
        source, target = pending.pop()
        items = source.items() if isinstance(source, dict) else enumerate(source)
        for key, item in items:
            if isinstance(item, (dict, list)):
                copy = {} if isinstance(item, dict) else []
                pending.append((item, copy))
                item = copy
            elif isinstance(item, str):
                item = change(item)
            if isinstance(target, dict):
                target[change(key)] = item
            else:
                target.append(item)
    return top
