"""The README's editor setups, taken from README.md as a user copies them, run in real editors:
each opens a broken file and must show the CLI's findings at the CLI's lines, a hover with the
setup's model, and a quick fix that, applied, clears its diagnostic. The shipped files in
editors/ are the README's blocks, character for character."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from readme_blocks import README, file_blocks, section  # noqa: E402

from editor_tools import (BROKEN, BROKEN_LINE, DEBIAN_EMACS, DEBIAN_NVIM, MODEL, cli_findings,  # noqa: E402
                     current_nvim, require, user_env)

HERE = Path(__file__).resolve().parent
ROOT = README.parent
TITLE = "In your editor"
BLOCKS = file_blocks(TITLE)


def test_the_shipped_files_are_the_readme_blocks():
    shipped = {str(path.relative_to(ROOT)) for path in (ROOT / "editors").rglob("*") if path.is_file()}
    assert shipped == set(BLOCKS), "every file in editors/ is shown in the README, and only those"
    for path, text in BLOCKS.items():
        assert (ROOT / path).read_text(encoding="utf-8") == text, f"{path} differs from its README block"
        assert MODEL in text, f"{path} does not set the model the other setups set"


def test_helix_block_has_what_helix_23_10_requires():
    # Helix is not packaged for Debian 12 and cannot be installed here: its block is only parsed.
    config = tomllib.loads(BLOCKS["editors/helix/languages.toml"])
    server = config["language-server"]["finetune-ls"]
    assert [server["command"], *server["args"]] == ["finetune-ls", "serve"]
    assert server["config"] == {"model": MODEL}
    [language] = config["language"]
    assert language["roots"] is not None and language["file-types"] == ["jsonl"]
    assert language["language-servers"] == ["finetune-ls"] and language["grammar"] == "json"
    assert {"name", "scope"} <= set(language)


def _broken(tmp_path: Path) -> tuple[Path, set[tuple[str, int]]]:
    work = tmp_path / "data"
    work.mkdir()
    train = work / "train.jsonl"
    train.write_text(BROKEN, encoding="utf-8")
    expected = cli_findings(train)
    assert ("unknown-role", BROKEN_LINE + 1) in expected, expected
    return train, expected


def _seen_as_the_cli(seen: dict, expected: set[tuple[str, int]]) -> None:
    assert {(code, line) for code, line in seen["diagnostics"]} == expected, seen
    assert f"Example on line {BROKEN_LINE + 1}" in seen["hover"] and MODEL in seen["hover"], seen.get("hover")
    assert any(a["kind"] == "quickfix" for a in seen["actions"]), seen["actions"]
    assert seen["applied"] and seen["fixed"], seen


def _run_nvim(nvim: Path, config: dict[str, str], tmp_path: Path) -> dict:
    train, expected = _broken(tmp_path)
    home = tmp_path / "home"
    for name, text in config.items():
        (home / ".config" / "nvim" / name).parent.mkdir(parents=True, exist_ok=True)
        (home / ".config" / "nvim" / name).write_text(text, encoding="utf-8")
    out = tmp_path / "seen.json"
    env = user_env(home, FTLS_LINE=str(BROKEN_LINE), FTLS_EXPECT=str(len(expected)), FTLS_OUT=str(out))
    result = subprocess.run([str(nvim), "--headless", str(train), "-c", f"luafile {HERE / 'readme_check.lua'}"],
                            env=env, cwd=train.parent, capture_output=True, text=True, timeout=180)
    assert out.is_file(), (result.stdout, result.stderr)
    seen = json.loads(out.read_text())
    assert seen["attached"], (seen, result.stderr)
    _seen_as_the_cli(seen, expected)
    assert any(title.startswith("Model:") for title in seen["lenses"]), seen["lenses"]
    assert any(title.startswith("14 examples") for title in seen["lenses_after_edit"]), seen["lenses_after_edit"]
    return seen


def test_debian_neovim_runs_the_readme_init_lua(tmp_path):
    nvim = require(DEBIAN_NVIM, "apt-get install neovim")
    seen = _run_nvim(nvim, {"init.lua": BLOCKS["editors/nvim/init.lua"]}, tmp_path)
    assert "hints" not in seen or seen["hints"] > 0  # Neovim before 0.10 has no inlay hints


def _enable_line() -> str:
    [line] = re.findall(r'`(vim\.lsp\.enable\("finetune_ls"\))`', section(TITLE))
    return line + "\n"


def test_current_neovim_runs_the_readme_lsp_config(tmp_path):
    config = {"init.lua": _enable_line(), "lsp/finetune_ls.lua": BLOCKS["editors/nvim/lsp/finetune_ls.lua"]}
    seen = _run_nvim(current_nvim(), config, tmp_path)
    assert seen["version"] == "0.11" and seen["filetype"] == "jsonl"
    assert seen["hints_enabled"] and seen["hints"] > 0, seen


def test_current_neovim_runs_the_readme_init_lua_too(tmp_path):
    # The 0.7-0.10 piece on a Neovim with vim.lsp.start and inlay hints: its 0.8+ and 0.10+ branches.
    seen = _run_nvim(current_nvim(), {"init.lua": BLOCKS["editors/nvim/init.lua"]}, tmp_path)
    assert seen["hints_enabled"] and seen["hints"] > 0, seen


def test_debian_emacs_with_eglot_runs_the_readme_init_el(tmp_path):
    emacs = require(DEBIAN_EMACS, "apt-get install emacs-nox elpa-eglot")
    train, expected = _broken(tmp_path)
    home = tmp_path / "home"
    (home / ".emacs.d").mkdir(parents=True)
    init = home / ".emacs.d" / "init.el"
    init.write_text(BLOCKS["editors/emacs/finetune-ls.el"], encoding="utf-8")
    out = tmp_path / "seen.json"
    env = user_env(home, FTLS_FILE=str(train), FTLS_LINE=str(BROKEN_LINE), FTLS_EXPECT=str(len(expected)),
                   FTLS_OUT=str(out))
    # --batch skips what an interactive Emacs does before init.el: activating installed packages.
    result = subprocess.run([str(emacs), "--batch", "--eval", "(package-activate-all)", "-l", str(init),
                             "-l", str(HERE / "readme_check.el")],
                            env=env, cwd=train.parent, capture_output=True, text=True, timeout=180)
    assert out.is_file(), (result.stdout, result.stderr[-3000:])
    seen = json.loads(out.read_text())
    assert seen["mode"] == "jsonl-mode" and seen["managed"], (seen, result.stderr[-3000:])
    _seen_as_the_cli(seen, expected)
