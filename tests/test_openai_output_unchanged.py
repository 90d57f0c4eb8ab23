"""The open-weight targets leave OpenAI and Azure alone: `check --format json` over the
real-world corpus (../shared/corpus) and the test fixtures (tests/**/*.jsonl) is
byte-identical to the output of the branch point before the targets' rules (commit
c44befd), for the default target (openai) and for --provider azure (target azure).

Source: the issue's requirement that OpenAI's behaviour stays the default and unchanged;
the old code is taken from git (`git archive c44befd server schemas`) and run with
PYTHONPATH, the new one from this checkout. The only difference allowed is the summary
keys every summary gains with the targets (agreed in issue 15: target, tokenizer,
max_seq_length, overflow, packing); without them the output must be the same bytes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import io
from pathlib import Path

import pytest

from helpers import CORPUS, ROOT

BRANCH_POINT = "c44befd"
TARGET_SUMMARY_KEYS = ("target", "tokenizer", "max_seq_length", "overflow", "packing")


def _without_target_keys(output: bytes) -> bytes:
    """The JSON output with the summary keys the targets add removed, written as the CLI
    writes it (one-space indent), so that everything else is still compared byte for byte."""
    document = json.loads(output)
    for entry in document.get("files", []):
        for key in TARGET_SUMMARY_KEYS:
            entry.get("summary", {}).pop(key, None)
    return json.dumps(document, indent=1, ensure_ascii=False).encode()


def _files() -> list[str]:
    found = sorted(str(p) for p in CORPUS.rglob("*.json*") if p.name != "expected.json") if CORPUS.is_dir() else []
    return found + sorted(str(p) for p in (ROOT / "tests").rglob("*.jsonl"))


def _old_tree(tmp_path: Path) -> Path:
    try:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", BRANCH_POINT, "server", "schemas"],
                                 capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        pytest.skip(f"commit {BRANCH_POINT} is not in this clone's history: {error}")
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(tmp_path, filter="data")
    return tmp_path / "server"


def _run(pythonpath: Path, files: list[str], *extra: str) -> bytes:
    env = dict(os.environ, PYTHONPATH=str(pythonpath), FINETUNE_LS_PROVIDER="")
    env.pop("FINETUNE_LS_TARGET", None)
    result = subprocess.run([sys.executable, "-m", "finetune_ls.cli.main", "check", *files, "--format", "json",
                             "--no-cache", "--hints", "--jobs", "1", *extra], capture_output=True, env=env,
                            cwd=str(ROOT), timeout=600)
    assert result.returncode in (0, 1), result.stderr.decode()[-2000:]
    return result.stdout


@pytest.mark.parametrize("provider", [(), ("--provider", "azure")], ids=["openai", "azure"])
def test_openai_and_azure_output_is_byte_identical(tmp_path, provider):
    if not CORPUS.is_dir():
        pytest.skip(f"the real-world corpus is not at {CORPUS} (set FINETUNE_LS_CORPUS)")
    files = _files()
    assert len(files) >= 40
    old = _run(_old_tree(tmp_path), files, *provider)
    new = _run(ROOT / "server", files, *provider)
    assert old.count(b'"path"') == len(files)
    if all(f'"{key}":'.encode() not in old + new for key in TARGET_SUMMARY_KEYS):
        assert new == old  # byte-identical
    assert _without_target_keys(new) == _without_target_keys(old)
