"""Message boundaries of long conversations from one rendering (core/template_tokens.py, beyond
_PREFIX_LIMIT messages): the template's loop over `messages` records where each message starts.
They agree with the prefix renderings on the templates TRL ships (trl/chat_templates: Qwen3,
Llama 3 and 3.1, DeepSeek-V3, gemma3) and the models' own, and a 2,000-message conversation's
per-message counts add up to its total without one rendering per prefix."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from finetune_ls.core.hf_tokenizer import resolve_tokenizer
from finetune_ls.core.shapes import CHAT
from finetune_ls.core.targets import training_setup
from finetune_ls.core.template_tokens import TemplateCounter
from helpers import ROOT

os.environ.setdefault("HF_HUB_OFFLINE", "1")
TOKENIZERS = Path(os.environ.get("FINETUNE_LS_TOKENIZERS", ROOT.parent / "shared" / "tokenizers"))
TRL_TEMPLATES = TOKENIZERS / "trl-templates"

# (tokenizer folder, template file or None for the model's own)
CASES = [("qwen3", None), ("deepseek_v3", None), ("llama3_1", None),
         ("qwen3", "qwen3.jinja"), ("llama3_1", "llama3.jinja"), ("llama3_1", "llama3_1.jinja"),
         ("deepseek_v3", "deepseekv3.jinja"), ("qwen3", "gemma3.jinja")]


def _counter(folder: str, template: str | None, **setup) -> TemplateCounter:
    if not TOKENIZERS.is_dir():
        pytest.fail(f"{TOKENIZERS} is missing: these tests need the shared tokenizer copies")
    return TemplateCounter(resolve_tokenizer("test/model", str(TOKENIZERS / folder),
                                             str(TRL_TEMPLATES / template) if template else None),
                           training_setup(**(setup or {"target": "trl"})))


def _conversation(turns: int, system: bool = True) -> list[dict]:
    messages = [{"role": "system", "content": "Be brief."}] if system else []
    for turn in range(turns):
        messages.append({"role": "user", "content": f"question {turn} about things?"})
        messages.append({"role": "assistant", "content": f"answer {turn} with some words."})
    return messages


@pytest.mark.parametrize("folder, template", CASES)
@pytest.mark.parametrize("system", [True, False])
@pytest.mark.parametrize("generation_prompt", [False, True])
def test_one_rendering_gives_the_boundaries_of_the_prefix_renderings(folder, template, system, generation_prompt):
    counter = _counter(folder, template)
    messages = _conversation(6, system)
    text = counter._render(messages, None, generation_prompt).text
    by_prefixes = counter._message_spans(messages, None, text, generation_prompt, prefix_limit=10**6)
    by_one_rendering = counter._message_spans(messages, None, text, generation_prompt, prefix_limit=0)
    assert counter._recorded_ends(messages, None, text, generation_prompt, by_prefixes[0][0]) is not None
    assert by_one_rendering == by_prefixes


def test_gpt_oss_boundaries_fall_between_its_turns():
    """gpt-oss ends the last assistant turn with <|return|> and the others with <|end|>, so a prefix's
    rendering leaves the whole one inside `<|end|>`; the loop's record puts each boundary before
    the next `<|start|>`."""
    counter = _counter("qwen3", "gptoss.jinja")
    messages = _conversation(6)
    text = counter._render(messages).text
    spans = counter._message_spans(messages, None, text, prefix_limit=0)
    assert all(text.startswith("<|start|>", start) for start, _ in spans[1:])
    assert [text[start:end].count("<|start|>") for start, end in spans] == [2] + [1] * (len(messages) - 1)


def test_a_buffered_loop_falls_back_on_the_contents(tmp_path):
    """A template whose loop writes into a `set` block yields nothing while it runs: every recorded
    start is 0, so most contents are outside their recorded spans; the contents' ends give the boundaries."""
    template = tmp_path / "buffered.jinja"
    template.write_text("{% set out %}{% for m in messages %}<{{ m.role }}>{{ m.content }}</s>{% endfor %}"
                        "{% endset %}{{ out }}", encoding="utf-8")
    counter = TemplateCounter(resolve_tokenizer("m", str(TOKENIZERS / "qwen3"), str(template)), training_setup("trl"))
    messages = _conversation(3)
    text = counter._render(messages).text
    assert counter._recorded_ends(messages, None, text, False, 0) is None
    spans = counter._message_spans(messages, None, text, prefix_limit=0)
    assert [text[start:end] for start, end in spans][:2] == ["<system>Be brief.", "</s><user>question 0 about things?"]


@pytest.mark.parametrize("folder, template, target", [("qwen3", "qwen3.jinja", "trl"), ("qwen3", None, "axolotl"),
                                                      ("llama3_1", None, "trl")])
def test_a_2000_message_conversation_counts_per_message_to_its_total(folder, template, target, monkeypatch):
    """Per-message counts (hover, detail) and axolotl's role spans of a 2,000-message line add up to its
    total (but for a BOS the template writes before the first message, in no message's count, as with
    prefix renderings); a 41-message one (under the limit: prefix renderings) counts the same per message both ways."""
    counter = _counter(folder, template, target=target)
    long = {"messages": _conversation(1000)[1:]}
    assert len(long["messages"]) == 2000
    tokens = counter.count(long, CHAT, detail=True)
    assert tokens.error is None and len(tokens.messages) == 2000
    outside = tokens.total - sum(count for _, count in tokens.messages)  # a BOS the template writes first
    assert 0 <= outside <= 1
    assert 0 < tokens.trained <= tokens.total and (target == "trl" or tokens.trained < tokens.total)
    short = {"messages": _conversation(20)}
    by_prefixes = counter.count(short, CHAT, detail=True)
    monkeypatch.setattr("finetune_ls.core.template_tokens._PREFIX_LIMIT", 0)
    by_one_rendering = counter.count(short, CHAT, detail=True)
    assert by_one_rendering.messages == by_prefixes.messages
    assert by_prefixes.total - sum(count for _, count in by_prefixes.messages) == outside
    assert (by_one_rendering.total, by_one_rendering.trained) == (by_prefixes.total, by_prefixes.trained)
