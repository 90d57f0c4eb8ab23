"""Other tools' dataset shapes per open-weight target (core/target_rules.py
not_a_target_format), run as the user runs `check` (the CLI as a subprocess).

Sources: axolotl reads Alpaca with `type: alpaca` (docs.axolotl.ai
dataset-formats/inst_tune) and ShareGPT with `type: chat_template`, `field_messages:
conversations` and `message_property_mappings` (dataset-formats/conversation; AXO
axolotl-ai-cloud/axolotl@067b021c). Unsloth converts them with `to_sharegpt` and
`standardize_sharegpt` / `standardize_data_formats` (unsloth/chat_templates.py). TRL's
SFTTrainer knows only messages, prompt/completion and text (trl/data_utils.py
is_conversational / maybe_apply_chat_template) and Together only its own formats (together
3.1.1 constants JSONL_REQUIRED_COLUMNS_MAP): an error there. axolotl's DPO types read
top-level prompt/chosen/rejected fields (docs.axolotl.ai rlhf), which OpenAI's nested
input.messages preference format does not map onto: an error too."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

ALPACA = {"instruction": "Name a colour.", "input": "", "output": "Blue."}
SHAREGPT = {"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello!"}]}
OPENAI_PREFERENCE = {"input": {"messages": [{"role": "user", "content": "Hi"}]},
                     "preferred_output": [{"role": "assistant", "content": "Hello!"}],
                     "non_preferred_output": [{"role": "assistant", "content": "What."}]}


def _check(cli_path: str, tmp_path, row: dict, target: str) -> tuple[int, list[dict]]:
    path = tmp_path / "data.jsonl"
    path.write_text(json.dumps(row) + "\n" + json.dumps(row) + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "FINETUNE_LS_TARGET"}
    env.update({"HF_HUB_OFFLINE": "1", "NO_COLOR": "1"})
    result = subprocess.run([cli_path, "check", str(path), "--target", target, "--no-tokens", "--format", "json"],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)["files"][0]["findings"]


@pytest.mark.parametrize("target,row,setting", [
    ("axolotl", ALPACA, "type: alpaca"),
    ("axolotl", SHAREGPT, "field_messages: conversations"),
    ("unsloth", ALPACA, "to_sharegpt"),
    ("unsloth", SHAREGPT, "standardize_sharegpt"),
])
def test_alpaca_and_sharegpt_are_a_warning_naming_the_reader(cli_path, tmp_path, target, row, setting):
    exit_code, findings = _check(cli_path, tmp_path, row, target)
    foreign = [f for f in findings if f["code"] == "foreign-format"]
    assert len(foreign) == 2 and all(f["severity"] == "warning" for f in foreign)
    assert setting in foreign[0]["message"] and "does not check or count" in foreign[0]["message"]
    assert exit_code == 0


@pytest.mark.parametrize("target,name", [("trl", "TRL"), ("together", "Together AI")])
@pytest.mark.parametrize("row", [ALPACA, SHAREGPT])
def test_alpaca_and_sharegpt_stay_an_error_where_nothing_reads_them(cli_path, tmp_path, target, name, row):
    exit_code, findings = _check(cli_path, tmp_path, row, target)
    foreign = [f for f in findings if f["code"] == "foreign-format"]
    assert foreign and all(f["severity"] == "error" for f in foreign)
    assert f"not among the formats {name} trains on" in foreign[0]["message"]
    assert exit_code == 1


@pytest.mark.parametrize("target", ["axolotl", "unsloth", "trl", "together"])
@pytest.mark.parametrize("row", [ALPACA, SHAREGPT])
def test_no_a_before_a_vowel(cli_path, tmp_path, target, row):
    """"not a axolotl training format" / "a Unsloth" was the old wording."""
    _, findings = _check(cli_path, tmp_path, row, target)
    text = " ".join(f["message"] for f in findings)
    assert " a axolotl" not in text and " a Unsloth" not in text


def test_openai_preference_under_axolotl_is_an_error(cli_path, tmp_path):
    """0 readable examples used to end in warnings only and exit 0."""
    exit_code, findings = _check(cli_path, tmp_path, OPENAI_PREFERENCE, "axolotl")
    target_format = [f for f in findings if f["code"] == "target-format"]
    assert target_format and all(f["severity"] == "error" for f in target_format)
    assert "field_chosen" in target_format[0]["message"]
    assert exit_code == 1
