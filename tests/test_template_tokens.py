"""Token counts and assistant masks of open-weight targets equal transformers' own.

Source for every assertion: transformers' `PreTrainedTokenizerBase.apply_chat_template(messages,
tools=tools, tokenize=True, return_dict=True, add_generation_prompt=False,
return_assistant_tokens_mask=True)` (transformers/tokenization_utils_base.py), loaded offline with
`AutoTokenizer.from_pretrained(folder)` (no torch needed) from the copies in ../shared/tokenizers.
TRL passes `tools` as the dataset row holds them (trl/trainer/sft_trainer.py, the tokenize step:
`apply_chat_template(messages, tools=example.get("tools"), ...)`).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from finetune_ls.core.hf_tokenizer import resolve_tokenizer
from finetune_ls.core.shapes import CHAT
from finetune_ls.core.targets import training_setup
from finetune_ls.core.template_tokens import TemplateCounter
from helpers import CORPUS, ROOT

os.environ.setdefault("HF_HUB_OFFLINE", "1")
transformers = pytest.importorskip("transformers")

TOKENIZERS = Path(os.environ.get("FINETUNE_LS_TOKENIZERS", ROOT.parent / "shared" / "tokenizers"))
CHAT_DIRS = ("chat", "chat_tools", "chat_functions", "chat_weight", "chat_vision", "rft")
PER_FILE = 60  # examples compared per file (every one of smaller files; a deterministic sample of larger)

# A template of our own with generation tags (Qwen's ChatML turns, tools left out): the assistant's
# content and its <|im_end|> are generated, the header is not.
GENERATION_TEMPLATE = (
    "{%- for message in messages %}"
    "{%- if message.role == 'assistant' %}"
    "{{- '<|im_start|>assistant\\n' }}{% generation %}{{- message.content + '<|im_end|>' }}{% endgeneration %}"
    "{{- '\\n' }}"
    "{%- else %}{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)


def _families(tmp_path_factory):
    root = tmp_path_factory.mktemp("tokenizers")
    families = {}
    for name in ("qwen3", "deepseek_v3", "llama3_1"):
        folder = root / name
        shutil.copytree(TOKENIZERS / name, folder)
        families[name] = (folder, None)
    template = TOKENIZERS / "trl-templates" / "llama3_1.jinja"
    folder = root / "llama3_1_trl"
    shutil.copytree(TOKENIZERS / "llama3_1", folder)
    families["llama3_1+trl-template"] = (folder, template)
    return families


@pytest.fixture(scope="module")
def families(tmp_path_factory):
    if not TOKENIZERS.is_dir():
        pytest.fail(f"{TOKENIZERS} is missing: the equivalence tests need the shared tokenizer copies")
    return _families(tmp_path_factory)


def _examples() -> list[tuple[str, int, dict]]:
    """Every chat-like file of tests/ and of the corpus: its examples (all, or a deterministic sample)."""
    files = sorted(path for directory in CHAT_DIRS for path in (CORPUS / directory).glob("*.jsonl"))
    files += sorted((ROOT / "tests" / "schema_cases").glob("chat.*.jsonl"))
    files += sorted((ROOT / "tests" / "schema_cases").glob("reinforcement.*.jsonl"))
    chosen = []
    for path in files:
        rows = []
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict) and isinstance(value.get("messages"), list):
                rows.append((f"{path.name}:{number}", number, value))
        step = max(1, len(rows) // PER_FILE)
        chosen += rows[::step][:PER_FILE]
    return chosen


def _reference(tokenizer, example: dict, **kwargs):
    """transformers' answer: (ids, mask) or the message it raised."""
    try:
        out = tokenizer.apply_chat_template(example["messages"], tools=example.get("tools"), tokenize=True,
                                            return_dict=True, add_generation_prompt=False, **kwargs)
    except Exception as error:  # noqa: BLE001 - the message is what we compare
        return None, str(error)
    return out, None


def test_token_counts_equal_transformers_on_every_chat_file(families):
    """Counts equal len(apply_chat_template(messages, tools=tools, tokenize=True)) for three families
    (and Llama 3.1's TRL template), on the chat files of the corpus and of tests/; an example that
    transformers refuses, we refuse with the same message. Source: transformers' apply_chat_template."""
    examples = _examples()
    assert len(examples) > 150 and any(e[2].get("tools") for e in examples)
    assert any(sum(1 for m in e[2]["messages"] if isinstance(m, dict) and m.get("role") == "user") > 1
               for e in examples)
    compared = {}
    for family, (folder, template) in families.items():
        reference = transformers.AutoTokenizer.from_pretrained(str(folder))
        if template is not None:
            reference.chat_template = template.read_text(encoding="utf-8")
        counter = TemplateCounter(resolve_tokenizer("test/model", str(folder), str(template) if template else None),
                                  training_setup("trl"))
        refused = 0
        for where, _, example in examples:
            out, error = _reference(reference, example)
            ours = counter.count(example, CHAT, detail=True)
            if error is not None:
                assert ours.error is not None, (family, where, error)
                assert error in ours.error or ours.error in error, (family, where, error, ours.error)
                refused += 1
                continue
            assert ours.error is None, (family, where, ours.error)
            assert ours.total == len(out["input_ids"]), (family, where)
            assert ours.trained == ours.total  # TRL's default: assistant_only_loss=False
            assert sum(count for _, count in ours.messages) <= ours.total
            assert len(ours.messages) == len(example["messages"])
        compared[family] = (len(examples), refused)
    print("compared per family (examples, of which refused):", compared)


def _mask_family(families, tmp_path):
    folder = tmp_path / "qwen3-generation"
    shutil.copytree(families["qwen3"][0], folder)
    template = tmp_path / "generation.jinja"
    template.write_text(GENERATION_TEMPLATE, encoding="utf-8")
    reference = transformers.AutoTokenizer.from_pretrained(str(folder))
    reference.chat_template = GENERATION_TEMPLATE
    return folder, template, reference


def _plain_examples():
    """Examples the small generation template renders: string contents, no tools."""
    return [e for e in _examples() if all(isinstance(m, dict) and isinstance(m.get("content"), str)
                                          and isinstance(m.get("role"), str) and m.get("content")
                                          for m in e[2]["messages"]) and not e[2].get("tools")
            and e[2]["messages"]]


def test_assistant_masks_equal_transformers_generation_masks(families, tmp_path):
    """train_on="assistant" with a template that has {% generation %}: trained tokens equal the sum of
    transformers' `assistant_masks` (return_assistant_tokens_mask=True). Source: transformers'
    apply_chat_template; TRL's assistant_only_loss uses that mask (trl/trainer/sft_trainer.py)."""
    folder, template, reference = _mask_family(families, tmp_path)
    counter = TemplateCounter(resolve_tokenizer("test/model", str(folder), str(template)),
                              training_setup("trl", train_on="assistant"))
    examples = _plain_examples()
    assert len(examples) > 100
    masked = 0
    for where, _, example in examples:
        out, error = _reference(reference, example, return_assistant_tokens_mask=True)
        assert error is None, (where, error)
        ours = counter.count(example, CHAT)
        assert ours.total == len(out["input_ids"]), where
        assert ours.trained == sum(out["assistant_masks"]), where
        masked += sum(out["assistant_masks"])
    assert masked > 0


def test_assistant_spans_cover_the_generation_mask(families, tmp_path):
    """Without generation tags, the assistant messages' spans are trained: they hold every token the
    generation mask has, and beyond it only the assistant header (`<|im_start|>assistant\\n`, 3 tokens
    in Qwen3) and the turn's trailing newline. Source: transformers' assistant_masks as the reference."""
    folder, template, reference = _mask_family(families, tmp_path)
    plain = tmp_path / "plain.jinja"
    plain.write_text(GENERATION_TEMPLATE.replace("{% generation %}", "").replace("{% endgeneration %}", ""))
    counter = TemplateCounter(resolve_tokenizer("test/model", str(folder), str(plain)),
                              training_setup("trl", train_on="assistant"))
    for where, _, example in _plain_examples():
        out, _ = _reference(reference, example, return_assistant_tokens_mask=True)
        ours = counter.count(example, CHAT)
        assistants = sum(1 for m in example["messages"] if m["role"] == "assistant")
        assert ours.trained == sum(out["assistant_masks"]) + 4 * assistants, where


def _qwen3_counter(families, **setup):
    folder, _ = families["qwen3"]
    return TemplateCounter(resolve_tokenizer("Qwen/Qwen3-8B", str(folder)), training_setup(**setup))


CONVERSATION = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi there"},
                {"role": "assistant", "content": "Hello, how can I help?"}, {"role": "user", "content": "Tell a joke"},
                {"role": "assistant", "content": "Why did the chicken cross the road?"}]


@pytest.mark.parametrize("eos, extra", [("turn", 2), ("all", 5), ("last", 1), ("none", 0)])
def test_axolotl_roles_to_train_and_train_on_eos(families, eos, extra):
    """axolotl trains the content tokens of roles_to_train turns (find_turn diffs the rendering with a
    dummy content, so headers are out) and the first EOS after a turn per train_on_eos: every turn's
    (all), trained turns' (turn), the last trained turn's (last), none. Source:
    axolotl src/axolotl/prompt_strategies/chat_template.py, ChatTemplateStrategy._tokenize_single_prompt.
    Qwen3's EOS is <|im_end|>, closing each of the 5 turns."""
    reference = transformers.AutoTokenizer.from_pretrained(str(families["qwen3"][0]))
    content = sum(len(reference(m["content"], add_special_tokens=False)["input_ids"])
                  for m in CONVERSATION if m["role"] == "assistant")
    counter = _qwen3_counter(families, target="axolotl", train_on_eos=eos)
    ours = counter.count({"messages": CONVERSATION}, CHAT)
    assert ours.trained == content + extra
    users = _qwen3_counter(families, target="axolotl", roles_to_train=("user",), train_on_eos="none")
    assert users.count({"messages": CONVERSATION}, CHAT).trained == sum(
        len(reference(m["content"], add_special_tokens=False)["input_ids"]) for m in CONVERSATION if m["role"] == "user")


def test_weight_zero_assistant_messages_are_not_trained_where_the_target_honours_weight(families):
    """Together honours `weight` (0 = not trained; providers.md §3); TRL ignores it (honours_weight False
    in data/targets.json, TRL has no per-message weight)."""
    weighted = [dict(m) for m in CONVERSATION]
    weighted[2]["weight"] = 0
    together = _qwen3_counter(families, target="together")
    full = together.count({"messages": CONVERSATION}, CHAT, detail=True)
    less = together.count({"messages": weighted}, CHAT, detail=True)
    assert full.total == less.total
    assert less.trained == full.trained - dict(full.messages)[("messages", 2)] > 0
    trl = _qwen3_counter(families, target="trl")
    assert trl.count({"messages": weighted}, CHAT).trained == trl.count({"messages": CONVERSATION}, CHAT).trained


def test_per_message_counts_take_the_qwen3_think_block_into_the_last_turn(families, tmp_path):
    """TRL's Qwen3 template inserts an empty <think></think> block into the last assistant turn only;
    each message's count (its wrapping included) is the difference of prefix renderings, and the
    insertion is counted with the last turn. Reference: transformers' token counts of the prefixes."""
    folder, _ = families["qwen3"]
    template = TOKENIZERS / "trl-templates" / "qwen3.jinja"
    counter = TemplateCounter(resolve_tokenizer("Qwen/Qwen3-8B", str(folder), str(template)), training_setup("trl"))
    reference = transformers.AutoTokenizer.from_pretrained(str(folder))
    reference.chat_template = template.read_text(encoding="utf-8")
    ours = counter.count({"messages": CONVERSATION}, CHAT, detail=True)
    whole = reference.apply_chat_template(CONVERSATION, tokenize=False)
    assert "<think>\n\n</think>" in whole.split("Tell a joke")[1] and "<think>" not in whole.split("Tell a joke")[0]
    counts = dict(ours.messages)
    assert sum(counts.values()) == ours.total == len(reference(whole, add_special_tokens=False)["input_ids"])
    # the first four messages render as the whole's start once a user turn follows them
    start = reference.apply_chat_template(CONVERSATION[:4], tokenize=False)
    assert whole.startswith(start)
    assert sum(counts[("messages", i)] for i in range(4)) == len(reference(start, add_special_tokens=False)["input_ids"])
    last = reference("<|im_start|>assistant\n<think>\n\n</think>\n\nWhy did the chicken cross the road?<|im_end|>\n",
                     add_special_tokens=False)["input_ids"]
    assert counts[("messages", 4)] == len(last)


def test_odd_values_are_findings_or_counts_never_exceptions(families, tmp_path):
    """Whatever a line holds, count() answers: a count, or `.error` with the template's or transformers'
    message (raise_exception's text; transformers' message for a message that is not an object)."""
    folder, _ = families["qwen3"]
    raising = tmp_path / "raising.jinja"
    raising.write_text("{% if messages[0].role != 'user' %}{{ raise_exception('First message must be the user.') }}"
                       "{% endif %}{% for m in messages %}{{ m.content }}{% endfor %}", encoding="utf-8")
    counter = TemplateCounter(resolve_tokenizer("m", str(folder), str(raising)), training_setup("trl"))
    refused = counter.count({"messages": [{"role": "assistant", "content": "x"}]}, CHAT)
    assert refused.error == "First message must be the user." and refused.total == 0
    qwen = _qwen3_counter(families, target="trl")
    odd = [
        {"messages": ["not an object"]},
        {"messages": [{"role": "user", "content": "lone \ud800 surrogate"}, {"role": "assistant", "content": "ok"}]},
        {"messages": [{"role": "user", "content": 42}]},
        {"messages": [{"role": "user", "content": "Hi"}], "tools": "[{\"type\": \"function\"}]"},
        {"messages": [{"role": "user", "content": "Hi"}], "tools": "not json"},
        {"messages": [{"role": "user", "content": "Hi"}], "tools": {"type": "function"}},
        {"messages": []},
        {"messages": "nope"},
    ]
    answers = [qwen.count(example, CHAT, detail=True) for example in odd]
    assert answers[0].error.startswith("Chat messages should be dicts")
    # transformers' tokenizer raises TypeError on a lone surrogate: TRL stops at the row
    assert answers[1].error.startswith("the text holds an unpaired surrogate (\\ud800)") and answers[1].total == 0
    assert answers[3].error is None and answers[4].error.startswith("tools is a string that is not JSON")
    assert answers[5].error.startswith("Tools should either be a JSON schema")
    assert all(isinstance(a.total, int) for a in answers)
