"""How deep arrays and objects nest, measured without recursion.

The rule nesting-too-deep stops at 1,000 levels (rules.md). Below that, some steps of the
check cannot follow a value as deep as the rule allows: orjson writes at most 254
levels, and jsonschema-rs hands at most about 255 back to Python, so a schema error on
a 260-level value was an internal error. Those steps see the value cut at SAFE_DEPTH
instead (`cut`), deeper than any schema or check looks; everything here is iterative.
"""

from __future__ import annotations

import re

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
    depth = 0
    for match in _STRUCTURE.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > limit:
                return match.start()
        elif token in ("]", "}"):
            depth -= 1
    return None


def deepest_bracket(text: str, limit: int = MAX_DEPTH) -> int:
    """Offset of the bracket that opens level limit + 1, or else of the deepest one."""
    depth = deepest = 0
    offset = 0
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
    return offset


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
