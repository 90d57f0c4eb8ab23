"""The formats of the open-weight targets: which line is which format, how a file's
format is voted, and that the schema of the target's format gives the shape errors.

Sources: ../shared/reference/providers.md §4 (key TRL: trl/data_utils.py and the SFT/DPO
dataset formats: messages, prompt/completion as strings or message lists, text, and
DPOTrainer's prompt/chosen/rejected with explicit or implicit prompt) and §3.1 (keys
TG-PY1 src/together/utils/files.py, TG-PY3 together/lib/constants.py
JSONL_REQUIRED_COLUMNS_MAP: text, messages, prompt+completion,
input+preferred_output+non_preferred_output).
"""

from __future__ import annotations

import json

import pytest

from helpers import check, codes
from finetune_ls.core.shapes import (
    CHAT, CHOSEN_REJECTED, PREFERENCE, PROMPT_COMPLETION, TEXT, UNKNOWN, Foreign, line_shape, shape_format,
    target_formats, vote_format,
)

U = {"role": "user", "content": "Capital of France?"}
A = {"role": "assistant", "content": "Paris."}
B = {"role": "assistant", "content": "Lyon."}


def _jsonl(*rows: dict) -> str:
    return "".join(json.dumps(row) + "\n" for row in rows)


@pytest.mark.parametrize("target", ["trl", "axolotl", "unsloth"])
@pytest.mark.parametrize("row", [
    {"prompt": "Capital of France?", "chosen": " Paris.", "rejected": " Lyon."},  # standard, explicit prompt
    {"chosen": "Capital of France? Paris.", "rejected": "Capital of France? Lyon."},  # standard, implicit prompt
    {"prompt": [U], "chosen": [A], "rejected": [B]},  # conversational, explicit prompt
    {"chosen": [U, A], "rejected": [U, B]},  # conversational, implicit prompt
], ids=["standard", "implicit", "conversational", "conversational-implicit"])
def test_trl_preference_is_a_native_format(target, row):
    """TRL's DPOTrainer reads prompt/chosen/rejected, with an explicit or implicit prompt,
    as strings or message lists (providers.md §4, TRL trl/data_utils.py; axolotl's
    chat_template.default DPO strategy reads chosen/rejected, AXO): a format of these
    targets, not `foreign-format`, and the file checks clean."""
    assert line_shape(row, target) == CHOSEN_REJECTED
    report = check(_jsonl(row), target=target)
    assert report.format == CHOSEN_REJECTED
    line_codes = [f.code for f in report.findings if f.scope == "line"]
    assert line_codes == [], [(f.code, f.message) for f in report.findings]


def test_trl_preference_stays_foreign_for_openai():
    """OpenAI's formats are unchanged: prompt/chosen/rejected is another tool's shape
    there (OpenAI's DPO takes input/preferred_output/non_preferred_output)."""
    row = {"prompt": "Q?", "chosen": "A", "rejected": "B"}
    assert line_shape(row) == Foreign.TRL_PREFERENCE
    assert line_shape(row, "openai") == Foreign.TRL_PREFERENCE
    assert "foreign-format" in codes(check(_jsonl(row)))


@pytest.mark.parametrize("target", ["trl", "unsloth", "together", "axolotl"])
def test_prompt_completion_is_native_not_legacy(target):
    """prompt/completion is TRL's prompt-completion format (providers.md §4, TRL) and
    Together's instruction format (§3.1, TG-PY3 JSONL_REQUIRED_COLUMNS_MAP): no
    `legacy-format` (that is OpenAI's babbage-002/davinci-002 note) and no
    `too-few-examples` for a short file."""
    report = check(_jsonl({"prompt": "2+2 =", "completion": " 4"}), target=target)
    assert report.format == PROMPT_COMPLETION
    assert "legacy-format" not in codes(report)
    assert "too-few-examples" not in codes(report)


def test_trl_conversational_prompt_completion():
    """TRL takes prompt and completion as message lists (conversational prompt-completion,
    providers.md §4 TRL); OpenAI's legacy schema would call them wrong types."""
    text = _jsonl({"prompt": [U], "completion": [A]})
    assert [f.code for f in check(text, target="trl").findings if f.scope == "line"] == []
    assert "wrong-type" in codes(check(text))


@pytest.mark.parametrize("target", ["trl", "together", "axolotl", "unsloth"])
def test_text_is_a_format(target):
    """{"text": ...} is TRL's dataset_text_field, axolotl's completion type and Together's
    generic text format (providers.md §3.1, §4)."""
    row = {"text": "The sky is blue."}
    assert line_shape(row, target) == TEXT
    report = check(_jsonl(row), target=target)
    assert report.format == TEXT
    assert [f.code for f in report.findings if f.scope == "line"] == []


def test_text_schema_gives_the_shape_error():
    """Schema first (schemas/text.schema.json): a non-string text is the schema's
    wrong-type finding at /text."""
    report = check(_jsonl({"text": "ok"}, {"text": 3}), target="trl")
    found = [f for f in report.findings if f.code == "wrong-type"]
    assert found and found[0].line == 1 and found[0].pointer == "/text"


def test_chosen_rejected_schema_gives_the_shape_error():
    """schemas/chosen-rejected.schema.json: rejected is required once chosen is there."""
    report = check(_jsonl({"prompt": "Q", "chosen": "A", "rejected": "B"}, {"prompt": "Q", "chosen": "A"}),
                   target="trl")
    found = [f for f in report.findings if f.code == "missing-key"]
    assert found and found[0].line == 1 and '"rejected"' in found[0].message


def test_together_preference_is_openais_shape():
    """Together's preference format is OpenAI's input/preferred_output/non_preferred_output
    with exactly one assistant message per output (providers.md §3.1, TG-PY1, TG-DOCS):
    OpenAI's preference schema applies, so two output messages are too-many-items."""
    good = {"input": {"messages": [U]}, "preferred_output": [A], "non_preferred_output": [B]}
    assert target_formats("together") == (CHAT, PROMPT_COMPLETION, TEXT, PREFERENCE)
    report = check(_jsonl(good, dict(good, preferred_output=[A, A])), target="together")
    assert report.format == PREFERENCE
    found = [f for f in report.findings if f.code == "too-many-items"]
    assert found and found[0].line == 1


def test_openai_preference_is_not_a_trl_format():
    """TRL's DPOTrainer reads prompt/chosen/rejected, not input/preferred_output
    (providers.md §4, TRL): the line is `target-format`, an error, naming what TRL takes."""
    row = {"input": {"messages": [U]}, "preferred_output": [A], "non_preferred_output": [B]}
    assert shape_format(line_shape(row, "trl"), UNKNOWN, "trl") is None
    report = check(_jsonl(row), target="trl")
    found = [f for f in report.findings if f.code == "target-format"]
    assert found and found[0].severity.value == "error"
    assert "chosen" in found[0].message and "TRL" in found[0].message


def test_foreign_wording_names_the_target():
    """An Alpaca line for TRL is foreign-format, but not "not an OpenAI training format"."""
    report = check(_jsonl({"instruction": "Say hi", "output": "Hi!"}), target="trl")
    found = [f for f in report.findings if f.code == "foreign-format"]
    assert found and "not among the formats TRL trains on" in found[0].message and "OpenAI" not in found[0].message


def test_messages_are_chat_for_open_targets():
    """Open-weight trainers have no reinforcement format: a messages line that would look
    like RFT data for OpenAI (it ends with the user and carries a reference field) is chat."""
    rft_like = {"messages": [U], "reference_answer": "Paris"}
    assert vote_format([rft_like], "openai") == "reinforcement"
    assert vote_format([rft_like], "trl") == CHAT


def test_vote_counts_the_new_formats():
    """The file's format is the one most lines are in, among the target's formats."""
    pair = {"prompt": "Q", "chosen": "A", "rejected": "B"}
    chat = {"messages": [U, A]}
    assert vote_format([pair, pair, chat], "trl") == CHOSEN_REJECTED
    assert vote_format([pair, pair, chat], "openai") == CHAT
    assert vote_format([{"text": "x"}], "openai") == UNKNOWN
