"""`finetune-ls check` as people and CI run it: a real subprocess each time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import ROOT

OK = '{"messages":[{"role":"user","content":"Hi %d"},{"role":"assistant","content":"Hello %d!"}]}\n'
GOOD = "".join(OK % (i, i) for i in range(12))
BROKEN = GOOD + '{"messages":[{"role":"model","content":"x"}],"id":1}\n'
FINDING_KEYS = {"code", "severity", "scope", "line", "column", "end_line", "end_column", "message", "pointer"}


def run(cli_path, *args, stdin=None, cwd=None):
    return subprocess.run([cli_path, "check", "--today", "2026-11-26", *args], input=stdin, capture_output=True,
                          text=True, cwd=cwd, timeout=120)


@pytest.fixture
def files(tmp_path):
    (tmp_path / "good.jsonl").write_text(GOOD, encoding="utf-8")
    (tmp_path / "broken.jsonl").write_text(BROKEN, encoding="utf-8")
    return tmp_path


def test_exit_codes(cli_path, files):
    assert run(cli_path, str(files / "good.jsonl")).returncode == 0
    assert run(cli_path, str(files / "broken.jsonl")).returncode == 1
    missing = run(cli_path, str(files / "nope.jsonl"))
    assert missing.returncode == 2
    assert missing.stderr.strip().count("\n") == 0 and "Traceback" not in missing.stderr
    assert "nope.jsonl" in missing.stderr
    assert run(cli_path, "--epochs", "0", str(files / "good.jsonl")).returncode == 2
    assert run(cli_path, "--format", "yaml", str(files / "good.jsonl")).returncode == 2


def test_text_output_is_compiler_style(cli_path, files):
    result = run(cli_path, "--color", "never", str(files / "broken.jsonl"))
    lines = result.stdout.splitlines()
    role = next(line for line in lines if "[unknown-role]" in line)
    assert role.startswith(f"{files / 'broken.jsonl'}:13:")
    assert ": error[unknown-role] " in role and 'use "assistant"' in role
    assert any(line.strip().startswith("estimated cost") for line in lines)
    assert "\033[" not in result.stdout


def test_json_output_has_the_agreed_shape(cli_path, files):
    result = run(cli_path, "--format", "json", str(files / "broken.jsonl"), str(files / "good.jsonl"))
    document = json.loads(result.stdout)
    assert document["version"] == 1 and len(document["files"]) == 2
    broken = document["files"][0]
    assert set(broken) == {"path", "format", "findings", "summary"} and broken["format"] == "chat"
    for finding in broken["findings"]:
        assert set(finding) == FINDING_KEYS
        assert finding["severity"] in ("error", "warning", "information", "hint")
        assert finding["scope"] in ("line", "file")
    role = next(f for f in broken["findings"] if f["code"] == "unknown-role")
    line = BROKEN.splitlines()[12]
    assert (role["line"], role["end_line"]) == (13, 13)
    assert line[role["column"] - 1 : role["end_column"] - 1] == '"model"'
    assert role["pointer"] == "/messages/0/role"
    for key in ("examples", "tokens", "trained_tokens", "longest_example", "over_limit", "epochs", "billed_tokens",
                "estimated_cost_usd"):
        assert key in broken["summary"]


def test_stdin_and_folders(cli_path, files):
    piped = run(cli_path, "--format", "json", "-", stdin=BROKEN)
    assert piped.returncode == 1 and json.loads(piped.stdout)["files"][0]["path"] == "-"
    folder = run(cli_path, "--format", "json", str(files))
    paths = [Path(f["path"]).name for f in json.loads(folder.stdout)["files"]]
    assert paths == ["broken.jsonl", "good.jsonl"]


def test_github_annotations(cli_path, files):
    result = run(cli_path, "--format", "github", str(files / "broken.jsonl"))
    annotation = next(line for line in result.stdout.splitlines() if "unknown-role" in line)
    assert annotation.startswith("::error file=")
    assert ",line=13," in annotation and "title=finetune-ls unknown-role::" in annotation


def test_github_annotations_name_files_from_the_working_directory_as_sarif_does(cli_path, files):
    """GitHub places an annotation by the file's path from the workspace: `./data/a.jsonl`, the file's
    absolute path, and its absolute path through a symbolic link to the workspace all name it
    data/broken.jsonl, as SARIF's uri does; a file outside keeps the path it was given."""
    (files / "data").mkdir()
    (files / "broken.jsonl").rename(files / "data" / "broken.jsonl")
    link = files.parent / (files.name + "-link")
    link.symlink_to(files, target_is_directory=True)
    for named in ("./data/broken.jsonl", str(files / "data" / "broken.jsonl"), str(link / "data" / "broken.jsonl")):
        for fmt in ("github", "sarif"):
            result = run(cli_path, "--format", fmt, named, cwd=files)
            if fmt == "github":
                files_named = {line.split(",")[0].split("file=")[1] for line in result.stdout.splitlines()}
                assert files_named == {"data/broken.jsonl"} and "::error file=data/broken.jsonl,line=13," in \
                    result.stdout, (named, result.stdout)
            else:
                uri = json.loads(result.stdout)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
                assert uri["artifactLocation"]["uri"] == "data/broken.jsonl", (named, uri)
    outside = run(cli_path, "--format", "github", str(files / "data" / "broken.jsonl"), cwd=files.parent)
    assert f"::error file={files.name}/data/broken.jsonl,line=13," in outside.stdout, outside.stdout


def test_github_escapes_newlines_and_commas():
    from finetune_ls.cli.output import github_annotation
    from finetune_ls.core.findings import Finding, Severity
    finding = Finding("x", Severity.WARNING, "a\nb %", 0, 0, 0, 1, 0, 1)
    assert github_annotation("dir,a:b.jsonl", finding) == \
        "::warning file=dir%2Ca%3Ab.jsonl,line=1,col=1,endLine=1,endColumn=2,title=finetune-ls x::a%0Ab %25"


def test_sarif_output(cli_path, files):
    result = run(cli_path, "--format", "sarif", "broken.jsonl", cwd=files)
    log = json.loads(result.stdout)
    assert log["version"] == "2.1.0"
    run_ = log["runs"][0]
    rules = [rule["id"] for rule in run_["tool"]["driver"]["rules"]]
    for item in run_["results"]:
        assert rules[item["ruleIndex"]] == item["ruleId"]
        location = item["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == "broken.jsonl"
        assert location["region"]["startLine"] >= 1 and location["region"]["startColumn"] >= 1
    schema_file = os.environ.get("FINETUNE_LS_SARIF_SCHEMA")
    if not schema_file:
        pytest.skip("FINETUNE_LS_SARIF_SCHEMA is not set (.ci/run fetches the official SARIF 2.1.0 schema)")
    import jsonschema
    schema = json.loads(Path(schema_file).read_text(encoding="utf-8"))
    jsonschema.validators.validator_for(schema)(schema).validate(log)


def test_validation_file_overlap(cli_path, files):
    (files / "valid.jsonl").write_text(OK % (3, 3), encoding="utf-8")
    result = run(cli_path, "--format", "json", "--validation-file", str(files / "valid.jsonl"),
                 str(files / "good.jsonl"))
    reports = json.loads(result.stdout)["files"]
    assert [Path(r["path"]).name for r in reports] == ["good.jsonl", "valid.jsonl"]
    for report in reports:
        assert any(f["code"] == "validation-overlap" for f in report["findings"])
    assert result.returncode == 0  # overlap is a warning


def test_options_reach_the_engine(cli_path, files, tmp_path):
    data = files / "good.jsonl"
    dpo = json.loads(run(cli_path, "--format", "json", "--method", "dpo", str(data)).stdout)
    assert any(f["code"] == "format-method-mismatch" for f in dpo["files"][0]["findings"])
    epochs = json.loads(run(cli_path, "--format", "json", "--epochs", "4", "--model", "gpt-4o-mini", str(data)).stdout)
    summary = epochs["files"][0]["summary"]
    assert summary["epochs"] == 4 and summary["model"] == "gpt-4o-mini"
    no_tokens = json.loads(run(cli_path, "--format", "json", "--no-tokens", str(data)).stdout)
    assert no_tokens["files"][0]["summary"]["tokens"] is None
    catalog = tmp_path / "models.json"
    catalog.write_text('{"models": [{"id": "house-model", "training_price_per_1m": 1.0, "training_context": 4096}]}')
    custom = json.loads(run(cli_path, "--format", "json", "--catalog", str(catalog), "--model", "house-model",
                            str(data)).stdout)
    assert custom["files"][0]["summary"]["price_per_1m_tokens"] == 1.0
    catalog.write_text("{")
    bad = run(cli_path, "--catalog", str(catalog), str(data))
    assert bad.returncode == 2 and "not valid JSON" in bad.stderr


def test_hints_only_on_request(cli_path, tmp_path):
    legacy = tmp_path / "legacy.jsonl"
    legacy.write_text('{"prompt":"2+2 ->","completion":" 4\\n"}\n' * 10, encoding="utf-8")
    quiet = json.loads(run(cli_path, "--format", "json", str(legacy)).stdout)["files"][0]["findings"]
    loud = json.loads(run(cli_path, "--format", "json", "--hints", str(legacy)).stdout)["files"][0]["findings"]
    assert not any(f["severity"] == "hint" for f in quiet)
    assert sum(f["code"] == "legacy-format" for f in loud) == 10


def test_module_entry_point(files):
    result = subprocess.run([sys.executable, "-m", "finetune_ls", "check", str(files / "good.jsonl")],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr


def test_stdin_only_once_and_upper_case_extensions(cli_path, tmp_path):
    assert run(cli_path, "-", "-", stdin=GOOD).returncode == 2
    (tmp_path / "UPPER.JSONL").write_text(GOOD, encoding="utf-8")
    found = json.loads(run(cli_path, "--format", "json", str(tmp_path)).stdout)["files"]
    assert [Path(f["path"]).name for f in found] == ["UPPER.JSONL"]


def test_text_summary_rows(cli_path, files):
    out = run(cli_path, "--color", "never", str(files / "good.jsonl")).stdout
    rows = [line.strip() for line in out.splitlines()]
    for row in ("examples", "tokens", "longest example", "over the limit", "model", "epochs", "billed tokens",
                "estimated cost", "other models", "findings"):
        assert any(line.startswith(row) for line in rows), row
    assert "(trained " in out


def test_usage_errors_are_one_line(cli_path, tmp_path):
    for args in (("--format", "yaml", "x.jsonl"), ("--epochs", "x", "x.jsonl"), ("--method", "rl", "x.jsonl")):
        result = run(cli_path, *args)
        assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    (tmp_path / "empty").mkdir()
    assert run(cli_path, str(tmp_path / "empty")).returncode == 2
    assert run(cli_path, "--validation-file", str(tmp_path / "nope.jsonl"), str(tmp_path / "empty")).returncode == 2


def test_random_bytes_through_the_cli(cli_path, tmp_path):
    import random
    noise = tmp_path / "noise.jsonl"
    noise.write_bytes(random.Random(3).randbytes(200_000))
    result = run(cli_path, "--format", "json", str(noise))
    assert result.returncode in (0, 1) and "Traceback" not in result.stderr
    json.loads(result.stdout)


def test_pipes_are_read_whole(cli_path, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    writer = subprocess.Popen(["sh", "-c", f"cat > '{fifo}'"], stdin=subprocess.PIPE, text=True)
    reader = subprocess.Popen([cli_path, "check", "--format", "json", str(fifo)], stdout=subprocess.PIPE, text=True)
    writer.communicate(GOOD)
    output, _ = reader.communicate(timeout=60)
    assert json.loads(output)["files"][0]["summary"]["examples"] == 12


def test_validation_file_inside_the_checked_folder(cli_path, files):
    (files / "valid.jsonl").write_text(OK % (3, 3), encoding="utf-8")
    result = run(cli_path, "--format", "json", "--validation-file", str(files / "valid.jsonl"), str(files))
    reports = json.loads(result.stdout)["files"]
    names = [Path(r["path"]).name for r in reports]
    assert names.count("valid.jsonl") == 1
    valid = next(r for r in reports if Path(r["path"]).name == "valid.jsonl")
    assert not any(f["code"] == "too-few-examples" for f in valid["findings"])


def test_sarif_keeps_within_githubs_limit(cli_path, tmp_path):
    many = tmp_path / "many.jsonl"
    many.write_text("".join((OK % (i, i)).replace("}]}", '}],"id":1}') for i in range(25_100)), encoding="utf-8")
    log = json.loads(run(cli_path, "--format", "sarif", "--no-tokens", str(many)).stdout)
    run_ = log["runs"][0]
    assert len(run_["results"]) == 25_000
    assert run_["properties"]["omittedResults"] > 0
    assert all(item["level"] == "error" for item in run_["results"])  # the most severe are kept


def test_colour_and_progress_on_a_terminal(cli_path, tmp_path):
    import pty
    big = tmp_path / "big.jsonl"
    big.write_text((OK % (1, 1)).replace("}]}", '}],"id":1}') * 1 + "".join(OK % (i, i) for i in range(200_000)),
                   encoding="utf-8")
    assert big.stat().st_size > 16 * 1024 * 1024
    pid, fd = pty.fork()
    if pid == 0:  # the child runs the CLI with a terminal on stdout and stderr
        os.execv(cli_path, [cli_path, "check", "--no-cache", "--no-tokens", "--today", "2026-11-26", str(big)])
    screen = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        screen += chunk
    os.waitpid(pid, 0)
    assert b"\x1b[31m" in screen  # an error, in colour
    assert b"MB/s" in screen and b"\x1b[K" in screen  # the progress bar, then cleared
    piped = run(cli_path, "--no-tokens", str(big))
    assert "\x1b[" not in piped.stdout and "MB/s" not in piped.stderr
