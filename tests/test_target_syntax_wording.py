"""Syntax findings name the trainer that reads the file, not OpenAI, for open-weight
targets (core/analysis.py _trainer/_rejects, core/syntax.py): a comment line, a number
beyond a 64-bit float, nesting over 1,000 levels. Together's SDK refuses a line that is not
a JSON object (together 3.1.1 together/lib/utils/files.py _check_jsonl); TRL, axolotl and
Unsloth load the file with Hugging Face datasets, whose JSON reader stops at such a line.
OpenAI and Azure keep their words (tests/test_openai_output_unchanged.py covers the rest)."""

from __future__ import annotations

import pytest

from helpers import check

CHAT = '{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]'
LINES = {
    "comment-line": "// exported 2026-12-04",
    "number-out-of-range": CHAT + ', "n": 1e999}',
    "nesting-too-deep": '{"messages": ' + "[" * 1100 + "]" * 1100 + "}",
}


def _message(code: str, **settings) -> str:
    report = check(LINES[code] + "\n" + CHAT + "}\n", count_tokens=False, **settings)
    found = [f.message for f in report.findings if f.code == code]
    assert found, [f.code for f in report.findings]
    return found[0]


@pytest.mark.parametrize("code", sorted(LINES))
@pytest.mark.parametrize("target,name", [("trl", "TRL"), ("axolotl", "axolotl"), ("unsloth", "Unsloth"),
                                         ("together", "Together AI")])
def test_open_weight_targets_are_named(code, target, name):
    message = _message(code, target=target)
    assert "OpenAI" not in message
    assert name in message


def test_comment_line_says_what_the_trainer_does():
    assert "TRL cannot load the file" in _message("comment-line", target="trl")
    assert "Together AI rejects the file" in _message("comment-line", target="together")


@pytest.mark.parametrize("target", ["openai", "azure"])
@pytest.mark.parametrize("code", sorted(LINES))
def test_openai_and_azure_still_say_openai(code, target):
    settings = {"target": target, "provider": "azure"} if target == "azure" else {"target": target}
    message = _message(code, **settings)
    assert "OpenAI" in message and "Azure OpenAI" not in message
