"""Remove duplicate examples, keeping the first of each: exact duplicates (the same
example as parsed JSON, as `check` reports them) and near duplicates (the same text once
case, punctuation, spacing and Unicode forms are normalised)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

import orjson

from finetune_ls.core.analysis import example_digest
from finetune_ls.prep.source import Line

EXACT, NEAR = "exact", "near"
_NOT_WORD = re.compile(r"[^\w\s]+")


def normalized_text(text: str) -> str:
    """NFKC, case-folded, punctuation and symbols as spaces, spacing collapsed."""
    text = _NOT_WORD.sub(" ", unicodedata.normalize("NFKC", text).casefold())
    return " ".join(text.split())


def _normalized(value: object) -> object:
    if isinstance(value, str):
        return normalized_text(value)
    if isinstance(value, dict):
        return [[key, _normalized(value[key])] for key in sorted(value)]
    if isinstance(value, list):
        return [_normalized(item) for item in value]
    return value


def near_key(value: object) -> bytes:
    """Equal for examples that differ only in what normalized_text discards (and key order)."""
    return hashlib.blake2b(orjson.dumps(_normalized(value)), digest_size=16).digest()


@dataclass(frozen=True, slots=True)
class Removed:
    line: Line
    kept: int  # the number of the line it duplicates, which is kept
    kind: str  # EXACT or NEAR


@dataclass
class Deduped:
    kept: list[Line]
    removed: list[Removed]


def dedupe(lines: list[Line], near: bool = True) -> Deduped:
    first_exact: dict[bytes, int] = {}
    first_near: dict[bytes, int] = {}
    kept, removed = [], []
    for line in lines:
        digest = example_digest(line.value)
        key = near_key(line.value) if near else None
        if digest in first_exact:
            removed.append(Removed(line, first_exact[digest], EXACT))
        elif key is not None and key in first_near:
            removed.append(Removed(line, first_near[key], NEAR))
        else:
            kept.append(line)
            first_exact[digest] = line.number
            if key is not None:
                first_near[key] = line.number
    return Deduped(kept, removed)
