"""The preparation commands' outputs, run as a user runs them (the installed CLI in a
subprocess): bad argument values are usage errors, not crashes; --force never turns a
symbolic link, a pipe or a standard stream into a regular file; new files get the umask's
mode, replaced ones keep theirs; and split writes both of its files or neither."""

from __future__ import annotations

import json
import os
import resource
import signal
import stat
import subprocess
from pathlib import Path

import pytest

TIMEOUT = 60


def run(cli_path: str, *args, cwd: Path, umask: int | None = None, file_size_limit: int | None = None):
    """`finetune-ls args...`, with the umask and the largest file it may write set for it alone."""
    def limits() -> None:
        if umask is not None:
            os.umask(umask)
        if file_size_limit is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit then fails with EFBIG
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))
    return subprocess.run([cli_path, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT,
                          preexec_fn=limits)


def examples(count: int, words: int = 5) -> str:
    """`count` distinct chat examples, no two alike even once normalised (so none travel together)."""
    return "".join(json.dumps({"messages": [{"role": "user", "content": f"question {i} " + "word " * words},
                                            {"role": "assistant", "content": f"answer number {i} " + "x" * i}]}) + "\n"
                   for i in range(count))


@pytest.fixture
def data(tmp_path) -> Path:
    path = tmp_path / "data.jsonl"
    path.write_text(examples(40), encoding="utf-8")
    return path


def leftovers(folder: Path) -> list[str]:
    return sorted(name for name in os.listdir(folder) if name != "data.jsonl")


# ---------------------------------------------------------------- 14: bad values are usage errors
@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "1e999", "0", "-3", "2.5", "ten"])
def test_split_refuses_a_validation_share_that_is_not_one(cli_path, data, value):
    done = run(cli_path, "split", data, f"--valid={value}", cwd=data.parent)
    assert done.returncode == 2, done.stderr
    assert "--valid" in done.stderr and "fraction between 0 and 1, or a whole count" in done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and leftovers(data.parent) == []


# ---------------------------------------------------------------- 16: what --force replaces
def test_force_writes_through_a_symbolic_link_which_stays(cli_path, data, tmp_path):
    elsewhere = tmp_path / "shared"
    elsewhere.mkdir()
    target = elsewhere / "clean.jsonl"
    target.write_text("old\n", encoding="utf-8")
    link = tmp_path / "clean.jsonl"
    link.symlink_to(target)
    done = run(cli_path, "dedupe", data, "-o", link, "--force", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text(encoding="utf-8") == data.read_text(encoding="utf-8")  # no duplicates: all kept
    assert sorted(os.listdir(elsewhere)) == ["clean.jsonl"]  # no temporary or backup file left


def test_force_never_replaces_a_pipe_or_a_standard_stream(cli_path, data, tmp_path):
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    stream = tmp_path / "stdout.jsonl"
    stream.symlink_to("/proc/self/fd/1")  # what /dev/stdout is; the real one is not put at risk here
    for output in (fifo, stream):
        done = run(cli_path, "redact", data, "-o", output, "--force", cwd=tmp_path)
        assert done.returncode == 2 and "is not a regular file" in done.stderr, done.stderr
        assert done.stdout == ""  # nothing was written through the stream either
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and stream.is_symlink()
    assert os.readlink(stream) == "/proc/self/fd/1" and sorted(os.listdir(tmp_path)) == [
        "data.jsonl", "pipe.jsonl", "stdout.jsonl"]


def test_new_outputs_follow_the_umask_and_replaced_ones_keep_their_mode(cli_path, data, tmp_path):
    for umask, mode in ((0o022, 0o644), (0o027, 0o640), (0o002, 0o664)):
        for name in ("data.train.jsonl", "data.valid.jsonl"):
            (tmp_path / name).unlink(missing_ok=True)
        done = run(cli_path, "split", data, cwd=tmp_path, umask=umask)
        assert done.returncode == 0, done.stderr
        for name in ("data.train.jsonl", "data.valid.jsonl"):
            assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == mode, (oct(umask), name)
    kept = tmp_path / "data.dedup.jsonl"
    kept.write_text("old\n", encoding="utf-8")
    kept.chmod(0o604)
    done = run(cli_path, "dedupe", data, "--force", cwd=tmp_path, umask=0o077)
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(os.stat(kept).st_mode) == 0o604 and kept.read_text(encoding="utf-8") != "old\n"
    done = run(cli_path, "convert", data, "-o", tmp_path / "converted.jsonl", cwd=tmp_path, umask=0o022)
    assert stat.S_IMODE(os.stat(tmp_path / "converted.jsonl").st_mode) == 0o644, done.stderr


# ---------------------------------------------------------------- 17: split writes both or neither
def split_sizes(cli_path, data, tmp_path) -> tuple[int, int]:
    """The sizes of the training and validation files of `--valid 0.9` (written, measured, removed)."""
    done = run(cli_path, "split", data, "--valid", "0.9", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    sizes = tuple(os.path.getsize(tmp_path / name) for name in ("data.train.jsonl", "data.valid.jsonl"))
    for name in ("data.train.jsonl", "data.valid.jsonl"):
        os.unlink(tmp_path / name)
    return sizes


def test_split_leaves_nothing_when_its_second_file_cannot_be_written(cli_path, data, tmp_path):
    train_size, valid_size = split_sizes(cli_path, data, tmp_path)
    assert train_size < valid_size  # the limit lets the training file through and stops the validation file
    done = run(cli_path, "split", data, "--valid", "0.9", cwd=tmp_path, file_size_limit=(train_size + valid_size) // 2)
    assert done.returncode == 2 and "File too large" in done.stderr and "nothing written" in done.stderr, done.stderr
    assert leftovers(tmp_path) == []  # neither file, nor a temporary one
    again = run(cli_path, "split", data, "--valid", "0.9", cwd=tmp_path)  # the rerun is not refused
    assert again.returncode == 0, again.stderr
    assert leftovers(tmp_path) == ["data.train.jsonl", "data.valid.jsonl"]


def test_split_with_force_keeps_both_old_files_when_the_second_cannot_be_written(cli_path, data, tmp_path):
    train_size, valid_size = split_sizes(cli_path, data, tmp_path)
    for name in ("data.train.jsonl", "data.valid.jsonl"):
        (tmp_path / name).write_text(f"old {name}\n", encoding="utf-8")
    done = run(cli_path, "split", data, "--valid", "0.9", "--force", cwd=tmp_path,
               file_size_limit=(train_size + valid_size) // 2)
    assert done.returncode == 2 and "nothing written" in done.stderr, done.stderr
    assert leftovers(tmp_path) == ["data.train.jsonl", "data.valid.jsonl"]
    for name in ("data.train.jsonl", "data.valid.jsonl"):
        assert (tmp_path / name).read_text(encoding="utf-8") == f"old {name}\n"


def test_outputs_already_placed_are_taken_back_when_a_later_one_fails(tmp_path, monkeypatch):
    """The step the disk-full test cannot reach: every output is complete, and moving the
    second into place fails. The first, already replaced, gets its old content back."""
    from finetune_ls.prep import outputs

    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_text("old a\n")
    second.write_text("old b\n")
    replace = os.replace

    def failing_for_the_second(source, target):
        if os.fspath(target) == str(second) and os.fspath(source).endswith(".tmp"):
            raise OSError(28, "No space left on device")
        replace(source, target)

    monkeypatch.setattr(outputs.os, "replace", failing_for_the_second)
    with pytest.raises(OSError) as caught:
        outputs.write_all([(str(first), "new a\n"), (str(second), "new b\n")], replace=True)
    assert caught.value.filename == str(second)
    assert first.read_text() == "old a\n" and second.read_text() == "old b\n"
    assert sorted(os.listdir(tmp_path)) == ["a.jsonl", "b.jsonl"]
