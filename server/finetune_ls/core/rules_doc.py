"""Write docs/rules.md from the rule table: `python -m finetune_ls.core.rules_doc [OUT]`."""

from __future__ import annotations

import sys
from pathlib import Path

from finetune_ls.core.rules import RULES, example_text

_MAX_EXAMPLE = 300


def _example(rule) -> str:
    text = example_text(rule.example)
    lines = text.rstrip("\n").split("\n")
    if len(text) > _MAX_EXAMPLE * 3 or len(lines) > 4:
        shown = [line[:_MAX_EXAMPLE] + (" …" if len(line) > _MAX_EXAMPLE else "") for line in lines[:3]]
        more = len(lines) - 3
        if more > 0:
            shown.append(f"… ({more:,} more lines)")
        lines = shown
    shown = "\n".join(lines).replace("\x00", "\\x00")
    return "".join(f"\\x{ord(c) - 0xDC00:02X}" if 0xDC80 <= ord(c) <= 0xDCFF else c for c in shown)


def render() -> str:
    out = ["# Rules", "",
           "Every finding `finetune-ls` reports, generated from `server/finetune_ls/core/rules.py`",
           "(`python -m finetune_ls.core.rules_doc docs/rules.md`). The test suite runs each example below",
           "and checks that it triggers its rule and that a close counter-example does not.", "",
           "Severity: **error** = OpenAI would reject the file or the example; **warning** = accepted but almost",
           "surely a mistake, or silently changed; **information** / **hint** = advice (hints show in the editor;",
           "the CLI prints them with `--hints`).", "",
           "| code | severity | scope | group |", "| --- | --- | --- | --- |"]
    for code, rule in RULES.items():
        out.append(f"| [`{code}`](#{code}) | {rule.severity.value} | {rule.scope} | {rule.group} |")
    out.append("")
    for code, rule in RULES.items():
        out += [f"## {code}", "", f"**{rule.severity.value}**, {rule.scope} scope. {rule.summary}", "",
                f"**Fix:** {rule.fix}", ""]
        if rule.settings:
            options = ", ".join(f"`--{key} {value}`" for key, value in rule.settings.items())
            out += [f"Checked with {options}.", ""]
        example = _example(rule)
        if example:
            out += ["Example:", "", "```jsonl", example, "```", ""]
    return "\n".join(out)


def main() -> int:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    text = render()
    if target:
        target.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
