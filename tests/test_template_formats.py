"""Preference, prompt-completion and text rows counted as TRL tokenizes them, with transformers as the
reference tokenizer.

Sources (trl 1.16): trl/trainer/dpo_trainer.py `_prepare_dataset` (extract_prompt when no `prompt`
key; add_eos on standard rows; tokenize_fn: the prompt alone with add_generation_prompt=True and
prompt + chosen / prompt + rejected, the prompt being their `common_prefix_length`); the same in
trl/trainer/sft_trainer.py for prompt-completion rows (completion_only_loss: the completion is
trained) and for `text` rows (add_eos, then the tokenizer with its special tokens).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from finetune_ls.core.hf_tokenizer import resolve_tokenizer
from finetune_ls.core.shapes import CHOSEN_REJECTED, PREFERENCE, PROMPT_COMPLETION, REINFORCEMENT, TEXT
from finetune_ls.core.targets import training_setup
from finetune_ls.core.template_tokens import TemplateCounter
from helpers import CORPUS, ROOT

os.environ.setdefault("HF_HUB_OFFLINE", "1")
transformers = pytest.importorskip("transformers")
TOKENIZERS = Path(os.environ.get("FINETUNE_LS_TOKENIZERS", ROOT.parent / "shared" / "tokenizers"))


@pytest.fixture(scope="module", params=["qwen3", "deepseek_v3", "llama3_1"])
def family(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("tok") / request.param
    shutil.copytree(TOKENIZERS / request.param, folder)
    reference = transformers.AutoTokenizer.from_pretrained(str(folder))
    counter = TemplateCounter(resolve_tokenizer("test/model", str(folder)), training_setup("trl"))
    return reference, counter


def _common(a, b):
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def _trl_pair(reference, prompt, answers, tools=None):
    """(total, trained) as TRL's tokenize_fn builds them, with transformers' tokenizer."""
    if isinstance(prompt, list):
        prompt_ids = reference.apply_chat_template(prompt, tools=tools, tokenize=True, add_generation_prompt=True,
                                                   return_dict=True)["input_ids"]
        whole = [reference.apply_chat_template(prompt + answer, tools=tools, tokenize=True,
                                               return_dict=True)["input_ids"] for answer in answers]
    else:
        eos = reference.eos_token
        prompt_ids = reference(prompt)["input_ids"]
        whole = [reference(prompt + (answer if answer.endswith(eos) else answer + eos))["input_ids"]
                 for answer in answers]
    shared = min(_common(prompt_ids, ids) for ids in whole)
    trained = sum(len(ids) - shared for ids in whole)
    return shared + trained, trained


def _rows(path: Path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_openai_preference_rows(family):
    """OpenAI/Together preference rows (the corpus's dpo file): input.messages as the prompt,
    preferred and non-preferred outputs as chosen and rejected."""
    reference, counter = family
    rows = [row for path in sorted((CORPUS / "dpo").glob("*.jsonl")) for row in _rows(path)]
    assert rows
    for row in rows:
        prompt = row["input"]["messages"]
        expected = _trl_pair(reference, prompt, [row["preferred_output"], row["non_preferred_output"]],
                             row["input"].get("tools"))
        ours = counter.count(row, PREFERENCE)
        assert ours.error is None and (ours.total, ours.trained) == expected


def test_trl_chosen_rejected_conversational_and_implicit_prompt(family):
    """TRL's conversational rows, with a prompt and with the prompt implicit in chosen/rejected."""
    reference, counter = family
    prompt = [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "Is the sky blue?"}]
    chosen = [{"role": "assistant", "content": "Yes, on a clear day."}]
    rejected = [{"role": "assistant", "content": "No."}]
    expected = _trl_pair(reference, prompt, [chosen, rejected])
    ours = counter.count({"prompt": prompt, "chosen": chosen, "rejected": rejected}, CHOSEN_REJECTED)
    assert (ours.total, ours.trained) == expected
    implicit = counter.count({"chosen": prompt + chosen, "rejected": prompt + rejected}, CHOSEN_REJECTED)
    assert (implicit.total, implicit.trained) == expected


def test_standard_rows_and_prompt_completion_strings(family):
    """Standard (string) rows: EOS appended to each answer; the legacy prompt/completion files of the corpus."""
    reference, counter = family
    row = {"prompt": "The sky is", "chosen": " blue.", "rejected": " green."}
    ours = counter.count(row, CHOSEN_REJECTED)
    assert (ours.total, ours.trained) == _trl_pair(reference, row["prompt"], [row["chosen"], row["rejected"]])
    rows = [row for path in sorted((CORPUS / "legacy").glob("*.jsonl")) for row in _rows(path)][:200]
    assert len(rows) > 50
    for row in rows:
        if not (isinstance(row.get("prompt"), str) and isinstance(row.get("completion"), str)):
            continue
        ours = counter.count(row, PROMPT_COMPLETION)
        assert (ours.total, ours.trained) == _trl_pair(reference, row["prompt"], [row["completion"]])


def test_text_rows(family):
    """`text` + EOS, tokenized with the tokenizer's special tokens; every token trained."""
    reference, counter = family
    for text in ("Plain text for language modelling.", "Ends with EOS already"):
        if text.startswith("Ends"):
            text += reference.eos_token
        ours = counter.count({"text": text}, TEXT)
        expected = len(reference(text if text.endswith(reference.eos_token) else text + reference.eos_token)
                       ["input_ids"])
        assert ours.total == ours.trained == expected


def test_reinforcement_rows_train_nothing(family):
    """Reinforcement rows: the messages rendered, no token trained."""
    reference, counter = family
    messages = [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}]
    ours = counter.count({"messages": messages, "reference_answer": "4"}, REINFORCEMENT)
    assert ours.total == len(reference.apply_chat_template(messages, tokenize=True, return_dict=True)["input_ids"])
    assert ours.trained == 0
