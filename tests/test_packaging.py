"""The package as PyPI and pipx users get it: one version for the Python package and the
VS Code extension, an sdist and a wheel that `twine check --strict` accepts, the sdist
holding the repository as git tracks it (so its tests run as the repository's do), and the
README's Install block run as written, with the built wheel standing in for PyPI's."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from readme_blocks import shell_lines

REPO = Path(__file__).resolve().parent.parent
VERSION = json.loads((REPO / "client-vscode" / "package.json").read_text())["version"]
BIN = Path(sys.executable).parent


def run(command: list[str], **options) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, **options)
    assert done.returncode == 0, f"{' '.join(map(str, command))} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """`python -m build`: the sdist, then the wheel built from the sdist (as PyPI's tools do)."""
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--outdir", str(out), str(REPO)], timeout=600)
    return out


def only(folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern))
    assert len(found) == 1, f"{pattern} in {folder}: {found}"
    return found[0]


def test_one_version_for_the_package_and_the_extension(dist):
    assert re.fullmatch(r"\d+\.\d+\.\d+(?:[-.]?\w+)?", VERSION), VERSION
    sdist, wheel = only(dist, "*.tar.gz"), only(dist, "*.whl")
    assert sdist.name == f"finetune_ls-{VERSION}.tar.gz"
    assert wheel.name == f"finetune_ls-{VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read(f"finetune_ls-{VERSION}.dist-info/METADATA").decode()
        assert f"\nVersion: {VERSION}\n" in metadata
        assert f"'{VERSION}'" in archive.read("finetune_ls/_version.py").decode()
    printed = run([str(BIN / "finetune-ls"), "--version"]).stdout.strip()
    assert printed == f"finetune-ls {VERSION}"
    changelog = (REPO / "client-vscode" / "CHANGELOG.md").read_text()
    assert re.search(r"^## (\S+)", changelog, re.M).group(1) == VERSION, "the CHANGELOG's newest entry is another version"


def test_twine_accepts_the_sdist_and_the_wheel(dist):
    done = run([str(BIN / "twine"), "check", "--strict", *map(str, sorted(dist.iterdir()))])
    assert done.stdout.count("PASSED") == 2, done.stdout


def test_the_sdist_is_the_repository_as_git_tracks_it(dist):
    listed = run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=REPO).stdout
    tracked = {name for name in listed.split("\0") if name and (REPO / name).is_file()}
    with tarfile.open(only(dist, "*.tar.gz")) as archive:
        root = f"finetune_ls-{VERSION}/"
        members = {member.name.removeprefix(root) for member in archive.getmembers() if member.isfile()}
    built = {"PKG-INFO", "server/finetune_ls/_version.py"}  # the metadata, and the version the build wrote
    assert members - tracked == built, "in the sdist, not tracked: " + ", ".join(sorted(members - tracked - built))
    assert tracked - members == set(), "tracked, missing from the sdist: " + ", ".join(sorted(tracked - members))


def test_the_sdists_tests_run_from_it(dist, tmp_path):
    with tarfile.open(only(dist, "*.tar.gz")) as archive:
        archive.extractall(tmp_path, filter="data")
    unpacked = tmp_path / f"finetune_ls-{VERSION}"
    env = {**os.environ, "PYTHONPATH": str(unpacked / "server"),  # ahead of this checkout's editable install
           # The shared data beside this checkout (the unpacked sdist has no ../shared of its own).
           "FINETUNE_LS_SHARED": os.environ.get("FINETUNE_LS_SHARED", str(REPO.parent / "shared")),
           "FINETUNE_LS_CORPUS": os.environ.get("FINETUNE_LS_CORPUS", str(REPO.parent / "shared" / "corpus"))}
    where = run([sys.executable, "-c", "import finetune_ls; print(finetune_ls.__file__, finetune_ls.__version__)"],
                cwd=unpacked, env=env).stdout.split()
    assert Path(where[0]).is_relative_to(unpacked) and where[1] == VERSION, where
    # A sample that needs the sdist's schemas, examples and test helpers, and starts its server.
    done = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_schemas.py",
                "tests/lsp/test_diagnostics.py"], cwd=unpacked, env=env, timeout=900)
    assert re.search(r"\d+ passed", done.stdout) and "skipped" not in done.stdout and "failed" not in done.stdout, done.stdout[-2000:]


def test_the_readmes_install_block_with_pipx(dist, tmp_path):
    """The README's commands, verbatim; pip finds finetune-ls in the build folder (as it
    will on PyPI) and its dependencies in the usual index."""
    commands = shell_lines("Install")
    assert commands and commands[0] == "pipx install finetune-ls", commands
    home = tmp_path / "pipx"
    env = {**os.environ, "PIPX_HOME": str(home), "PIPX_BIN_DIR": str(home / "bin"), "PIPX_MAN_DIR": str(home / "man"),
           "PIP_FIND_LINKS": str(dist), "PATH": f"{home / 'bin'}{os.pathsep}{BIN}{os.pathsep}{os.environ['PATH']}",
           "FINETUNE_LS_CACHE_DIR": str(tmp_path / "cache")}
    for command in commands:
        done = run(["bash", "-c", command], cwd=tmp_path, env=env, timeout=900)
        if command == "finetune-ls --version":
            assert done.stdout.strip() == f"finetune-ls {VERSION}"
    installed = shutil.which("finetune-ls", path=str(home / "bin"))
    assert installed, "pipx put no finetune-ls on its PATH"
    checked = subprocess.run([installed, "check", str(REPO / "examples" / "train.jsonl"), "--format", "json"],
                             capture_output=True, text=True, env=env, timeout=300)
    assert checked.returncode == 1, checked.stderr  # the example has errors on purpose
    assert {"unknown-role", "duplicate-example"} <= {f["code"] for f in json.loads(checked.stdout)["files"][0]["findings"]}
    python = home / "venvs" / "finetune-ls" / "bin" / "python"
    run([str(python), "-c", "import azure.identity, huggingface_hub"])  # the extras of the block's last install
