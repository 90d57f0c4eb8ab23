"""The pre-commit hook (.pre-commit-hooks.yaml) as a user's repository runs it.

`pre-commit try-repo` installs this repository into a hook environment of its own (pip, from
PyPI: about 25 s each time, since try-repo keeps it in a temporary store) and runs the hook on a
scratch repository. The validation pairing inside pre-commit's file lists is tested with the same
hook definition run from the test environment (`language: system`), which needs no install.
Nothing is written to the home folder: pre-commit's, pip's and finetune-ls's caches are in tmp_path.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
HOOK = "finetune-ls-check"


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def scratch(tmp_path, monkeypatch) -> Path:
    """A git repository with the broken example and the clean one staged; caches in tmp_path."""
    home = tmp_path / "home"
    for name, value in {"PRE_COMMIT_HOME": home / "pre-commit", "XDG_CACHE_HOME": home / "cache",
                        "XDG_DATA_HOME": home / "data", "FINETUNE_LS_CACHE_DIR": home / "finetune-ls",
                        "TMPDIR": home / "tmp"}.items():  # try-repo's store is a temporary folder
        value.mkdir(parents=True)
        monkeypatch.setenv(name, str(value))
    monkeypatch.setenv("NO_COLOR", "1")
    repo = tmp_path / "data-repo"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "config", "user.name", "Test")
    git(repo, "config", "user.email", "test@example.com")
    shutil.copy(EXAMPLES / "train.jsonl", repo / "train.jsonl")  # broken on purpose
    shutil.copy(EXAMPLES / "clean.jsonl", repo / "clean.jsonl")
    git(repo, "add", ".")
    return repo


def pre_commit(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=repo, capture_output=True,
                          text=True, timeout=600)


def test_try_repo_fails_on_the_broken_file_then_passes_once_fixed(scratch):
    if not (REPO / ".git").exists():
        pytest.skip("try-repo needs this repository as a git repository (not an unpacked sdist)")
    broken = pre_commit(scratch, "try-repo", str(REPO), HOOK, "--files", "train.jsonl", "clean.jsonl")
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "finetune-ls check...." in broken.stdout and "Failed" in broken.stdout
    assert 'train.jsonl:2:204: error[unknown-role] Role "model" is not allowed here' in broken.stdout
    assert "train.jsonl:15:107: error[unclosed-bracket]" in broken.stdout

    shutil.copy(EXAMPLES / "clean.jsonl", scratch / "train.jsonl")  # the fix
    fixed = pre_commit(scratch, "try-repo", str(REPO), HOOK, "--files", "train.jsonl", "clean.jsonl")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "finetune-ls check...." in fixed.stdout and "Passed" in fixed.stdout


@pytest.fixture
def paired(scratch, cli_path) -> Path:
    """The hook as .pre-commit-hooks.yaml defines it, run by the test environment's finetune-ls,
    with the user's `args` naming a validation file that shares two examples with train.jsonl."""
    (hook,) = [h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text()) if h["id"] == HOOK]
    command = hook["entry"].split()
    assert command[0] == "finetune-ls"
    hook.update(language="system", entry=" ".join([cli_path, *command[1:]]), args=["--validation-file", "valid.jsonl"])
    config = {"repos": [{"repo": "local", "hooks": [hook]}]}
    (scratch / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    clean = (EXAMPLES / "clean.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    (scratch / "train.jsonl").write_text("".join(clean), encoding="utf-8")
    (scratch / "valid.jsonl").write_text("".join(clean[:2]), encoding="utf-8")
    (scratch / "notes.txt").write_text("not a data file\n", encoding="utf-8")
    git(scratch, "rm", "-q", "--cached", "clean.jsonl")
    (scratch / "clean.jsonl").unlink()
    git(scratch, "add", ".")
    return scratch


def reports(output: str) -> list[str]:
    """The files the text output has a summary for, in order."""
    return [line.split()[1] for line in output.splitlines() if line.strip().startswith("file ")]


@pytest.mark.parametrize("files", [["train.jsonl", "valid.jsonl"], ["valid.jsonl", "train.jsonl"], ["train.jsonl"],
                                   ["--all-files"]])
def test_pairing_when_the_training_file_is_in_the_list(paired, files):
    args = files if files == ["--all-files"] else ["--files", *files, "notes.txt"]
    result = pre_commit(paired, "run", HOOK, "--verbose", *args)
    assert result.returncode == 0, result.stdout + result.stderr  # overlap is a warning
    assert reports(result.stdout) == ["train.jsonl", "valid.jsonl"]  # the validation file once, as validation
    assert result.stdout.count("warning[validation-overlap]") == 4  # two shared examples, flagged in both
    assert "notes.txt" not in result.stdout


def test_only_the_validation_file_changed(paired):
    result = pre_commit(paired, "run", HOOK, "--verbose", "--files", "valid.jsonl")
    assert result.returncode == 0, result.stdout + result.stderr
    assert reports(result.stdout) == ["valid.jsonl"]
    assert "validation files are not billed" in result.stdout  # checked as the validation file


def test_only_other_files_changed(paired):
    result = pre_commit(paired, "run", HOOK, "--files", "notes.txt")
    assert result.returncode == 0 and "(no files to check)Skipped" in result.stdout, result.stdout


def test_many_training_files_share_one_validation_check(paired):
    """pre-commit splits a long file list into parallel batches unless the hook is serial; each
    batch would check the validation file again and see only some of the training files."""
    shards = [f"train-{n}.jsonl" for n in range(9)]
    for name in shards:
        shutil.copy(paired / "train.jsonl", paired / name)
    result = pre_commit(paired, "run", HOOK, "--verbose", "--files", *shards, "valid.jsonl")
    assert result.returncode == 0, result.stdout + result.stderr
    assert reports(result.stdout) == shards + ["valid.jsonl"]


def test_any_case_and_utf16_are_checked(paired):
    """The hook selects by name: identify tags a UTF-16 export binary, and `check` must say so."""
    text = (EXAMPLES / "clean.jsonl").read_text(encoding="utf-8")
    (paired / "EXPORT.JSONL").write_bytes(text.encode("utf-16"))
    result = pre_commit(paired, "run", HOOK, "--files", "EXPORT.JSONL")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "EXPORT.JSONL: error[binary-file]" in result.stdout


def test_the_readmes_pre_commit_config_works_as_written(scratch):
    """README.md's `.pre-commit-config.yaml` block, with its placeholders (OWNER's repository, the
    rev) pointed at this repository and its HEAD: `pre-commit run` fails on the broken example."""
    if not (REPO / ".git").exists():
        pytest.skip("the config names this repository by a git rev (not an unpacked sdist)")
    import re

    from readme_blocks import section

    (config,) = [block for block in re.findall(r"```yaml\n(.*?)```", section("Using it"), re.S)
                 if "repos:" in block]
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
    assert "https://github.com/OWNER/finetune-ls" in config and "rev: v0.1.0" in config, config
    config = config.replace("https://github.com/OWNER/finetune-ls", str(REPO)).replace("rev: v0.1.0", f"rev: {head}")
    (scratch / ".pre-commit-config.yaml").write_text(config, encoding="utf-8")
    git(scratch, "add", ".pre-commit-config.yaml")
    run = pre_commit(scratch, "run", "--all-files")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "finetune-ls check...." in run.stdout and "Failed" in run.stdout
    assert 'train.jsonl:2:204: error[unknown-role]' in run.stdout, run.stdout
