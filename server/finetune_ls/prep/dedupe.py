"""Remove duplicate examples, keeping the first of each: exact duplicates (the same
example as parsed JSON, as `check` reports them) and near duplicates (the same text once
case, punctuation, spacing and Unicode forms are normalised)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

from finetune_ls.core.analysis import example_digest
from finetune_ls.core.depth import write_json
from finetune_ls.prep.source import Line

EXACT, NEAR = "exact", "near"
_NOT_WORD = re.compile(r"[^\w\s]+")


def normalized_text(text: str) -> str:
    """NFKC, case-folded, punctuation and symbols as spaces, spacing collapsed."""
    text = _NOT_WORD.sub(" ", unicodedata.normalize("NFKC", text).casefold())
    return " ".join(text.split())


def near_key(value: object) -> bytes:
    """Equal for examples that differ only in what normalized_text discards (and key order).
    Written without recursion: check accepts values nested 1,000 levels deep."""
    text = write_json(value, sort_keys=True, text=normalized_text)
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


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
