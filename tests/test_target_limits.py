"""Limits and truncation per trainer: the over-length line finding (analysis._too_long)
and the file findings of core/target_filechecks.py (examples over the length, packing,
the minimum count).

Sources (../shared/reference/providers.md §3.3, §4; data/targets.json): TRL SFTConfig
max_length 1024 with truncation_mode keep_start and packing False (TRL
trl/trainer/sft_config.py); axolotl sequence_len 512 with excess_length_strategy drop and
sample_packing (AXO src/axolotl/utils/schemas/config.py); Unsloth max_seq_length 2048
(UNS unsloth/models/loader.py) on TRL's SFTTrainer; Together packing true by default and
per-model max_seq_length (TG-OAS create body), rows reported as truncated by
fine_tuning.preview (TG-PY3).

The token counts come from the template helper's TemplateCounter; these tests build
ExampleTokens and FileStats directly, so the messages are checked without a tokenizer.
"""

from __future__ import annotations

import json
from array import array

import pytest

from helpers import check, codes
from finetune_ls.core.aggregate import FileStats
from finetune_ls.core.analysis import FileContext, _too_long
from finetune_ls.core.report import LineReport
from finetune_ls.core.shapes import CHAT
from finetune_ls.core.target_filechecks import target_file_findings
from finetune_ls.core.targets import training_setup
from finetune_ls.core.tokens import ExampleTokens

EXAMPLE = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"},
                        {"role": "user", "content": "More?"}, {"role": "assistant", "content": "Sure."}]}
TEXT = json.dumps(EXAMPLE)


def _too_long_message(target: str, limit: int, name: str) -> str:
    ctx = FileContext(CHAT, encoding="hf:test", context_limit=limit, model="Qwen/Qwen3-8B", provider_name=name,
                      target=target, training=training_setup(target, limit))
    tokens = ExampleTokens(total=40, trained=20, messages=[(("messages", 0), 8), (("messages", 1), 12),
                                                           (("messages", 2), 8), (("messages", 3), 10)])
    report = LineReport(0, None, TEXT)
    _too_long(EXAMPLE, CHAT, ctx, tokens, report)
    (finding,) = report.findings
    assert finding.code == "example-too-long" and finding.pointer == "/messages/1"
    return finding.message


def test_trl_truncates_and_keeps_the_start():
    """TRL SFTConfig: max_length (default 1024), truncation_mode keep_start. The cut falls
    where today's message puts it: 40 - 38 = 2 tokens outside the messages come first,
    then 8 in message 1, so with a limit of 16 message 2 keeps 16 - 2 - 8 = 6."""
    message = _too_long_message("trl", 16, "TRL")
    assert message.startswith("This example has 40 tokens, over TRL's max_length of 16")
    assert "truncation_mode keep_start" in message and "the rest is lost" in message
    assert "The cut falls in message 2 (assistant), which keeps about 6 of its tokens; the 2 message(s) after it " \
           "are dropped." in message


def test_axolotl_drops_the_whole_example():
    """axolotl: sequence_len, excess_length_strategy drop (its default): none of the
    example is trained; the message says how to keep the start instead."""
    message = _too_long_message("axolotl", 16, "axolotl")
    assert "axolotl's sequence_len of 16" in message
    assert "drops the whole example" in message and "none of its 40 tokens is trained" in message
    assert "excess_length_strategy: truncate" in message


def test_unsloth_and_together_truncate():
    """Unsloth's max_seq_length (TRL underneath, truncates keeping the start); Together
    truncates to the job's max_seq_length (fine_tuning.preview marks such rows truncated)."""
    unsloth = _too_long_message("unsloth", 16, "Unsloth")
    assert "Unsloth's max_seq_length of 16" in unsloth and "truncates" in unsloth
    together = _too_long_message("together", 16, "Together AI")
    assert "Together AI's max_seq_length of 16" in together and "Together truncates it" in together


def test_openai_wording_is_unchanged():
    """OpenAI's message stays as it was (byte-identical output is checked over the corpus
    in test_openai_output_unchanged.py)."""
    ctx = FileContext(CHAT, encoding="o200k_base", context_limit=16, model="gpt-4o-mini-2024-07-18")
    report = LineReport(0, None, TEXT)
    _too_long(EXAMPLE, CHAT, ctx, ExampleTokens(total=40, messages=[(("messages", 0), 8), (("messages", 1), 12),
                                                                    (("messages", 2), 8), (("messages", 3), 10)]),
              report)
    assert report.findings[0].message.startswith("This example has 40 tokens; gpt-4o-mini-2024-07-18 trains on the "
                                                 "first 16, and OpenAI removes the rest from the end.")


def _stats(*tokens: int) -> FileStats:
    return FileStats(examples=len(tokens), tokens=sum(tokens), example_tokens=array("q", tokens))


def test_axolotl_counts_what_is_dropped():
    """axolotl drops every example over sequence_len: say how many examples and tokens."""
    (finding,) = [f for f in target_file_findings(_stats(100, 600, 700), training_setup("axolotl"))
                  if f.code == "examples-over-length"]
    assert finding.severity.value == "warning"
    assert finding.message.startswith("2 of 3 examples are over axolotl's sequence_len of 512 tokens")
    assert "2 examples and their 1,300 tokens are not trained" in finding.message


def test_trl_counts_what_is_cut():
    """TRL truncates keeping the start: the tokens cut are the excess of each example."""
    (finding,) = [f for f in target_file_findings(_stats(1000, 1100, 1500), training_setup("trl"))
                  if f.code == "examples-over-length"]
    assert "2 of 3 examples are over TRL's max_length of 1,024" in finding.message
    assert f"{(1100 - 1024) + (1500 - 1024):,} tokens are cut" in finding.message


def test_nothing_over_or_nothing_counted():
    """No finding when every example fits, or when tokens were not counted (no tokenizer)."""
    assert not [f for f in target_file_findings(_stats(100, 200), training_setup("trl"))
                if f.code == "examples-over-length"]
    assert not [f for f in target_file_findings(FileStats(examples=2), training_setup("trl"))
                if f.code == "examples-over-length"]


@pytest.mark.parametrize(("target", "packing", "expected"), [
    ("together", None, True),  # TG-OAS: packing defaults to true
    ("together", False, False),
    ("trl", None, False),  # TRL: packing=False by default
    ("trl", True, True),
    ("axolotl", True, True),  # sample_packing
])
def test_packing_note(target, packing, expected):
    """A note where the trainer packs: Together by default, TRL and axolotl when set."""
    report = check('{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}]}\n',
                   target=target, packing=packing)
    assert ("packing-note" in codes(report)) is expected


def test_no_minimum_for_local_trainers():
    """TRL and axolotl document no minimum number of examples (SFTConfig, axolotl config):
    no too-few-examples, even for an empty file."""
    for target in ("trl", "axolotl", "unsloth"):
        assert "too-few-examples" not in codes(check("\n", target=target))


def _preference_findings(target: str, limit: int, counts: dict, total: int):
    value = {"prompt": "Q?", "chosen": "A long answer", "rejected": "No"}
    ctx = FileContext("chosen-rejected", encoding="hf:test", context_limit=limit, provider_name=target,
                      target=target, training=training_setup(target, limit))
    tokens = ExampleTokens(total=total, messages=[((key,), count) for key, count in counts.items()])
    report = LineReport(0, None, json.dumps(value))
    _too_long(value, "chosen-rejected", ctx, tokens, report)
    return report.findings


def test_dpo_cuts_each_sequence_on_its_own():
    """TRL DPOTrainer (trl/trainer/dpo_trainer.py collator, DPOConfig max_length 1024,
    truncation_mode keep_start): prompt + chosen and prompt + rejected are separate
    sequences, each cut at max_length; the pair's total is not what is cut."""
    # total 30 is over 20, but prompt + chosen = 15 and prompt + rejected = 12 both fit
    assert _preference_findings("trl", 20, {"prompt": 5, "chosen": 10, "rejected": 7}, 22) == []
    (finding,) = _preference_findings("trl", 12, {"prompt": 5, "chosen": 10, "rejected": 7}, 22)
    assert finding.pointer == "/chosen"
    assert finding.message.startswith("Prompt + chosen is 15 tokens (prompt + chosen 15, prompt + rejected 12), "
                                      "over TRL's max_length of 12")
    assert "keep_start" in finding.message


def test_dpo_file_gets_no_pair_total_count():
    """The file-level count would compare pair totals with a per-sequence limit: none for
    preference formats (the line findings say which are over)."""
    stats = _stats(5000, 6000)
    assert not [f for f in target_file_findings(stats, training_setup("trl"), fmt="chosen-rejected")
                if f.code == "examples-over-length"]
    assert [f for f in target_file_findings(stats, training_setup("trl"), fmt="chat")
            if f.code == "examples-over-length"]
