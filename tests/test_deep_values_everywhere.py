"""Values nested as deep as check accepts (up to 1,000 levels), and deeper, through every
command that reads a JSONL file, each a real subprocess: none ends in an internal error.
orjson writes at most 254 levels and Python recurses about 1,000, so every walk over a
parsed value (dedupe's normal form, the digests, the JSON writer) must not recurse."""

from __future__ import annotations

import json
import subprocess

import pytest

TIMEOUT_S = 120
GOOD = ['{"messages":[{"role":"user","content":"q%d"},{"role":"assistant","content":"a%d"}]}' % (n, n)
        for n in range(10)]


def in_tools(levels: int, user: str = "hi") -> str:
    """A chat example whose tool's parameters schema holds a value nesting the line `levels` deep."""
    deep = "[" * (levels - 5) + "]" * (levels - 5)
    return ('{"messages":[{"role":"user","content":"%s"},{"role":"assistant","content":"ok"}],'
            '"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object",'
            '"properties":{},"x":%s}}}]}' % (user, deep))


def in_content(levels: int, user: str = "hi") -> str:
    """A chat example with an extra key inside a content part, nesting the line `levels` deep."""
    deep = "[" * (levels - 5) + "]" * (levels - 5)
    return ('{"messages":[{"role":"user","content":[{"type":"text","text":"%s","extra":%s}]},'
            '{"role":"assistant","content":"ok"}]}' % (user, deep))


def run(cli_path: str, tmp_path, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([cli_path, *args], capture_output=True, text=True, timeout=TIMEOUT_S, cwd=tmp_path,
                          stdin=subprocess.DEVNULL)
    assert "internal error" not in done.stderr, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return done


def write(tmp_path, lines: list[str]) -> str:
    path = tmp_path / "train.jsonl"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("make", [in_tools, in_content])
@pytest.mark.parametrize("levels", [300, 600, 999])
def test_every_command_takes_lines_as_deep_as_check_accepts(cli_path, tmp_path, levels, make):
    deep, again, near = make(levels), make(levels), make(levels, user="HI!")
    source = write(tmp_path, [deep, again, near] + GOOD)
    checked = run(cli_path, tmp_path, "check", "--no-cache", "--format", "json", "--today", "2026-11-26", source)
    assert checked.returncode in (0, 1), checked.stderr
    line_codes = [f["code"] for f in json.loads(checked.stdout)["files"][0]["findings"] if f["scope"] == "line"]
    assert "nesting-too-deep" not in line_codes and "duplicate-example" in line_codes, line_codes

    deduped = run(cli_path, tmp_path, "dedupe", "--json", source)
    assert deduped.returncode == 0, deduped.stderr
    kept = (tmp_path / "train.dedup.jsonl").read_text().splitlines()
    assert kept == [deep] + GOOD  # the exact and the near duplicate of the deep line are gone

    split = run(cli_path, tmp_path, "split", "--valid", "0.25", source)
    assert split.returncode == 0, split.stderr
    parts = [(tmp_path / f"train.{part}.jsonl").read_text().splitlines() for part in ("train", "valid")]
    assert sorted(parts[0] + parts[1]) == sorted([deep, again, near] + GOOD)
    assert any({deep, near} <= set(part) for part in parts)  # near duplicates on the same side
    for command in ("redact", "stats"):
        done = run(cli_path, tmp_path, command, source)
        assert done.returncode == 0, (command, done.stderr)
    assert (tmp_path / "train.redacted.jsonl").read_text().splitlines()[0] == deep

    converted = run(cli_path, tmp_path, "convert", source, "-o", str(tmp_path / "out.jsonl"))
    assert converted.returncode in (0, 1), converted.stderr
    first = (tmp_path / "out.jsonl").read_text().splitlines()[0]
    assert first == deep  # written back in full, not cut


@pytest.mark.parametrize("levels", [1001, 1030, 5000])
def test_every_command_refuses_lines_too_deep_cleanly(cli_path, tmp_path, levels):
    """Past 1,000 levels check reports nesting-too-deep; the other commands refuse the
    file (or, as long as the parser takes it, treat the line as any other); none crashes."""
    source = write(tmp_path, [in_tools(levels), in_content(levels)] + GOOD)
    checked = run(cli_path, tmp_path, "check", "--no-cache", "--format", "json", "--today", "2026-11-26", source)
    codes = [f["code"] for f in json.loads(checked.stdout)["files"][0]["findings"] if f["scope"] == "line"]
    assert codes == ["nesting-too-deep", "nesting-too-deep"], codes
    for args in (["dedupe"], ["split"], ["redact"], ["stats"], ["convert", "-o", str(tmp_path / "out.jsonl")]):
        done = run(cli_path, tmp_path, *args, source, "--force")
        assert done.returncode in (0, 1, 2), (args, done.stderr)


def line_findings(cli_path: str, tmp_path, lines: list[str]) -> list[tuple[str, int, int]]:
    source = write(tmp_path, lines + GOOD)
    done = run(cli_path, tmp_path, "check", "--no-cache", "--format", "json", "--today", "2026-11-26", source)
    return [(f["code"], f["line"], f["column"]) for f in json.loads(done.stdout)["files"][0]["findings"]
            if f["scope"] == "line"]


@pytest.mark.parametrize("levels", [1001, 1030])
def test_the_depth_column_counts_code_points_after_wide_characters(cli_path, tmp_path, levels):
    """An astral emoji is one code point (two UTF-16 units): the CLI's 1-based column
    still points at the bracket that opens level 1,001, in check and in convert."""
    line = in_tools(levels, user="\U0001F600 \u00e9 \U0001F600")
    crossing = line.index("[[[") + (1000 - 5) + 1  # the schema's value starts at level 6
    assert line_findings(cli_path, tmp_path, [line]) == [("nesting-too-deep", 1, crossing)]
    converted = run(cli_path, tmp_path, "convert", str(tmp_path / "train.jsonl"), "-o", str(tmp_path / "out.jsonl"))
    assert f"(at column {crossing})" in converted.stderr, converted.stderr


def test_a_repaired_line_too_deep_is_marked_where_the_repaired_value_crosses(cli_path, tmp_path):
    """A broken line whose repair (here a '}' inserted before the ']') makes a value
    1,001 levels deep: the broken text, missing that '}', counts one level too many, which
    put the finding one bracket early (and where it shows no crossing, at column 1)."""
    prefix = ('{"messages":[{"role":"user","content":"\U0001F600"},{"role":"assistant","content":"ok"}],'
              '"x":[{"y":1],"z":')
    line = prefix + "[" * 1000 + "]" * 1000 + "}"
    crossing = len(prefix) + 1000  # 1-based: the 1,000th bracket of "z" opens level 1,001
    found = line_findings(cli_path, tmp_path, [line])
    assert ("nesting-too-deep", 1, crossing) in found, found
    assert [code for code, _, _ in found] == ["unclosed-bracket", "nesting-too-deep"], found


@pytest.mark.parametrize("levels", [300, 600, 999])
def test_a_deep_line_only_python_reads_is_checked(cli_path, tmp_path, levels):
    """A lone surrogate escape: orjson refuses the line, Python's parser reads it, and the
    value's strings are cleaned of the surrogate, all as deep as check accepts (this was
    an internal error at 600 levels, and a syntax error at 999)."""
    line = in_tools(levels, user="\\ud800 x")
    assert line_findings(cli_path, tmp_path, [line]) == [("invalid-unicode-escape", 1, line.index("\\ud800") + 1)]


@pytest.mark.parametrize("levels", [600, 999])
def test_redact_finds_private_data_at_any_depth(cli_path, tmp_path, levels):
    arrays = levels - 5
    line = in_tools(levels, user="write to jane.roe@fastmail.fm").replace(
        "[" * arrays + "]" * arrays, "[" * arrays + '"mail jane.roe@fastmail.fm"' + "]" * arrays)
    source = write(tmp_path, [line] + GOOD)
    done = run(cli_path, tmp_path, "redact", source)
    assert done.returncode == 0, done.stderr
    redacted = (tmp_path / "train.redacted.jsonl").read_text().splitlines()[0]
    assert redacted == line.replace("jane.roe@fastmail.fm", "[EMAIL]")


@pytest.mark.parametrize("levels", [300, 999])
def test_a_deep_example_over_several_lines_is_found_as_one(cli_path, tmp_path, levels):
    """Recovery reads the lines together with Python's parser: at 999 levels it ran out of
    recursion, and each line was reported as a stray fragment instead."""
    pretty = in_tools(levels).replace('{"messages":', '{\n"messages":').replace(',"tools":', ',\n"tools":')
    assert line_findings(cli_path, tmp_path, pretty.split("\n")) == [("multiline-record", 1, 1)]
