"""Fixtures of the preparation tests: files written for them, and the CLI run in-process."""

from __future__ import annotations

from pathlib import Path

import pytest

from finetune_ls.cli.main import main


@pytest.fixture
def write(tmp_path):
    """write(name, lines) -> the path of a JSONL file holding the lines."""
    def make(name: str, lines: list[str], ending: str = "\n") -> Path:
        path = tmp_path / name
        path.write_bytes("".join(line + ending for line in lines).encode("utf-8"))
        return path
    return make


@pytest.fixture
def cli(capsys):
    """cli(*args) -> (exit status, stdout, stderr) of `finetune-ls args...`."""
    def run(*args: str) -> tuple[int, str, str]:
        status = main([str(arg) for arg in args])
        out, err = capsys.readouterr()
        return status, out, err
    return run

