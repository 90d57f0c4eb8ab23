"""Helpers of the preparation tests: example lines, and what is in the files made."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from helpers import TODAY
from finetune_ls.core.engine import CheckSettings, check_path
from finetune_ls.core.findings import Severity


def chat_line(user: str, answer: str, system: str | None = "Classify the review.") -> str:
    messages = ([{"role": "system", "content": system}] if system else []) + [
        {"role": "user", "content": user}, {"role": "assistant", "content": answer}]
    return json.dumps({"messages": messages}, ensure_ascii=False)


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def multiset(*paths: Path) -> Counter:
    return Counter(line.rstrip(b"\r\n") for path in paths for line in lines_of(path) if line.strip())


def errors_of(path: Path, role: str = "training") -> list[str]:
    """The error codes `check` finds in a file (the round trip: outputs must pass)."""
    settings = CheckSettings(role=role, count_tokens=False, today=TODAY)
    report = check_path(str(path), settings, jobs=1, use_cache=False)
    return [f.code for f in report.findings if f.severity == Severity.ERROR]
