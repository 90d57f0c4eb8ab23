"""Split examples into a training and a validation file: reproducible from a seed,
stratified by label when the data looks like classification (so that every label is in
both files in proportion), and duplicates (exact or near, see dedupe.py) always on the
same side, so the validation score is not measured on training data."""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from dataclasses import dataclass

from finetune_ls.prep.dedupe import near_key
from finetune_ls.prep.source import Line

MAX_LABEL_CHARS = 40  # a classification answer is a short label, not a sentence
MAX_LABELS = 50


@dataclass
class Split:
    train: list[Line]
    valid: list[Line]
    labels: dict[str, tuple[int, int]] | None  # label -> (train, valid) when stratified


def label_of(value: dict) -> str | None:
    """The answer of an example: its last assistant message's text, or the completion."""
    if isinstance(value.get("completion"), str):
        return value["completion"].strip()
    messages = value.get("messages")
    if not isinstance(messages, list):
        return None
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "assistant":
            content = message.get("content")
            return content.strip() if isinstance(content, str) else None
    return None


def classification_labels(lines: list[Line]) -> list[str] | None:
    """One label per example when the data looks like classification: every answer a short
    label, at least two of them, and few distinct ones (each seen about four times or more)."""
    labels = [label_of(line.value) for line in lines]
    if any(label is None or not label or len(label) > MAX_LABEL_CHARS for label in labels):
        return None
    distinct = len(set(labels))
    return labels if 2 <= distinct <= min(MAX_LABELS, len(labels) // 4) else None


def check_validation_share(valid: float) -> float:
    """`valid` as given when it is a fraction (0 < valid < 1) or a whole count of examples;
    ValueError otherwise (infinite or not a number included)."""
    if isinstance(valid, bool) or not isinstance(valid, (int, float)) or not math.isfinite(valid) or valid <= 0 \
            or (valid >= 1 and valid != int(valid)):
        raise ValueError("the validation share must be a fraction between 0 and 1, or a whole count of examples")
    return valid


def validation_size(total: int, valid: float) -> int:
    """`valid` is a fraction (0 < valid < 1) or a count of examples."""
    check_validation_share(valid)
    count = round(total * valid) if valid < 1 else int(valid)
    if total < 2:
        raise ValueError("a split needs at least 2 examples")
    return min(max(count, 1), total - 1)


def _quotas(sizes: dict[str, int], target: int) -> dict[str, int]:
    """Largest remainders: each stratum's share of `target`, summing to it exactly."""
    total = sum(sizes.values())
    exact = {name: size * target / total for name, size in sizes.items()}
    quotas = {name: int(share) for name, share in exact.items()}
    by_remainder = sorted(exact, key=lambda name: (exact[name] - quotas[name], sizes[name]), reverse=True)
    for name in by_remainder[:target - sum(quotas.values())]:
        quotas[name] += 1
    return quotas


def split(lines: list[Line], valid: float, seed: int, stratify: bool = True) -> Split:
    target = validation_size(len(lines), valid)
    labels = classification_labels(lines) if stratify else None
    groups: dict[bytes, list[Line]] = {}  # duplicates travel together
    group_label: dict[bytes, str] = {}
    for index, line in enumerate(lines):
        key = near_key(line.value)
        groups.setdefault(key, []).append(line)
        group_label.setdefault(key, labels[index] if labels else "")
    strata: dict[str, list[bytes]] = defaultdict(list)
    for key in groups:  # in file order, then shuffled: the same seed gives the same split
        strata[group_label[key]].append(key)
    quotas = _quotas({name: sum(len(groups[k]) for k in keys) for name, keys in strata.items()}, target)
    rng = random.Random(seed)
    chosen: set[bytes] = set()
    for name in sorted(strata):
        keys = strata[name][:]
        rng.shuffle(keys)
        taken = 0
        for key in keys:
            if taken + len(groups[key]) <= quotas[name]:
                chosen.add(key)
                taken += len(groups[key])
    valid_lines, train_lines = [], []
    for key, members in groups.items():
        (valid_lines if key in chosen else train_lines).extend(members)
    train_lines.sort(key=lambda line: line.number)
    valid_lines.sort(key=lambda line: line.number)
    counts = None
    if labels:
        label_at = {line.number: label for line, label in zip(lines, labels)}
        in_train = Counter(label_at[line.number] for line in train_lines)
        in_valid = Counter(label_at[line.number] for line in valid_lines)
        counts = {name: (in_train[name], in_valid[name]) for name in sorted(strata)}
    return Split(train_lines, valid_lines, counts)
