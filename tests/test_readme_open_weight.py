"""The README's open-weight section run as a user would paste it: each shell line, verbatim,
in a shell (so `~` expands), on a clean train.jsonl, offline. The Llama folder the axolotl line
names is made in the test's home from the offline copy of Llama 3's tokenizer; the TRL line uses
the Qwen3 tokenizer bundled with the package. A README line edited is a line tested."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from helpers import ROOT
from readme_blocks import shell_lines

TITLE = "Open-weight models (Together, TRL, axolotl, Unsloth)"
TOKENIZERS = Path(os.environ.get("FINETUNE_LS_TOKENIZERS", ROOT.parent / "shared" / "tokenizers"))
CHAT = '{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"q%d"},' \
       '{"role":"assistant","content":"a%d"}]}\n'


def test_the_readme_open_weight_lines_run_as_written(cli_path, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(TOKENIZERS / "llama3_1", home / "models" / "Llama-3.1-8B-Instruct")
    work = tmp_path / "work"
    work.mkdir()
    (work / "train.jsonl").write_text("".join(CHAT % (i, i) for i in range(12)), encoding="utf-8")
    bin_dir = str(Path(cli_path).parent)
    env = {**os.environ, "HOME": str(home), "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
           "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf"), "FINETUNE_LS_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("HF_HUB_CACHE", None)
    lines = shell_lines(TITLE)
    assert [line.split()[:2] for line in lines] == [["finetune-ls", "check"], ["finetune-ls", "stats"],
                                                     ["finetune-ls", "check"]], lines
    outputs = []
    for line in lines:
        done = subprocess.run(["bash", "-c", line], cwd=work, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
        assert "tokenizer-unavailable" not in done.stdout and "internal-error" not in done.stdout, done.stdout
        outputs.append(done.stdout)
    trl_check, trl_stats, axolotl_check = outputs
    bundled = "Qwen/Qwen3-8B's own, from the copy bundled with finetune-ls (Qwen3, Apache-2.0)"
    assert "TRL (max_length 2,048, truncates longer examples; packing off)" in trl_check and bundled in trl_check, \
        trl_check
    assert bundled in trl_stats, trl_stats
    folder = home / "models" / "Llama-3.1-8B-Instruct"
    assert "axolotl (sequence_len 4,096, drops longer examples; packing on)" in axolotl_check, axolotl_check
    assert f"meta-llama/Llama-3.1-8B-Instruct's own, from the folder {folder}" in axolotl_check, axolotl_check
