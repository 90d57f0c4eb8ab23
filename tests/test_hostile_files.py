"""What is not a plain file, through the CLI as people run it (a subprocess each time): a
named pipe or a device among the files is refused in one line and the rest are checked;
/dev/zero is never read; a file name that is not UTF-8 is shown, in every output format;
a folder that cannot be listed is named, and the exit status says it.

Every run has a bounded address space, so a regression that reads /dev/zero fails with a
MemoryError instead of taking the machine's memory, and a timeout, so one that waits on a
pipe fails instead of hanging."""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
from pathlib import Path

import pytest

MEMORY_LIMIT = 2 * 1024**3
TIMEOUT = 60
OK = '{"messages":[{"role":"user","content":"Hi %d"},{"role":"assistant","content":"Hello %d!"}]}\n'
GOOD = "".join(OK % (i, i) for i in range(12))
FORMATS = ("text", "json", "sarif", "github")


def _bounded_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run(command: list, cwd: Path | None = None, prefix: tuple = ()) -> subprocess.CompletedProcess:
    return subprocess.run([*prefix, *command], capture_output=True, cwd=cwd, timeout=TIMEOUT,
                          preexec_fn=_bounded_memory)


def check(cli_path: str, *args, cwd: Path | None = None, prefix: tuple = ()) -> subprocess.CompletedProcess:
    return run([cli_path, "check", "--today", "2026-11-26", "--no-cache", *args], cwd, prefix)


def error_lines(result: subprocess.CompletedProcess) -> list[str]:
    return result.stderr.decode("utf-8", "replace").splitlines()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """good.jsonl, a named pipe pipe.jsonl (no writer: reading it would wait for ever) and
    zero.jsonl, a symbolic link to /dev/zero (reading it would never end)."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "good.jsonl").write_text(GOOD, encoding="utf-8")
    os.mkfifo(data / "pipe.jsonl")
    (data / "zero.jsonl").symlink_to("/dev/zero")
    return data


def test_a_folder_scan_refuses_a_pipe_and_a_device_and_checks_the_rest(cli_path, folder):
    result = check(cli_path, "--format", "json", str(folder))
    assert result.returncode == 2  # some files could not be read
    reports = json.loads(result.stdout)["files"]
    assert [Path(report["path"]).name for report in reports] == ["good.jsonl"]
    assert reports[0]["summary"]["examples"] == 12
    lines = error_lines(result)
    assert len(lines) == 2, lines
    pipe, zero = sorted(lines)
    assert str(folder / "pipe.jsonl") in pipe and "not a regular file (a named pipe)" in pipe
    assert str(folder / "zero.jsonl") in zero and "not a regular file (a character device)" in zero


def test_a_device_named_on_the_command_line_is_refused(cli_path, folder):
    for path in ("/dev/zero", str(folder / "zero.jsonl")):
        result = check(cli_path, "--no-tokens", path, str(folder / "good.jsonl"))
        assert result.returncode == 2
        [line] = error_lines(result)
        assert line == f"finetune-ls: cannot read {path}: not a regular file (a character device)"
        assert b"good.jsonl" in result.stdout  # the other file is still checked


def test_preparation_commands_refuse_a_device(cli_path, folder, tmp_path):
    zero = str(folder / "zero.jsonl")
    for command in (["dedupe", zero], ["split", zero], ["stats", zero], ["redact", zero],
                    ["convert", zero, "-o", str(tmp_path / "out.jsonl")]):
        result = run([cli_path, *command])
        assert result.returncode == 2, command
        [line] = error_lines(result)
        assert line == f"finetune-ls: cannot read {zero}: not a regular file (a character device)", command
    assert sorted(os.listdir(folder)) == ["good.jsonl", "pipe.jsonl", "zero.jsonl"]  # nothing written


def test_a_pipe_named_on_the_command_line_is_still_read(cli_path, tmp_path):
    """`<(...)` and named pipes given by name stay readable (README: read whole), by the
    preparation commands as by check."""
    fifo = tmp_path / "feed.jsonl"
    os.mkfifo(fifo)
    writer = subprocess.Popen(["sh", "-c", f"cat > '{fifo}'"], stdin=subprocess.PIPE)
    try:
        writer.stdin.write(GOOD.encode())  # less than a pipe holds: cat passes it on once stats opens
        writer.stdin.close()
        result = run([cli_path, "stats", "--json", str(fifo)])
    finally:
        writer.kill()
        writer.wait(TIMEOUT)
    assert result.returncode == 0 and json.loads(result.stdout)["examples"] == 12


@pytest.mark.parametrize("writer_first", [True, False], ids=["writer-waiting", "writer-late"])
def test_a_named_pipe_is_read_whoever_comes_first(cli_path, tmp_path, writer_first):
    """A writer already waiting when check opens the pipe, or one that comes a second later:
    either way its whole data is read (opened without waiting, the pipe reads as ended until
    a writer comes; it is never opened twice, which could lose a writer that came between)."""
    fifo = tmp_path / "late.jsonl"
    os.mkfifo(fifo)
    write = ["python3", "-c", f"import os, time; time.sleep({0 if writer_first else 1}); "
             f"fd = os.open({str(fifo)!r}, os.O_WRONLY); os.write(fd, {GOOD.encode()!r}); os.close(fd)"]
    for _ in range(3):
        writer = subprocess.Popen(write)
        try:
            result = check(cli_path, "--format", "json", str(fifo))
        finally:
            writer.kill()
            writer.wait(TIMEOUT)
        assert result.returncode == 0, error_lines(result)
        assert json.loads(result.stdout)["files"][0]["summary"]["examples"] == 12


def test_a_file_name_that_is_not_utf8_in_every_format(cli_path, tmp_path):
    """The name's bytes are shown as \\xff escapes (the SARIF URI percent-encodes them), and
    the other files of the folder are reported too."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "good.jsonl").write_text(GOOD, encoding="utf-8")
    Path(os.fsdecode(os.fsencode(data) + b"/caf\xe9.jsonl")).write_text(GOOD, encoding="utf-8")
    shown = "caf\\xe9.jsonl"
    for fmt in FORMATS:
        for target in (b"data", b"data/caf\xe9.jsonl"):
            result = check(cli_path, "--format", fmt, target, cwd=tmp_path)
            assert result.returncode == 0, (fmt, target, result.stderr)
            assert result.stderr == b""
            out = result.stdout.decode("utf-8")  # valid UTF-8, whatever the file names
            if fmt == "json":
                paths = [Path(report["path"]).name for report in json.loads(out)["files"]]
                assert shown in paths and ("good.jsonl" in paths) == (target == b"data")
            elif fmt == "sarif":
                uris = {result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                        for result in json.loads(out)["runs"][0]["results"]}
                assert "data/caf%E9.jsonl" in uris
            elif fmt == "github":
                assert f"file=data/{shown},line=1" in out
            else:
                assert f"  file             data/{shown}\n" in out
            if target == b"data":
                assert "good.jsonl" in out


def test_a_binary_file_summary_names_no_model(cli_path, tmp_path):
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(b"\x00\x01\x02")
    result = check(cli_path, "--color", "never", str(binary))
    assert result.returncode == 1
    out = result.stdout.decode()
    assert "binary-file" in out and "None" not in out and "model" not in out


def _as_unprivileged_root() -> tuple[str, ...] | None:
    """How to run a command that root's privileges do not let read every folder: as root,
    without the capabilities that bypass file permissions (setpriv drops them from the
    bounding set, so the command keeps uid 0 and can still reach pytest's root-only tmp)."""
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    return (setpriv, "--bounding-set=-dac_override,-dac_read_search", "--") if setpriv else None


def test_an_unreadable_subfolder_is_named_and_fails_the_run(cli_path, tmp_path):
    prefix = _as_unprivileged_root()
    if prefix is None:
        pytest.skip("running as root without setpriv: root reads a folder of mode 000")
    data = tmp_path / "data"
    locked = data / "locked"
    locked.mkdir(parents=True)
    (data / "good.jsonl").write_text(GOOD, encoding="utf-8")
    (locked / "hidden.jsonl").write_text(GOOD, encoding="utf-8")
    locked.chmod(0)
    try:
        if run(["ls", str(locked)], prefix=prefix).returncode == 0:
            pytest.skip("cannot make a folder unreadable here (capabilities could not be dropped)")
        result = check(cli_path, "--format", "json", str(data), prefix=prefix)
    finally:
        locked.chmod(0o755)
    assert result.returncode == 2
    [line] = error_lines(result)
    assert line == f"finetune-ls: cannot read folder {locked}: Permission denied; its files were skipped"
    assert [Path(report["path"]).name for report in json.loads(result.stdout)["files"]] == ["good.jsonl"]
