"""Replace the private data the engine reports (core/privacy.py) with placeholders:
[API_KEY], [EMAIL], [PHONE], [CARD_NUMBER]. Lines without any keep their exact bytes."""

from __future__ import annotations

from dataclasses import dataclass

from finetune_ls.core.privacy import LineMatch, line_matches, may_hold_private, redact_line
from finetune_ls.prep.source import Line


@dataclass(frozen=True, slots=True)
class Replacement:
    line: int  # 1-based
    column: int  # 1-based, code points, in the original line
    code: str  # the rule, e.g. email-in-text
    placeholder: str


@dataclass
class Redacted:
    lines: list[bytes]  # every example line, with its break
    replacements: list[Replacement]


def line_replacements(text: str, value: dict) -> list[LineMatch]:
    """The matches of one line, in reading order (what a quick fix replaces, one by one)."""
    return sorted(line_matches(text, value), key=lambda match: match.start) if may_hold_private(text) else []


def redact(lines: list[Line]) -> Redacted:
    output, replacements = [], []
    for line in lines:
        text = line.content.decode("utf-8", "surrogateescape")
        matches = line_replacements(text, line.value)
        if not matches:
            output.append(line.terminated())
            continue
        ending = line.raw[len(line.content):] or b"\n"
        output.append(redact_line(text, matches).encode("utf-8", "surrogateescape") + ending)
        replacements.extend(Replacement(line.number, m.start + 1, m.code, m.placeholder) for m in matches)
    return Redacted(output, replacements)
