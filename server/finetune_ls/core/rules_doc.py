"""Write docs/rules.md from the rule table: `python -m finetune_ls.core.rules_doc [OUT]`."""

from __future__ import annotations

import sys
from pathlib import Path

from finetune_ls.core.rule_evidence import ERROR_KINDS, KINDS, SOURCES
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
           "the CLI prints them with `--hints`).", ""]
    out += _evidence_intro()
    out += ["| code | severity | scope | group | evidence |", "| --- | --- | --- | --- | --- |"]
    for code, rule in RULES.items():
        kind = rule.evidence.kind if rule.evidence else "missing"
        out.append(f"| [`{code}`](#{code}) | {rule.severity.value} | {rule.scope} | {rule.group} | {kind} |")
    out.append("")
    for code, rule in RULES.items():
        out += [f"## {code}", "", f"**{rule.severity.value}**, {rule.scope} scope. {rule.summary}", "",
                f"**Fix:** {rule.fix}", ""]
        if rule.evidence:
            out += [f"**Evidence ({rule.evidence.kind}):** {rule.evidence.text}", ""]
        if rule.settings:
            options = ", ".join(f"`--{key} {value}`" for key, value in rule.settings.items())
            out += [f"Checked with {options}.", ""]
        example = _example(rule)
        if example:
            out += ["Example:", "", "```jsonl", example, "```", ""]
    out += ["## Sources", "", "The keys in the evidence above:", ""]
    out += [f"- **[{key}]** {text}" for key, text in SOURCES.items()]
    out.append("")
    return "\n".join(out)


def _evidence_intro() -> list[str]:
    """How each rule's severity follows from what is known about OpenAI's behaviour."""
    strong = [f"**{kind}**" for kind in KINDS if kind in ERROR_KINDS]
    errors = ", ".join(strong[:-1]) + " or " + strong[-1]
    out = ["## Evidence", "",
           "Each rule names what its severity rests on, in one of these classes:", ""]
    out += [f"- **{kind}**: {text}" for kind, text in KINDS.items()]
    out += ["",
            f"A rule is an **error** only with {errors} evidence. Without a source showing that OpenAI refuses",
            "the data, the rule is a warning (or advice) and its message says that OpenAI's behaviour is not",
            "documented. Where one rule covers both cases, each finding takes the severity of its case: an",
            "unknown key on the example itself is an error (observed), inside a message a warning; `weight`",
            "`\"1\"` or `true` is an error (documented), the float `1.0` a warning. `internal-error` is the one",
            "error about finetune-ls itself: a line that was not checked must not pass CI.", "",
            "Undecided: `developer-role-in-sft` has spec evidence (the supervised schema lists no developer",
            "role) but OpenAI's acceptance is unconfirmed, so it stays a warning.", ""]
    return out


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
