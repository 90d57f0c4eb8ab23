"""A real editor as the client: Neovim (headless) attaches finetune-ls to a broken file,
sees the right diagnostics, and keeps seeing them right while it edits the buffer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from editor_tools import BROKEN, DEBIAN_NVIM, require  # noqa: E402

HERE = Path(__file__).resolve().parent



def test_neovim_sees_and_follows_the_diagnostics(tmp_path):
    train = tmp_path / "train.jsonl"
    train.write_text(BROKEN, encoding="utf-8")
    out = tmp_path / "seen.json"
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home), "XDG_DATA_HOME": str(home),
           "XDG_STATE_HOME": str(home), "XDG_CACHE_HOME": str(home),
           "FTLS_SERVER": f"{sys.executable} -m finetune_ls serve", "FTLS_FILE": str(train), "FTLS_OUT": str(out)}
    nvim = require(DEBIAN_NVIM, "apt-get install neovim")
    result = subprocess.run([str(nvim), "--headless", "--clean", "-c", f"luafile {HERE / 'neovim_check.lua'}"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert out.is_file(), result.stderr
    seen = json.loads(out.read_text())
    assert seen["opened"], seen["after_open"]
    after_open = {(d["code"], d["line"]) for d in seen["after_open"]}
    assert {("unknown-role", 12), ("unknown-key", 12)} <= after_open
    assert seen["edited"] and ("unknown-role", 12) not in {(d["code"], d["line"]) for d in seen["after_edit"]}
    assert seen["inserted"], seen["after_insert"]
