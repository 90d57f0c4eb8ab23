"""Line rules per open-weight target (core/target_rules.py), each test citing its source.

Source keys are those of ../shared/reference/providers.md: TG-PY1 (together-python 1.5.34,
src/together/utils/files.py, the legacy client validator), TG-PY3 (together 3.1.1:
together/lib/constants.py, together/lib/utils/files.py `_check_jsonl`), TG-DOCS, TRL
(huggingface/trl@f2cd5771), AXO (axolotl-ai-cloud/axolotl@067b021c,
src/axolotl/prompt_strategies/chat_template.py, docs/dataset-formats/conversation.qmd), UNS.
"""

from __future__ import annotations

import json

import pytest

from helpers import check, codes

U = {"role": "user", "content": "Hi"}
A = {"role": "assistant", "content": "Hello!"}
PNG = "data:image/png;base64," + "iVBORw0KGgo" + "A" * 40


def _jsonl(*rows: dict) -> str:
    return "".join(json.dumps(row) + "\n" for row in rows)


def _found(report, code: str):
    return [f for f in report.findings if f.code == code]


# ------------------------------------------------------------------ Together
def test_together_roles_alternate_even_on_the_fast_path():
    """TG-PY1 files.py: no two consecutive messages with the same role; TG-DOCS
    data-preparation: start with system or user, then alternate. A plain two-key line
    (the engine's fast path) must still be checked."""
    report = check(_jsonl({"messages": [U, U, A]}), target="together")
    found = _found(report, "together-rule")
    assert found and found[0].severity.value == "error" and found[0].pointer == "/messages/1/role"
    assert "Together's published SDK validator" in found[0].message
    assert "together-rule" not in codes(check(_jsonl({"messages": [U, A]}), target="together"))


def test_together_roles_are_its_four():
    """TG-PY3 constants POSSIBLE_ROLES_CONVERSATION = system, user, assistant, tool."""
    report = check(_jsonl({"messages": [{"role": "developer", "content": "Be brief."}, U, A]}), target="together")
    found = _found(report, "together-rule")
    assert found and "POSSIBLE_ROLES_CONVERSATION" in found[0].message
    tool_ok = {"messages": [U, {"role": "assistant", "content": None, "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "3"}, A],
        "tools": [{"type": "function", "function": {"name": "f"}}]}
    assert [f.code for f in check(_jsonl(tool_ok), target="together").findings if f.scope == "line"] == []


def test_together_rejects_extra_columns_but_tools():
    """TG-PY3 constants JSONL_EXTRA_COLUMNS_MAP: conversation rows may add only tools
    (TG-PY1 rejected any extra column)."""
    report = check(_jsonl({"messages": [U, A], "source": "wiki"}), target="together")
    found = _found(report, "together-rule")
    assert found and found[0].pointer == "/source" and "JSONL_EXTRA_COLUMNS_MAP" in found[0].message
    report = check(_jsonl({"text": "x", "label": 1}), target="together")
    assert _found(report, "together-rule")


@pytest.mark.parametrize("weight", [2, 1.0, "1", True])
def test_together_weight_is_int_zero_or_one_unconfirmed(weight):
    """TG-PY1 files.py: weight must be the int 0 or 1. TG-PY3 dropped the client check
    ("Semantic checks run on the server after upload") and the server's rule is
    unconfirmed: a warning that says so."""
    report = check(_jsonl({"messages": [U, dict(A, weight=weight)]}), target="together")
    found = _found(report, "together-unconfirmed")
    assert found and found[0].severity.value == "warning"
    assert "legacy SDK" in found[0].message and "unconfirmed" in found[0].message
    assert "invalid-weight" not in codes(report)  # OpenAI's wording is not Together's


def test_together_needs_an_assistant_message_unconfirmed():
    """TG-PY1 files.py: at least one assistant message (not checked by TG-PY3)."""
    assert _found(check(_jsonl({"messages": [U]}), target="together"), "together-unconfirmed")


def test_together_images():
    """TG-PY1 files.py: images only in user messages, data URLs of jpeg/png/webp only, at
    most 10 per example (TG-PY3 constants MAX_IMAGES_PER_EXAMPLE = 10, MAX_IMAGE_BYTES =
    10 MB), a message with images cannot have non-zero weight, contents all strings or
    all lists."""
    def image(url):
        return {"type": "image_url", "image_url": {"url": url}}

    link = {"messages": [{"role": "user", "content": [image("https://x.org/a.png")]},
                         {"role": "assistant", "content": [{"type": "text", "text": "A cat."}]}]}
    found = _found(check(_jsonl(link), target="together"), "together-rule")
    assert found and "data URL" in found[0].message

    gif = {"messages": [{"role": "user", "content": [image("data:image/gif;base64,R0lGOD")]},
                        {"role": "assistant", "content": [{"type": "text", "text": "A cat."}]}]}
    assert _found(check(_jsonl(gif), target="together"), "together-rule")

    eleven = {"messages": [{"role": "user", "content": [image(PNG)] * 11},
                           {"role": "assistant", "content": [{"type": "text", "text": "Cats."}]}]}
    found = _found(check(_jsonl(eleven), target="together"), "together-rule")
    assert any("11 images" in f.message for f in found)

    in_assistant = {"messages": [{"role": "user", "content": [{"type": "text", "text": "Draw"}]},
                                 {"role": "assistant", "content": [image(PNG)]}]}
    found = _found(check(_jsonl(in_assistant), target="together"), "together-unconfirmed")
    assert any("only in user messages" in f.message for f in found)

    mixed = {"messages": [{"role": "user", "content": [image(PNG)]}, {"role": "assistant", "content": "A cat."}]}
    found = _found(check(_jsonl(mixed), target="together"), "together-unconfirmed")
    assert any("strings and some are lists" in f.message for f in found)

    good = {"messages": [{"role": "user", "content": [image(PNG)]},
                         {"role": "assistant", "content": [{"type": "text", "text": "A cat."}]}]}
    assert [f.code for f in check(_jsonl(good), target="together").findings if f.scope == "line"] == []


def test_together_preference_input_ends_before_the_answer():
    """TG-PY1 files.py: the last input message of a preference row must not be the
    assistant's (dropped from the TG-PY3 client: a warning)."""
    row = {"input": {"messages": [U, A]}, "preferred_output": [A], "non_preferred_output": [{"role": "assistant",
                                                                                              "content": "No."}]}
    found = _found(check(_jsonl(row), target="together"), "together-unconfirmed")
    assert found and found[0].pointer == "/input/messages/1"


def test_together_minimum_is_one_example():
    """TG-PY3 constants MIN_SAMPLES = 1, checked on upload (files.py _check_samples_count):
    one example passes (OpenAI's 10 does not apply), none is an error."""
    assert "too-few-examples" not in codes(check(_jsonl({"messages": [U, A]}), target="together"))
    found = _found(check("\n", target="together"), "too-few-examples")
    assert found and "MIN_SAMPLES" in found[0].message


# ------------------------------------------------------------------ TRL, Unsloth
@pytest.mark.parametrize(("target", "name"), [("trl", "TRL"), ("unsloth", "Unsloth")])
def test_weight_is_ignored_by_trl(target, name):
    """providers.md §4: TRL has no per-message weight (not read in trl/data_utils.py);
    Unsloth trains with TRL's SFTTrainer. One warning per line, at the first weight,
    counting the line's weights and its zeros."""
    row = {"messages": [U, dict(A, weight=0), U, dict(A, content="Hi again", weight=1)]}
    report = check(_jsonl(row, dict(row, messages=[U, A])), target=target)
    found = _found(report, "weight-ignored")
    assert len(found) == 1 and found[0].line == 0 and found[0].pointer == "/messages/1/weight"
    assert found[0].severity.value == "warning"
    assert f"{name} ignores" in found[0].message and "2 message(s)" in found[0].message
    assert "1 message(s) here have weight 0" in found[0].message


@pytest.mark.parametrize("target", ["trl", "unsloth"])
def test_openai_only_rules_do_not_fire_for_trl(target):
    """OpenAI's rules are OpenAI's (providers.md §4): TRL takes any role the chat template
    accepts (the template raises otherwise: the template's own finding), reads no weight
    (so OpenAI's 0/1 rule is moot), has no documented minimum of examples, and
    prompt/completion is its own format, not OpenAI's legacy one."""
    rows = [
        {"messages": [{"role": "developer", "content": "Be brief."}, U, dict(A, weight=1.0)]},
        {"messages": [{"role": "human", "content": "Hi"}, {"role": "gpt", "content": "Hello"}]},
        {"messages": [U, dict(A, weight=2)]},
    ]
    report = check(_jsonl(*rows), target=target)
    for code in ("invalid-weight", "unknown-role", "developer-role-in-sft", "too-few-examples", "legacy-format",
                 "missing-user", "unknown-key"):
        assert code not in codes(report), code
    report = check(_jsonl({"prompt": "2+2 =", "completion": " 4"}), target=target)
    assert "legacy-format" not in codes(report) and "too-few-examples" not in codes(report)


def test_identical_chosen_and_rejected():
    """DPO's loss compares chosen with rejected (TRL DPOTrainer): identical ones teach no
    preference, the same warning as OpenAI's preference-identical."""
    found = _found(check(_jsonl({"prompt": "Q", "chosen": "A", "rejected": "A"}), target="trl"),
                   "preference-identical")
    assert found and found[0].pointer == "/rejected"


# ------------------------------------------------------------------ axolotl
def test_axolotl_weight_needs_message_field_training():
    """AXO chat_template.py get_conversation_thread reads a message's training flag from
    message_field_training (default None), so "weight" is ignored unless the dataset
    names it there."""
    found = _found(check(_jsonl({"messages": [U, dict(A, weight=0)]}), target="axolotl"), "weight-ignored")
    assert found and "message_field_training: weight" in found[0].message


def test_axolotl_part_boundary_whitespace():
    """AXO chat_template.py _convert_content_parts: per-part train/weight is honoured, and
    a part ending in whitespace at a train/mask boundary is logged as a warning (the
    straddling token is masked); docs/dataset-formats/conversation.qmd says to split
    before spaces."""
    def parts(first, second, flag="train", off=False, on=True):
        return {"messages": [U, {"role": "assistant", "content": [
            {"type": "text", "text": first, flag: off}, {"type": "text", "text": second, flag: on}]}]}

    found = _found(check(_jsonl(parts("Let me think. ", "It is 4.")), target="axolotl"), "part-boundary-whitespace")
    assert found and found[0].pointer == "/messages/1/content/0/text"
    found = _found(check(_jsonl(parts("Thinking:\t", "4", "weight", 0, 1)), target="axolotl"),
                   "part-boundary-whitespace")
    assert found
    assert not _found(check(_jsonl(parts("Let me think.", " It is 4.")), target="axolotl"),
                      "part-boundary-whitespace")
    same = parts("Let me think. ", "It is 4.", off=True)  # no boundary: both trained
    assert not _found(check(_jsonl(same), target="axolotl"), "part-boundary-whitespace")


def test_together_prompt_completion_is_text():
    """TG-PY1 files.py checks prompt and completion as message content (a string or a list
    of content parts); a list of messages (TRL's conversational prompt-completion) is not
    that. TG-PY3 no longer checks it on the client: a warning."""
    row = {"prompt": [U], "completion": [A]}
    found = _found(check(_jsonl(row), target="together"), "together-unconfirmed")
    assert found and found[0].pointer == "/prompt" and "unconfirmed" in found[0].message
    assert not _found(check(_jsonl({"prompt": "2+2 =", "completion": " 4"}), target="together"),
                      "together-unconfirmed")
    assert not _found(check(_jsonl(row), target="trl"), "together-unconfirmed")


def test_together_parallel_tool_results_are_unconfirmed():
    """TG-PY3 constants allow the tool role, TG-PY1 (no tool role) and TG-DOCS require
    alternating roles; whether consecutive tool results (parallel calls) pass the server is
    not documented: a warning, not the alternation error."""
    call = {"role": "assistant", "content": None, "tool_calls": [
        {"id": f"c{n}", "type": "function", "function": {"name": "f", "arguments": "{}"}} for n in (1, 2)]}
    row = {"messages": [U, call, {"role": "tool", "tool_call_id": "c1", "content": "1"},
                        {"role": "tool", "tool_call_id": "c2", "content": "2"}, A],
           "tools": [{"type": "function", "function": {"name": "f"}}]}
    report = check(_jsonl(row), target="together")
    assert not _found(report, "together-rule")
    found = _found(report, "together-unconfirmed")
    assert found and found[0].pointer == "/messages/3/role" and "unconfirmed" in found[0].message
