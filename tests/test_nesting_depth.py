"""Nesting depth in `finetune-ls check`, a real subprocess each time.

The rule nesting-too-deep stops at 1,000 levels. Below that every step of the check must
cope (jsonschema-rs hands back at most ~255 levels: a schema error on a 263-level value
was an internal error), and above it the finding is at the bracket that opens level
1,001 (orjson stops at 1,025, which put the column 25 brackets late)."""

from __future__ import annotations

import json
import resource
import subprocess

import pytest

TIMEOUT_S = 120
MEMORY_LIMIT = 3 * 1024**3
PREFIX = '{"messages":[{"role":"user","content":'  # content is at level 4
ANSWER = '},{"role":"assistant","content":"ok"}]}'
FILLER = ['{"messages":[{"role":"user","content":"q%d"},{"role":"assistant","content":"a%d"}]}' % (n, n)
          for n in range(10)]


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def check(cli_path: str, tmp_path, lines: list[str], *args: str) -> list[dict]:
    path = tmp_path / "train.jsonl"
    path.write_text("".join(line + "\n" for line in lines + FILLER))
    done = subprocess.run([cli_path, "check", "--no-cache", "--no-tokens", "--today", "2026-11-26", "--format",
                           "json", *args, str(path)], capture_output=True, text=True, timeout=TIMEOUT_S,
                          preexec_fn=_limit_memory, stdin=subprocess.DEVNULL)
    assert done.returncode in (0, 1), done.stderr
    return [f for f in json.loads(done.stdout)["files"][0]["findings"] if f["scope"] == "line"]


def nested_content(levels: int) -> str:
    """A chat line whose user content nests `levels` arrays (the line: levels + 3)."""
    return PREFIX + "[" * levels + '"x"' + "]" * levels + ANSWER


@pytest.mark.parametrize("levels", [260, 263, 600, 997])
def test_deep_values_within_the_limit_get_their_schema_error(cli_path, tmp_path, levels):
    findings = check(cli_path, tmp_path, [nested_content(levels)])
    assert [(f["code"], f["line"], f["column"]) for f in findings] == [("wrong-type", 1, len(PREFIX) + 2)], findings  # at content part 1


@pytest.mark.parametrize("levels", [998, 1010, 1021, 1100, 5000])
def test_too_deep_is_reported_at_the_bracket_that_crossed_the_limit(cli_path, tmp_path, levels):
    """Level 1,001 is the (1001 - 3)th bracket of the content."""
    findings = check(cli_path, tmp_path, [nested_content(levels)])
    assert [(f["code"], f["line"], f["column"]) for f in findings] == \
        [("nesting-too-deep", 1, len(PREFIX) + (1001 - 3))], findings


def test_a_schema_error_around_a_deep_tool_schema_is_reported(cli_path, tmp_path):
    """A tool's parameters may nest deep (900 levels here); a tool not inside an array is
    reported, not an internal error from the validator handing the whole tool back."""
    deep = '{"type":"object","properties":{"a":' + '{"a":' * 890 + "1" + "}" * 890 + "}}"
    line = ('{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}],'
            '"tools":{"type":"function","function":{"name":"f","parameters":%s}}}' % deep)
    findings = check(cli_path, tmp_path, [line])
    assert [(f["code"], f["line"], f["column"]) for f in findings] == \
        [("wrong-type", 1, line.index('"tools"') + 9)], findings


def test_a_deep_line_with_a_certain_repair_is_checked_as_repaired(cli_path, tmp_path):
    """A trailing comma is repaired and the repaired value checked: at 600 levels too."""
    line = nested_content(600)[:-1] + ",}"
    findings = check(cli_path, tmp_path, [line])
    assert sorted(f["code"] for f in findings) == ["trailing-comma", "wrong-type"], findings
