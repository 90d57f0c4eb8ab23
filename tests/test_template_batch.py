"""Many lines counted together (entries.line_entries: the plain examples' renderings encoded in one
call of the tokenizer) give exactly the entries of the lines checked one by one (line_entry), for
every line of the corpus's chat files and the test files, under trainers that count every token
(TRL), the assistant turns (Together) and roles (axolotl), with examples the template refuses among
them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from helpers import ROOT
from finetune_ls.core import analysis
from finetune_ls.core.engine import CheckSettings, format_sample, plan_check
from finetune_ls.core.entries import line_entries, line_entry
from finetune_ls.core.lines import split_lines_bytes

SHARED = Path(os.environ.get("FINETUNE_LS_SHARED", ROOT.parent / "shared"))
TOKENIZERS = Path(os.environ.get("FINETUNE_LS_TOKENIZERS", SHARED / "tokenizers"))
CORPUS = Path(os.environ.get("FINETUNE_LS_CORPUS", SHARED / "corpus"))


def _files() -> list[Path]:
    files = sorted(p for folder in ("chat", "chat_tools", "chat_functions", "chat_weight", "chat_vision")
                   for p in (CORPUS / folder).glob("*.jsonl"))
    return files + sorted((ROOT / "tests").glob("*.jsonl")) + sorted((ROOT / "examples").glob("*.jsonl"))


@pytest.mark.parametrize("target,family", [("trl", "qwen3"), ("together", "llama3_1"), ("axolotl", "deepseek_v3")])
def test_lines_counted_together_equal_lines_counted_one_by_one(target, family):
    files = _files()
    assert len(files) >= 10, f"the corpus is missing: {CORPUS}"
    settings = CheckSettings(target=target, model="some-org/some-model", tokenizer=str(TOKENIZERS / family))
    compared = batched_lines = 0
    for path in files:
        lines = [line for line in split_lines_bytes(path.read_bytes()) if line]
        context = plan_check(format_sample(lines), settings).context
        assert context.tokenizer is not None, path
        one_by_one = [line_entry(line, context) for line in lines]
        analysis._template_counters.clear()  # a new counter: nothing served from the other pass's memory
        together = line_entries(lines, context)
        assert together == one_by_one, path
        compared += len(lines)
        batched_lines += sum(1 for entry in together if len(entry) == 6)
    assert compared > 500 and batched_lines > 200, (compared, batched_lines)


def test_lines_over_the_trainers_length_are_left_to_the_full_analysis_when_counted_together():
    """A plain line that may be over max_seq_length is counted in the batch first and, if it is over,
    checked in full (which says where the trainer cuts it): the same entries as one by one."""
    settings = CheckSettings(target="trl", model="Qwen/Qwen3-8B", tokenizer=str(TOKENIZERS / "qwen3"),
                             max_seq_length=64)
    path = ROOT / "examples" / "train.jsonl"
    lines = [line for line in split_lines_bytes(path.read_bytes()) if line]
    context = plan_check(format_sample(lines), settings).context
    one_by_one = [line_entry(line, context) for line in lines]
    analysis._template_counters.clear()
    together = line_entries(lines, context)
    assert together == one_by_one
    over = [entry for entry in together if len(entry) != 6 and "example-too-long" in repr(entry)]
    fits = [entry for entry in together if len(entry) == 6]
    assert over and fits, (len(over), len(fits))
