"""Open-weight counting through the engine: check_path with target trl and a tokenizer folder.

Sources: transformers' `apply_chat_template(messages, tools=tools, tokenize=True,
add_generation_prompt=False)` is the reference count (TRL's SFTTrainer tokenizes each row so:
trl/trainer/sft_trainer.py `_prepare_dataset`, tokenize_fn); TRL's default max_length and that it
raises at a row whose template fails (the same tokenize_fn, run by datasets.map over every row).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from finetune_ls.core.engine import CheckSettings, check_path
from finetune_ls.core.parallel import PARALLEL_MIN_BYTES
from helpers import ROOT

os.environ.setdefault("HF_HUB_OFFLINE", "1")
transformers = pytest.importorskip("transformers")
TOKENIZERS = Path(os.environ.get("FINETUNE_LS_TOKENIZERS", ROOT.parent / "shared" / "tokenizers"))

TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather in a city",
                                           "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                                                          "required": ["city"]}}}]


def _row(i: int) -> dict:
    messages = [{"role": "system", "content": "You answer briefly."},
                {"role": "user", "content": f"Question {i}: what is {i} plus {i}? Grüße 😀"},
                {"role": "assistant", "content": f"It is {2 * i}."}]
    if i % 7 == 0:  # multi-turn
        messages += [{"role": "user", "content": "And twice that?"}, {"role": "assistant", "content": f"{4 * i}."}]
    row = {"messages": messages}
    if i % 11 == 0:
        row["tools"] = TOOLS
    if i == 50:  # a content list: Qwen3's template calls .startswith on it and raises
        row["messages"][1]["content"] = [{"type": "text", "text": "Hi"}]
    if i == 60:  # far over the small max_seq_length below
        row["messages"][2]["content"] = "word " * 400
    return row


@pytest.fixture(scope="module")
def qwen3(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tok") / "qwen3"
    shutil.copytree(TOKENIZERS / "qwen3", folder)
    return folder


@pytest.fixture(scope="module")
def big_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "train.jsonl"
    rows, size, i = [], 0, 0
    while size < PARALLEL_MIN_BYTES + 400_000:
        line = json.dumps(_row(i), ensure_ascii=False)
        rows.append(line)
        size += len(line.encode()) + 1
        i += 1
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _settings(qwen3, **extra):
    return CheckSettings(target="trl", model="Qwen/Qwen3-8B", tokenizer=str(qwen3), **extra)


def _signature(report):
    return [(f.code, f.line, f.column, f.end_column, f.message) for f in report.findings]


def test_summary_tokens_are_the_rendered_examples_tokens(qwen3, big_file):
    """The summary's tokens = the sum of len(apply_chat_template(messages, tools=tools)) over the
    examples transformers renders; the row it refuses is a chat-template-error with its message."""
    reference = transformers.AutoTokenizer.from_pretrained(str(qwen3))
    expected, refused = 0, []
    for number, line in enumerate(big_file.read_text(encoding="utf-8").splitlines()):
        row = json.loads(line)
        try:
            expected += len(reference.apply_chat_template(row["messages"], tools=row.get("tools"), tokenize=True,
                                                          add_generation_prompt=False)["input_ids"])
        except Exception as error:  # noqa: BLE001
            refused.append((number, str(error)))
    report = check_path(str(big_file), _settings(qwen3), jobs=1, use_cache=False)
    assert report.summary["tokens"] == expected
    errors = [(f.line, f.message) for f in report.findings if f.code == "chat-template-error"]
    assert [line for line, _ in errors] == [line for line, _ in refused] == [50]
    assert refused[0][1] in errors[0][1]


def test_over_length_example_is_flagged(qwen3, big_file):
    """max_seq_length 256: only the long row (2,000+ characters of answer) is over it. Source: TRL's
    SFTConfig max_length truncates the rest (the target's data, core/targets.py)."""
    report = check_path(str(big_file), _settings(qwen3, max_seq_length=256), jobs=1, use_cache=False)
    long = [f.line for f in report.findings if f.code == "example-too-long"]
    assert long == [60]


def test_serial_and_forked_pool_agree(qwen3, big_file):
    """jobs=1 and jobs=2 (forked workers, the file is over PARALLEL_MIN_BYTES) give the same findings,
    line by line, and the same totals."""
    one = check_path(str(big_file), _settings(qwen3), jobs=1, use_cache=False)
    two = check_path(str(big_file), _settings(qwen3), jobs=2, use_cache=False)
    assert _signature(one) == _signature(two)
    assert one.summary["tokens"] == two.summary["tokens"] > 0
    assert one.summary.get("trained_tokens") == two.summary.get("trained_tokens")


def test_chat_template_error_rule_example_with_a_tokenizer_folder(qwen3, tmp_path):
    """The rule's own example (core/rules.py chat-template-error) with the qwen3 folder named: the
    finding, quoting Qwen3's template (a system content given as parts is added to a string); the
    counter-example has none. (The rule example itself names only the model: it resolves to the Qwen3
    bundled with the package, with TRL's template, which refuses it the same way.)"""
    from finetune_ls.core.rules import CHAT_TEMPLATE_ERROR, example_text

    bad = tmp_path / "bad.jsonl"
    bad.write_text(example_text(CHAT_TEMPLATE_ERROR.example), encoding="utf-8")
    good = tmp_path / "good.jsonl"
    good.write_text(CHAT_TEMPLATE_ERROR.counter_example, encoding="utf-8")
    settings = CheckSettings(**CHAT_TEMPLATE_ERROR.settings, tokenizer=str(qwen3))
    found = [f for f in check_path(str(bad), settings, use_cache=False).findings if f.code == "chat-template-error"]
    assert len(found) == 1 and found[0].severity.value == "error"
    assert 'can only concatenate str (not "list") to str' in found[0].message
    assert not [f for f in check_path(str(good), settings, use_cache=False).findings
                if f.code == "chat-template-error"]


def test_a_repairable_broken_line_is_rendered_too(qwen3, tmp_path):
    """A line whose syntax error has a certain fix (a trailing comma) is checked as the example it will
    be: the template's refusal shows now, with the syntax finding."""
    path = tmp_path / "broken.jsonl"
    path.write_text('{"messages":[{"role":"user","content":[{"type":"text","text":"Hi"}]},'
                    '{"role":"assistant","content":"Hello!"}],}\n', encoding="utf-8")
    report = check_path(str(path), _settings(qwen3), use_cache=False)
    found = [f for f in report.findings if f.code == "chat-template-error"]
    assert len(found) == 1 and found[0].line == 0 and "startswith" in found[0].message
    assert any(f.code != "chat-template-error" and f.severity.value == "error" for f in report.findings)
