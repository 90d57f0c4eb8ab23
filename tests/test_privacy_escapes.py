"""Private data written with JSON escapes (bob\\u0040corp.io, sk-\\u0041..., digit groups
split by \\u0020 or \\u00a0): `finetune-ls check` finds it at the raw column where the
escaped text starts and ends, and `finetune-ls redact` replaces all of it, escapes included."""

from __future__ import annotations

import json
import random
import subprocess

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from privacy_cases import (CASES, NOT_AN_ESCAPE, PREFIX, PREFIX_DECODED, PRIVACY_CODES, SUFFIX, SUFFIX_DECODED,
                           case_line, content, line_of)
from finetune_ls.core.privacy import detect, line_matches, may_hold_private

TIMEOUT = 120


def _run(cli_path: str, *arguments) -> subprocess.CompletedProcess:
    return subprocess.run([cli_path, *map(str, arguments)], capture_output=True, text=True, timeout=TIMEOUT)


def _privacy_findings(cli_path: str, path) -> list[dict]:
    run = _run(cli_path, "check", path, "--format", "json", "--no-cache", "--no-tokens")
    assert run.returncode in (0, 1), run.stderr
    [report] = json.loads(run.stdout)["files"]
    return [f for f in report["findings"] if f["code"] in PRIVACY_CODES]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_check_finds_it_at_the_escaped_text(case, cli_path, tmp_path):
    line = case_line(case)
    path = tmp_path / "data.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    [finding] = _privacy_findings(cli_path, path)
    assert finding["code"] == case.code
    assert finding["line"] == finding["end_line"] == 1
    start = line.index(PREFIX + case.raw) + len(PREFIX)  # code points, as the CLI counts columns
    assert (finding["column"], finding["end_column"]) == (start + 1, start + len(case.raw) + 1)
    assert line[finding["column"] - 1:finding["end_column"] - 1] == case.raw
    for shown in (case.raw, case.decoded, case.decoded[-4:], case.raw[-4:]):
        assert shown not in finding["message"]  # check output ends up in CI logs


def test_redact_replaces_the_whole_escaped_text(cli_path, tmp_path):
    path, output = tmp_path / "data.jsonl", tmp_path / "clean.jsonl"
    kept = line_of(PREFIX + NOT_AN_ESCAPE + SUFFIX)  # a written backslash: no address there
    path.write_text("".join(case_line(case) + "\n" for case in CASES) + kept + "\n", encoding="utf-8")
    run = _run(cli_path, "redact", path, "-o", output, "--json")
    assert run.returncode == 0, run.stderr
    assert [r["code"] for r in json.loads(run.stdout)["replacements"]] == [case.code for case in CASES]
    lines = output.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(CASES) + 1
    for case, line in zip(CASES, lines):
        assert content(line) == PREFIX_DECODED + case.placeholder + SUFFIX_DECODED, case.name
        assert PREFIX + case.placeholder + SUFFIX in line  # the escapes around it are kept as written
        for trace in (case.raw, case.decoded, case.decoded[-4:], case.raw[-4:], "\\u00a0", "\\u0040"):
            assert trace not in line and trace not in content(line), (case.name, trace)
    assert lines[-1] == kept  # kept byte for byte
    assert _privacy_findings(cli_path, output) == []


# Pieces of text, each written into the line either as is or with every character escaped.
_PIECES = st.sampled_from(["jane.roe@fastmail.fm", "+44 20 7946\u00a00958", "(415) 555-2671", "4539 1488 0343 6467",
                           "4539\u202f1488\u202f0343\u202f6467", "sk-proj-4f9Qa1Zr8Lm2Xc7Vb3Nd6Ke0Tw5Yu",
                           "AKIAIOSFODNN7EXAMPL3", "é", "\U0001F600", "\n", "\"", "\\", "/", " ", "word", "@", "u0040",
                           "+", "-", "1234"])


def _escaped(text: str, chooser: random.Random) -> str:
    """`text` as the body of a JSON string, with some characters written as \\u escapes."""
    body = []
    for char in text:
        plain = json.dumps(char, ensure_ascii=False)[1:-1]
        if chooser.random() < 0.5:
            plain = json.dumps(char, ensure_ascii=True)[1:-1] if ord(char) > 0xFFFF else f"\\u{ord(char):04x}"
        body.append(plain)
    return "".join(body)


@hsettings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=10), st.integers(0, 2**32))
def test_escapes_never_hide_a_detection_from_the_line_test(pieces, seed):
    """Whatever detect finds in the decoded string, the cheap line test lets through, and
    each match's raw span decodes to exactly what was detected."""
    text = "".join(pieces)
    line = line_of(_escaped(text, random.Random(seed)))
    value = json.loads(line)
    assert value["messages"][0]["content"] == text
    found = detect(text)
    if found:
        assert may_hold_private(line) and may_hold_private(line.encode())
    matches = line_matches(line, value)
    assert [text[d.start:d.end] for d in found] == [json.loads(f'"{line[m.start:m.end]}"') for m in matches]
