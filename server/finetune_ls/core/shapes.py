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

METHOD_FORMATS = {"supervised": (CHAT, PROMPT_COMPLETION), "dpo": (PREFERENCE,), "reinforcement": (REINFORCEMENT,)}
FORMAT_METHOD = {CHAT: "supervised", PROMPT_COMPLETION: "supervised", PREFERENCE: "dpo", REINFORCEMENT: "reinforcement"}

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


def line_shape(value: object) -> str:
    """The shape of one parsed line: a format, MESSAGES, or a foreign/other shape."""
    if not isinstance(value, dict):
        return NOT_OBJECT
    if "messages" in value:
        return MESSAGES
    if "input" in value and ("preferred_output" in value or "non_preferred_output" in value):
        return PREFERENCE
    if "prompt" in value and ("chosen" in value or "rejected" in value):
        return Foreign.TRL_PREFERENCE
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


def shape_format(shape: str, file_format: str) -> str | None:
    """The training format a line shape belongs to (None for non-format shapes)."""
    if shape == MESSAGES:
        return file_format if file_format in (CHAT, REINFORCEMENT) else CHAT
    if shape in FORMATS:
        return shape
    return None


def vote_format(values: Iterable[object]) -> str:
    """The format most parsed lines are in (UNKNOWN when none is a format)."""
    votes: Counter[str] = Counter()
    for value in values:
        shape = line_shape(value)
        if shape == MESSAGES:
            votes[REINFORCEMENT if looks_like_reinforcement(value) else CHAT] += 1
        elif shape in FORMATS:
            votes[shape] += 1
    if not votes:
        return UNKNOWN
    if votes[CHAT] + votes[REINFORCEMENT] >= max(votes[PREFERENCE], votes[PROMPT_COMPLETION]) and (
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
