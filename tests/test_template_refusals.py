"""Rows the trainer's preprocessing refuses are chat-template-error findings with a message that says
why, as the user sees them (the CLI as a subprocess): a prompt and an answer of different shapes
(trl/data_utils.py takes a row as conversational or as text, then apply_chat_template fails on the
string or the tokenizer on the list) and a lone surrogate (transformers' tokenizer raises TypeError
"TextEncodeInput must be Union[...]", so TRL stops at that row). And a preference row's per-message
counts never add up to more than its total."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from finetune_ls.core.hf_tokenizer import resolve_tokenizer
from finetune_ls.core.shapes import CHOSEN_REJECTED
from finetune_ls.core.targets import training_setup
from finetune_ls.core.template_tokens import TemplateCounter
from helpers import ROOT

os.environ.setdefault("HF_HUB_OFFLINE", "1")
TOKENIZERS = Path(os.environ.get("FINETUNE_LS_TOKENIZERS", ROOT.parent / "shared" / "tokenizers"))
USER = [{"role": "user", "content": "What is 2+2?"}]
ANSWER = [{"role": "assistant", "content": "4"}]


def _findings(cli_path: str, tmp_path: Path, rows: list[dict]) -> list[list[dict]]:
    """Each line's findings of `check --target trl` with Qwen3's tokenizer."""
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    environment = {k: v for k, v in os.environ.items() if k != "FINETUNE_LS_TARGET"}
    environment.update({"HF_HUB_OFFLINE": "1", "NO_COLOR": "1"})
    result = subprocess.run([cli_path, "check", "--no-cache", "--target", "trl", "--model", "Qwen/Qwen3-8B", "--tokenizer", str(TOKENIZERS / "qwen3"),
                             "--format", "json", str(path)], capture_output=True, text=True, env=environment, timeout=300)
    assert result.returncode in (0, 1), result.stderr
    findings = json.loads(result.stdout)["files"][0]["findings"]
    return [[f for f in findings if f.get("line") == number] for number in range(1, len(rows) + 1)]


def _template_errors(findings: list[dict], by: str = "template") -> list[str]:
    """The reasons of the line's chat-template-error findings (core/analysis.py _template_refused's wording):
    refused `by` the template, or by the trainer's own preparation."""
    lead, tail = {"template": ("The chat template of Qwen/Qwen3-8B refuses this example: ", ". TRL renders every row with it"),
                  "trainer": ("TRL cannot prepare this example: ", ". It prepares every row before training")}[by]
    messages = [f["message"] for f in findings if f["code"] == "chat-template-error"]
    assert all(m.startswith(lead) and tail in m for m in messages), messages
    return [m[len(lead):m.index(tail)] for m in messages]


@pytest.mark.parametrize("row, says", [
    ({"prompt": USER, "completion": "4"},
     "prompt is a conversation and completion a string: a row is read as both messages or both text"),
    ({"prompt": "What is 2+2?", "completion": ANSWER},
     "completion is a conversation and prompt a string: a row is read as both messages or both text"),
    ({"chosen": USER + ANSWER, "rejected": "5"},
     "chosen is a conversation and rejected a string: a row is read as both messages or both text"),
    ({"prompt": USER, "chosen": ANSWER, "rejected": "5"},
     "prompt is a conversation and rejected a string: a row is read as all messages or all text"),
])
def test_a_prompt_and_answers_of_different_shapes_are_refused_in_one_sentence(cli_path, tmp_path, row, says):
    # the same row with every part a conversation (a string rejected becomes the chosen one's turns)
    same = {key: value if isinstance(value, list) else USER if key == "prompt" else
            (USER if "prompt" not in row and key == "rejected" else []) + ANSWER for key, value in row.items()}
    mixed, consistent = _findings(cli_path, tmp_path, [row, same])
    assert _template_errors(mixed, by="trainer") == [says]
    assert _template_errors(consistent) == [] and _template_errors(consistent, by="trainer") == []


def test_a_lone_surrogate_is_refused_as_the_tokenizer_refuses_it(cli_path, tmp_path):
    """"\\ud800" in the JSON text is a lone surrogate once parsed: transformers' tokenizer raises, so
    TRL stops at the row; the line says so rather than counting replacement characters."""
    path_rows = [{"messages": [{"role": "user", "content": "lone \ud800 surrogate"}, ANSWER[0]]},
                 {"messages": USER + ANSWER}]
    lone, fine = _findings(cli_path, tmp_path, path_rows)
    assert _template_errors(lone, by="trainer") == ["the text holds an unpaired surrogate (\\ud800), which the "
                                                   "tokenizer refuses"]
    assert _template_errors(fine) == [] and _template_errors(fine, by="trainer") == []


def test_per_message_counts_of_identical_answers_without_a_prompt_stay_within_the_total():
    """No `prompt` key and chosen == rejected: extract_prompt takes the whole conversation as the prompt
    and leaves two empty answers. The prompt rendered with Llama 3.1's generation prompt has more tokens
    than the ids the answers' renderings share with it (the total); its per-message counts are counted
    among those shared ids."""
    counter = TemplateCounter(resolve_tokenizer("test/model", str(TOKENIZERS / "llama3_1")), training_setup("trl"))
    conversation = [{"role": "system", "content": "Be brief."}] + USER + ANSWER
    tokens = counter.count({"chosen": conversation, "rejected": conversation}, CHOSEN_REJECTED, detail=True)
    counts = dict(tokens.messages)
    assert counts[("chosen",)] == counts[("rejected",)] == 0
    assert all(count >= 0 for count in counts.values())
    assert 0 < sum(counts.values()) <= tokens.total
