"""Findings about a whole file for the open-weight targets (Together, TRL, axolotl,
Unsloth): their minimum example count, packing, and the examples over the trainer's
maximum length with what the trainer does with them. Called from
filechecks.file_findings; OpenAI's own file findings are skipped there for these targets.

Sources (../shared/reference/providers.md): Together's MIN_SAMPLES = 1 and packing on by
default (TG-PY3 constants, TG-OAS `packing` default true); TRL documents no minimum
(SFTConfig), truncates with truncation_mode keep_start at max_length (1024) and packs only
with packing=True; axolotl documents no minimum, drops examples over sequence_len (512)
with excess_length_strategy drop and packs with sample_packing; Unsloth trains with TRL.
"""

from __future__ import annotations

from finetune_ls.core import rules as R
from finetune_ls.core.findings import Finding, Severity, file_finding
from finetune_ls.core.shapes import CHOSEN_REJECTED, PREFERENCE
from finetune_ls.core.target_rules import TOGETHER_MIN_SAMPLES
from finetune_ls.core.targets import TrainingSetup, target_info

_PACKING_SETTING = {"together": "packing, on by default", "trl": "packing=True", "axolotl": "sample_packing: true",
                    "unsloth": "packing=True"}


def target_file_findings(stats, training: TrainingSetup, role: str = "training", fmt: str | None = None) -> list[Finding]:
    """The target's file findings. `stats`: aggregate.FileStats (examples, example_tokens).
    Preference files get no over-length count: an example's tokens are the pair's, while
    the trainer cuts prompt + chosen and prompt + rejected each on its own (the line
    findings say which are over)."""
    info = target_info(training.target)
    findings = []
    if role == "training" and training.target == "together" and stats.examples < TOGETHER_MIN_SAMPLES:
        findings.append(file_finding(
            R.TOO_FEW_EXAMPLES.code, Severity.ERROR,
            f"The file has no examples; Together's SDK refuses a file with fewer than {TOGETHER_MIN_SAMPLES} "
            "(together 3.1.1 constants MIN_SAMPLES, checked on upload)."))
    if training.packing:
        findings.append(file_finding(
            R.PACKING_NOTE.code, Severity.INFORMATION,
            f"{info.name} packs examples ({_PACKING_SETTING.get(training.target, 'packing')}): several short examples "
            f"share one sequence of {_length(training)} tokens, so what is trained per step is not one example per "
            "row." + (" Together bills packed tokens; with packing off each example is billed at max_seq_length "
                      "(Together's pricing docs)." if training.target == "together" else "")))
    over = _over_length(stats, training) if fmt not in (PREFERENCE, CHOSEN_REJECTED) else None
    if over:
        findings.append(over)
    return findings


def _length(training: TrainingSetup) -> str:
    return f"{training.max_seq_length:,}" if training.max_seq_length else "the maximum length"


def _over_length(stats, training: TrainingSetup) -> Finding | None:
    """How many counted examples are over the maximum length, and what is lost."""
    limit = training.max_seq_length
    if not limit or not stats.tokens:
        return None  # no limit known, or tokens not counted (no tokenizer)
    over = [count for count in stats.example_tokens if count > limit]
    if not over:
        return None
    info = target_info(training.target)
    setting = info.max_seq_length_setting or "max_seq_length"
    head = f"{len(over):,} of {stats.examples:,} examples are over {info.name}'s {setting} of {limit:,} tokens"
    if training.overflow == "drop":
        message = (f"{head}: axolotl drops them whole (excess_length_strategy: drop, its default), so "
                   f"{len(over):,} examples and their {sum(over):,} tokens are not trained. Raise {setting}, shorten "
                   "them, or set excess_length_strategy: truncate.")
    else:
        cut = sum(count - limit for count in over)
        message = (f"{head}: {info.name} truncates them, keeping the first {limit:,} tokens of each; {cut:,} tokens "
                   f"are cut from their ends. Raise {setting} or shorten them.")
    return file_finding(R.EXAMPLES_OVER_LENGTH.code, R.EXAMPLES_OVER_LENGTH.severity, message)


__all__ = ["target_file_findings"]
