"""Blocks of README.md, as a user copies them: the shell lines of a section (continuation
lines joined, comments removed) and its editor settings (```jsonc objects)."""

from __future__ import annotations

import json
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    return text.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def shell_lines(title: str) -> list[str]:
    """Every command of the section's ```sh blocks, in order."""
    lines: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", section(title), re.S):
        for line in block.replace("\\\n", " ").splitlines():
            command = line.split("  #", 1)[0].strip()
            if command:
                lines.append(re.sub(r"\s+", " ", command))
    return lines


def editor_settings(title: str) -> list[dict]:
    """The section's ```jsonc settings objects, keys without their "finetune." prefix (the
    section the server reads)."""
    found = []
    for block in re.findall(r"```jsonc\n(.*?)```", section(title), re.S):
        settings = json.loads(block)
        found.append({key.removeprefix("finetune."): value for key, value in settings.items()})
    return found


def file_blocks(title: str) -> dict[str, str]:
    """The section's blocks that stand for a shipped file, each after `<!-- PATH -->`:
    {PATH: the block's text}."""
    return dict(re.findall(r"<!-- (\S+) -->\n```\w*\n(.*?)```", section(title), re.S))
