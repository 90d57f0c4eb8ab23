"""TRL's own formats (prompt/chosen/rejected and text) get the target's default model, so
their tokens are counted with the bundled Qwen3 when no model is named: the catalogs'
`defaults` (data/open.json, data/together.json) cover every format the targets train on
(TRL's dataset formats: trl/data_utils.py; Together's: together 3.1.1 constants
JSONL_REQUIRED_COLUMNS_MAP). Before, these files said "Tokens are not counted:  is not a
Hugging Face model id". The CLI runs as a subprocess, as the user runs it."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from finetune_ls.core.catalog import bundled_catalog
from finetune_ls.core.shapes import target_formats

CHOSEN_REJECTED_ROWS = [
    {"prompt": "The capital of France?", "chosen": "Paris.", "rejected": "Lyon."},
    {"prompt": [{"role": "user", "content": "Hi"}], "chosen": [{"role": "assistant", "content": "Hello."}],
     "rejected": [{"role": "assistant", "content": "What."}]},
]
TEXT_ROWS = [{"text": "Paris is the capital of France."}, {"text": "Lyon is a city in France."}]


def _check(cli_path: str, path, target: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("FINETUNE_LS_TARGET", "FINETUNE_LS_MODEL")}
    env.update({"HF_HUB_OFFLINE": "1", "NO_COLOR": "1"})
    result = subprocess.run([cli_path, "check", str(path), "--target", target, "--format", "json"],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)["files"][0]


@pytest.mark.parametrize("target,rows,fmt", [
    ("trl", CHOSEN_REJECTED_ROWS, "chosen-rejected"),
    ("axolotl", TEXT_ROWS, "text"),
    ("unsloth", CHOSEN_REJECTED_ROWS, "chosen-rejected"),
    ("together", TEXT_ROWS, "text"),
])
def test_trl_formats_are_counted_with_the_default_model(cli_path, tmp_path, target, rows, fmt):
    path = tmp_path / "data.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    report = _check(cli_path, path, target)
    summary = report["summary"]
    assert summary["format"] == fmt
    assert summary["model"] == "Qwen/Qwen3-8B"
    assert summary["tokenizer"] and summary["tokenizer"]["model"] == "Qwen/Qwen3-8B"
    assert summary["tokens"] > 0 and summary["examples"] == len(rows)
    messages = " ".join(f["message"] for f in report["findings"])
    assert "not a Hugging Face model id" not in messages and "not among the open models" not in messages


@pytest.mark.parametrize("target,catalog", [("trl", "open"), ("axolotl", "open"), ("unsloth", "open"),
                                            ("together", "together")])
def test_every_target_format_has_a_default_model(target, catalog):
    """A format without a default leaves the model empty when none is named."""
    defaults = bundled_catalog(catalog).defaults
    missing = [fmt for fmt in target_formats(target) if not defaults.get(fmt)]
    assert not missing, f"{catalog}.json defaults lack {missing}"
