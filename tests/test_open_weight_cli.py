"""`check`, `stats` and `split` for open-weight targets, run as the user runs them (the
CLI as a subprocess): the target options, FINETUNE_LS_TARGET, the summary's new keys and
its text lines, and counts made with the model's own tokenizer and chat template.

Tests named `..._counted_...` need core/template_tokens.py (the template helper's
TemplateCounter); the others run with --no-tokens or compare nothing that needs counts."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import ROOT

# The offline tokenizer copies live beside the repository (../shared/tokenizers), or where
# FINETUNE_LS_TOKENIZERS points (a worktree elsewhere).
QWEN3 = Path(os.environ.get("FINETUNE_LS_TOKENIZERS", ROOT.parent / "shared" / "tokenizers")) / "qwen3"
EXAMPLES = [
    [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Hi"},
     {"role": "assistant", "content": "Hello."}],
    [{"role": "user", "content": "What is 2+2?"}, {"role": "assistant", "content": "4"},
     {"role": "user", "content": "And 3+3?"}, {"role": "assistant", "content": "6, as the sum of three and three."}],
    [{"role": "user", "content": "Name a colour. " * 40}, {"role": "assistant", "content": "Blue. " * 60}],
]
OPENAI_WORDS = ("retire", "vision", "OpenAI", "shut down", "images")


@pytest.fixture
def data(tmp_path) -> Path:
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps({"messages": m}) + "\n" for m in EXAMPLES), encoding="utf-8")
    return path


@pytest.fixture
def tokenizer(tmp_path) -> Path:
    """A model folder as the user has one: tokenizer.json and tokenizer_config.json."""
    if not QWEN3.is_dir():
        pytest.fail(f"the offline tokenizer copies are missing: {QWEN3}")
    folder = tmp_path / "Qwen3-8B"
    shutil.copytree(QWEN3, folder)
    return folder


def run(cli_path: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "FINETUNE_LS_TARGET"}
    environment.update({"HF_HUB_OFFLINE": "1", "NO_COLOR": "1", **(env or {})})
    return subprocess.run([cli_path, *args], capture_output=True, text=True, env=environment, timeout=300)


def summary_of(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)["files"][0]["summary"]


def findings_of(result: subprocess.CompletedProcess) -> list[dict]:
    return json.loads(result.stdout)["files"][0]["findings"]


# ---------------------------------------------------------------- without counts
@pytest.mark.parametrize("target, length, overflow, packing", [
    ("trl", 1024, "truncate", False),  # TRL sft_config.py: max_length 1024, packing False
    ("axolotl", 512, "drop", False),  # axolotl config.py: sequence_len 512, excess_length_strategy drop
    ("unsloth", 2048, "truncate", False),  # Unsloth loader.py: max_seq_length 2048
])
def test_a_local_trainer_summary_names_target_length_overflow_and_no_price(cli_path, data, target, length,
                                                                          overflow, packing):
    """Defaults from data/targets.json (providers.md §4); local trainers: no price."""
    summary = summary_of(run(cli_path, "check", str(data), "--target", target, "--model", "Qwen/Qwen3-8B",
                             "--no-tokens", "--no-cache", "--format", "json"))
    assert (summary["target"], summary["max_seq_length"], summary["overflow"], summary["packing"]) == \
        (target, length, overflow, packing)
    assert summary["tokenizer"] is None and summary["tokens"] is None
    assert summary["price_per_1m_tokens"] is None and summary["estimated_cost_usd"] is None
    assert "compute time" in summary["cost_note"]


def test_the_trainer_options_override_the_defaults(cli_path, data):
    summary = summary_of(run(cli_path, "check", str(data), "--target", "trl", "--model", "Qwen/Qwen3-8B",
                             "--max-seq-length", "4096", "--packing", "--train-on", "assistant", "--no-tokens",
                             "--no-cache", "--format", "json"))
    assert (summary["max_seq_length"], summary["packing"]) == (4096, True)
    summary = summary_of(run(cli_path, "check", str(data), "--target", "together", "--model", "openai/gpt-oss-20b",
                             "--no-packing", "--no-tokens", "--no-cache", "--format", "json"))
    # docs.together.ai/docs/fine-tuning-models: gpt-oss-20b LoRA SFT context 16,384.
    assert (summary["target"], summary["max_seq_length"], summary["packing"]) == ("together", 16384, False)
    assert summary["price_bracket"] and "together.ai/pricing" in summary["cost_note"]


def test_the_target_comes_from_finetune_ls_target_and_the_option_wins(cli_path, data):
    summary = summary_of(run(cli_path, "check", str(data), "--model", "Qwen/Qwen3-8B", "--no-tokens", "--no-cache",
                             "--format", "json", env={"FINETUNE_LS_TARGET": "axolotl"}))
    assert summary["target"] == "axolotl"
    summary = summary_of(run(cli_path, "check", str(data), "--target", "trl", "--model", "Qwen/Qwen3-8B",
                             "--no-tokens", "--no-cache", "--format", "json", env={"FINETUNE_LS_TARGET": "axolotl"}))
    assert summary["target"] == "trl"


@pytest.mark.parametrize("args, env, says", [
    (("--target", "llamafactory"), {}, "--target"),
    ((), {"FINETUNE_LS_TARGET": "llamafactory"}, "FINETUNE_LS_TARGET"),
    (("--target", "trl", "--max-seq-length", "0"), {}, "--max-seq-length"),
    (("--target", "axolotl", "--train-on", "everything"), {}, "--train-on"),
    (("--target", "axolotl", "--train-on-eos", "sometimes"), {}, "--train-on-eos"),
])
@pytest.mark.parametrize("command", ["check", "stats", "split"])
def test_a_wrong_target_option_is_a_usage_error_of_one_sentence(cli_path, data, command, args, env, says):
    result = run(cli_path, command, str(data), *args, env=env)
    assert result.returncode == 2, result.stdout
    assert result.stderr.count("\n") == 1 and says in result.stderr and "Traceback" not in result.stderr


def test_an_unknown_model_is_information_for_local_trainers_and_never_speaks_of_openai(cli_path, data):
    """TRL, axolotl and Unsloth train any Hugging Face model (AutoModelForCausalLM); only
    Together keeps a list (docs.together.ai supported models): a warning there."""
    result = run(cli_path, "check", str(data), "--target", "trl", "--model", "my-org/my-model", "--no-tokens",
                 "--no-cache", "--format", "json")
    unknown = [f for f in findings_of(result) if f["code"] == "unknown-model"]
    assert [f["severity"] for f in unknown] == ["information"], unknown
    assert summary_of(result)["warnings"] == 0
    for target, model in (("trl", "my-org/my-model"), ("axolotl", "Qwen/Qwen3-8B"), ("unsloth", "gpt-4o-mini"),
                          ("together", "Qwen/Qwen3-8B")):
        result = run(cli_path, "check", str(data), "--target", target, "--model", model, "--no-tokens", "--no-cache",
                     "--format", "json")
        for finding in findings_of(result):
            assert not any(word in finding["message"] for word in OPENAI_WORDS), (target, finding)
    result = run(cli_path, "check", str(data), "--target", "together", "--model", "my-org/my-model", "--no-tokens",
                 "--no-cache", "--format", "json")
    assert [f["severity"] for f in findings_of(result) if f["code"] == "unknown-model"] == ["warning"]


def test_openai_summaries_gain_only_their_target(cli_path, data):
    summary = summary_of(run(cli_path, "check", str(data), "--no-cache", "--format", "json"))
    assert summary["target"] == "openai"
    assert not {"tokenizer", "max_seq_length", "overflow", "packing"} & set(summary)
    azure = summary_of(run(cli_path, "check", str(data), "--target", "azure", "--no-cache", "--format", "json"))
    assert azure["target"] == "azure" and "training_type" in azure


def test_the_text_summary_shows_target_model_and_tokenizer(cli_path, data):
    result = run(cli_path, "check", str(data), "--target", "axolotl", "--model", "Qwen/Qwen3-8B", "--no-tokens",
                 "--no-cache")
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line.split(None, 1)[1] for line in result.stdout.splitlines() if line.strip()}
    assert rows["target"].startswith("axolotl (sequence_len 512, drops longer examples; packing off)")
    assert rows["model"] == "Qwen/Qwen3-8B (supervised)"
    assert rows["tokenizer"].startswith("not loaded")


# ---------------------------------------------------------------- counted (need template_tokens.py)
def _reference_tokens(folder: Path) -> list[int]:
    """transformers' own count: apply_chat_template(messages, tokenize=True), as TRL calls it."""
    from transformers import AutoTokenizer

    reference = AutoTokenizer.from_pretrained(str(folder))
    counts = []
    for messages in EXAMPLES:
        ids = reference.apply_chat_template(messages, tokenize=True, add_generation_prompt=False)
        counts.append(len(ids["input_ids"] if hasattr(ids, "keys") else ids))
    return counts


def test_check_counted_with_the_models_template_equals_transformers(cli_path, data, tokenizer, monkeypatch):
    """Issue 15's proof: `tokens` = the sum of len(apply_chat_template(...)) with the same folder."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    expected = _reference_tokens(tokenizer)
    result = run(cli_path, "check", str(data), "--target", "trl", "--model", "Qwen/Qwen3-8B", "--tokenizer",
                 str(tokenizer), "--no-cache", "--format", "json")
    summary = summary_of(result)
    assert summary["tokens"] == sum(expected), (summary, result.stderr)
    assert summary["longest_example"] == {"line": 3, "tokens": max(expected)}
    assert summary["tokenizer"] == {"model": "Qwen/Qwen3-8B", "source": "folder", "where": str(tokenizer)}
    assert "tokenizer-unavailable" not in {f["code"] for f in findings_of(result)}


def test_the_counted_tokens_are_the_same_for_every_local_trainer_and_the_limit_is_theirs(cli_path, data, tokenizer):
    """The rendering does not depend on the trainer; what is over the limit does (axolotl drops)."""
    totals = {}
    for target in ("trl", "axolotl", "unsloth"):
        summary = summary_of(run(cli_path, "check", str(data), "--target", target, "--model", "Qwen/Qwen3-8B",
                                 "--tokenizer", str(tokenizer), "--no-cache", "--format", "json"))
        totals[target] = summary["tokens"]
        assert summary["over_limit"] == 0
    assert len(set(totals.values())) == 1 and totals["trl"] > 0, totals
    longest = max(_reference_tokens(tokenizer))
    summary = summary_of(run(cli_path, "check", str(data), "--target", "axolotl", "--model", "Qwen/Qwen3-8B",
                             "--tokenizer", str(tokenizer), "--max-seq-length", str(longest - 1), "--no-cache",
                             "--format", "json"))
    assert summary["over_limit"] == 1 and summary["max_seq_length"] == longest - 1


def test_together_counted_bills_epochs_times_tokens_and_without_packing_the_whole_length(cli_path, data, tokenizer):
    """docs.together.ai fine-tuning pricing: n_epochs x training tokens; packing off:
    dataset_length x max_seq_length."""
    summary = summary_of(run(cli_path, "check", str(data), "--target", "together", "--model", "Qwen/Qwen3-8B",
                             "--tokenizer", str(tokenizer), "--max-seq-length", "8192", "--epochs", "3", "--no-cache",
                             "--format", "json"))
    assert summary["tokens"] > 0 and summary["billed_tokens"] == 3 * summary["tokens"]
    summary = summary_of(run(cli_path, "check", str(data), "--target", "together", "--model", "Qwen/Qwen3-8B",
                             "--tokenizer", str(tokenizer), "--max-seq-length", "8192", "--no-packing", "--no-cache",
                             "--format", "json"))
    assert summary["billed_tokens"] == len(EXAMPLES) * 8192 and summary["epochs"] == 1


def test_stats_and_split_counted_as_check_counts(cli_path, data, tokenizer, tmp_path):
    check = summary_of(run(cli_path, "check", str(data), "--target", "trl", "--model", "Qwen/Qwen3-8B",
                           "--tokenizer", str(tokenizer), "--no-cache", "--format", "json"))
    stats = run(cli_path, "stats", str(data), "--target", "trl", "--model", "Qwen/Qwen3-8B", "--tokenizer",
                str(tokenizer), "--json")
    assert stats.returncode == 0, stats.stderr
    numbers = json.loads(stats.stdout)
    assert numbers["tokens"] == check["tokens"] and numbers["target"] == "trl"
    assert numbers["tokenizer"]["source"] == "folder"
    split = run(cli_path, "split", str(data), "--valid", "1", "--target", "trl", "--model", "Qwen/Qwen3-8B",
                "--tokenizer", str(tokenizer), "--json")
    assert split.returncode == 0, split.stderr
    sides = json.loads(split.stdout)
    assert sides["train"]["tokens"] + sides["valid"]["tokens"] == check["tokens"]
