"""Which training format a line is in, and which format a file is in.

A line's shape comes from its keys alone. `messages` lines are ambiguous
between supervised chat and reinforcement data; reinforcement lines carry
reference fields for the graders or developer messages, so the file decides.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from finetune_ls.core.roles import suggest_role

CHAT = "chat"
PREFERENCE = "preference"
REINFORCEMENT = "reinforcement"
PROMPT_COMPLETION = "prompt-completion"
MIXED = "mixed"
UNKNOWN = "unknown"
FORMATS = (CHAT, PREFERENCE, REINFORCEMENT, PROMPT_COMPLETION)
# Formats of open-weight trainers (TRL, axolotl, Unsloth; Together takes TEXT too).
CHOSEN_REJECTED = "chosen-rejected"  # TRL's preference data: prompt (or implicit) / chosen / rejected
TEXT = "text"  # {"text": ...}: language modelling on plain text

# Shapes that are not a training format of their own.
MESSAGES = "messages"  # chat or reinforcement; the file decides
MESSAGE = "message"  # one {"role", "content"} message on a line
NOT_OBJECT = "not-object"
UNKNOWN_OBJECT = "unknown-object"

METHOD_FORMATS = {"supervised": (CHAT, PROMPT_COMPLETION, TEXT), "dpo": (PREFERENCE, CHOSEN_REJECTED),
                  "reinforcement": (REINFORCEMENT,)}
FORMAT_METHOD = {CHAT: "supervised", PROMPT_COMPLETION: "supervised", PREFERENCE: "dpo", REINFORCEMENT: "reinforcement",
                 CHOSEN_REJECTED: "dpo", TEXT: "supervised"}

# The formats each target takes natively (the ones a line is checked as). OpenAI and Azure:
# FORMATS. Together: its validator's four (providers.md §3.1, TG-PY1 files.py). TRL (and
# Unsloth, TRL underneath): SFTTrainer's messages, prompt/completion and text, DPOTrainer's
# prompt/chosen/rejected (providers.md §4, TRL). axolotl: chat_template (messages), the
# completion type's text, and the chat_template.default DPO strategy (chosen/rejected).
TARGET_FORMATS = {
    "together": (CHAT, PROMPT_COMPLETION, TEXT, PREFERENCE),
    "trl": (CHAT, PROMPT_COMPLETION, TEXT, CHOSEN_REJECTED),
    "unsloth": (CHAT, PROMPT_COMPLETION, TEXT, CHOSEN_REJECTED),
    "axolotl": (CHAT, PROMPT_COMPLETION, TEXT, CHOSEN_REJECTED),
}
ALL_FORMATS = FORMATS + (CHOSEN_REJECTED, TEXT)


def target_formats(target: str = "openai") -> tuple[str, ...]:
    """The formats `target` trains on (OpenAI's for openai, azure and unknown names)."""
    return TARGET_FORMATS.get(target, FORMATS)


def _open(target: str) -> bool:
    return target in TARGET_FORMATS

_CHAT_TOP_KEYS = frozenset(("messages", "tools", "functions", "parallel_tool_calls"))


class Foreign:
    """Dataset shapes of other tools, recognised so the message can name them."""

    ALPACA = "alpaca"  # instruction / input / output
    SHAREGPT = "sharegpt"  # conversations: [{from, value}]
    TRL_PREFERENCE = "trl-preference"  # prompt / chosen / rejected
    CLASSIFICATION = "classification"  # text / label
    QUESTION_ANSWER = "question-answer"
    INPUT_OUTPUT = "input-output"
    TEXT = "text"  # plain text for pre-training

    NAMES = {
        ALPACA: "Alpaca-style instruction data (instruction/input/output)",
        SHAREGPT: "ShareGPT data (conversations with from/value)",
        TRL_PREFERENCE: "Hugging Face TRL preference data (prompt/chosen/rejected)",
        CLASSIFICATION: "classification data (text/label)",
        QUESTION_ANSWER: "question/answer pairs",
        INPUT_OUTPUT: "input/output pairs",
        TEXT: "plain text (pre-training style, no conversation)",
    }


def line_shape(value: object, target: str = "openai") -> str:
    """The shape of one parsed line: a format, MESSAGES, or a foreign/other shape.
    For open-weight targets TRL's preference data (explicit or implicit prompt) and
    plain text are formats of their own; for OpenAI they are other tools' shapes."""
    if not isinstance(value, dict):
        return NOT_OBJECT
    if "messages" in value:
        return MESSAGES
    if "input" in value and ("preferred_output" in value or "non_preferred_output" in value):
        return PREFERENCE
    if _open(target) and "chosen" in value and "rejected" in value:
        return CHOSEN_REJECTED
    if "prompt" in value and ("chosen" in value or "rejected" in value):
        return CHOSEN_REJECTED if _open(target) else Foreign.TRL_PREFERENCE
    if "prompt" in value or "completion" in value:
        return PROMPT_COMPLETION
    if "preferred_output" in value or "non_preferred_output" in value:
        return PREFERENCE
    if "role" in value and ("content" in value or "tool_calls" in value):
        return MESSAGE
    if "conversations" in value:
        return Foreign.SHAREGPT
    if "instruction" in value:
        return Foreign.ALPACA
    if "question" in value and "answer" in value:
        return Foreign.QUESTION_ANSWER
    if _open(target) and "text" in value:
        return TEXT  # TRL's dataset_text_field, Together's generic text: other columns are not read
    if "text" in value and "label" in value:
        return Foreign.CLASSIFICATION
    if "input" in value and ("output" in value or "response" in value):
        return Foreign.INPUT_OUTPUT
    if "text" in value and len(value) <= 2:
        return Foreign.TEXT
    return UNKNOWN_OBJECT


def looks_like_reinforcement(value: dict) -> bool:
    """A `messages` line that is a reinforcement prompt: it stops before the answer
    (the model is sampled there) and carries grader reference fields or developer
    messages. A chat line with a stray key still ends with the assistant's answer."""
    messages = value.get("messages")
    if not isinstance(messages, list) or not messages:
        return False
    last = messages[-1]
    if isinstance(last, dict) and suggest_role(last.get("role"), ("assistant",)) == "assistant":
        return False
    if any(key not in _CHAT_TOP_KEYS for key in value):
        return True
    return any(isinstance(m, dict) and m.get("role") == "developer" for m in messages)


def shape_format(shape: str, file_format: str, target: str = "openai") -> str | None:
    """The training format a line shape belongs to for `target` (None for shapes that
    are not one of its formats). Open-weight trainers have no reinforcement format: a
    `messages` line is chat."""
    if shape == MESSAGES:
        if _open(target):
            return CHAT
        return file_format if file_format in (CHAT, REINFORCEMENT) else CHAT
    if shape in target_formats(target):
        return shape
    return None


def vote_format(values: Iterable[object], target: str = "openai") -> str:
    """The format most parsed lines are in (UNKNOWN when none is a format of `target`)."""
    votes: Counter[str] = Counter()
    formats = target_formats(target)
    for value in values:
        shape = line_shape(value, target)
        if shape == MESSAGES:
            votes[REINFORCEMENT if not _open(target) and looks_like_reinforcement(value) else CHAT] += 1
        elif shape in formats:
            votes[shape] += 1
    if not votes:
        return UNKNOWN
    others = max(votes[fmt] for fmt in formats if fmt not in (CHAT, REINFORCEMENT))
    if votes[CHAT] + votes[REINFORCEMENT] >= others and (
        votes[CHAT] or votes[REINFORCEMENT]
    ):
        # Reinforcement only when most messages lines carry its markers.
        return REINFORCEMENT if votes[REINFORCEMENT] > votes[CHAT] else CHAT
    return votes.most_common(1)[0][0]


def method_format(method: str | None, detected: str, model_formats: tuple[str, ...] = ()) -> str:
    """The format lines are checked against: the detected one when it fits the
    method, else the method's own (a mismatch is reported once, at file level)."""
    if method is None or method not in METHOD_FORMATS:
        return detected
    allowed = METHOD_FORMATS[method]
    if detected in allowed:
        return detected
    if method == "reinforcement" and detected == CHAT:
        return REINFORCEMENT
    if method == "supervised" and detected == REINFORCEMENT:
        return CHAT
    return detected
