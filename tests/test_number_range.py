"""Numbers beyond a 64-bit float in `finetune-ls check`, a real subprocess each time.

-1e400 and a 5,000-digit integer are valid JSON; orjson refuses them, and the check called
them "Invalid JSON: number is infinity". No source says what OpenAI's parser does with
them, so they are a warning that says what common parsers do, and that it is not known."""

from __future__ import annotations

import json
import subprocess

TIMEOUT_S = 120
GOOD = ['{"messages":[{"role":"user","content":"q%d"},{"role":"assistant","content":"a%d"}]}' % (n, n)
        for n in range(10)]


def check(cli_path: str, tmp_path, lines: list[str]) -> list[dict]:
    path = tmp_path / "rft.jsonl"
    path.write_text("".join(line + "\n" for line in lines + GOOD))
    done = subprocess.run([cli_path, "check", "--no-cache", "--no-tokens", "--today", "2026-11-26", "--format", "json",
                           "--method", "reinforcement", str(path)], capture_output=True, text=True,
                          timeout=TIMEOUT_S, stdin=subprocess.DEVNULL)
    assert done.returncode in (0, 1), done.stderr
    return [f for f in json.loads(done.stdout)["files"][0]["findings"]
            if f["scope"] == "line" and f["code"] != "rft-ends-with-assistant"]


def test_numbers_beyond_a_double_are_a_warning_that_says_what_parsers_do(cli_path, tmp_path):
    small = '{"messages":[{"role":"user","content":"Hi"}],"reference":-1e400}'
    long = '{"messages":[{"role":"user","content":"Ho"}],"reference":%s}' % ("7" * 5000)
    findings = check(cli_path, tmp_path, [small, long])
    got = [(f["code"], f["severity"], f["line"], f["column"], f["end_column"]) for f in findings]
    start = small.index("-1e400") + 1
    assert got == [("number-out-of-range", "warning", 1, start, start + 6),
                   ("number-out-of-range", "warning", 2, start, start + 5000)], findings
    assert "reads it as -Infinity" in findings[0]["message"] and "not documented" in findings[0]["message"]
    assert "5,000-digit integer" in findings[1]["message"] and "refuses it" in findings[1]["message"]


def test_a_number_beyond_a_double_does_not_hide_the_syntax_error_after_it(cli_path, tmp_path):
    line = '{"messages":[{"role":"user","content":"Hi"}],"reference":1e999,}'
    findings = check(cli_path, tmp_path, [line])
    assert [(f["code"], f["column"]) for f in findings] == \
        [("number-out-of-range", line.index("1e999") + 1), ("trailing-comma", line.index(",}") + 1)], findings
