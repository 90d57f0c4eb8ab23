"""Turn other dataset shapes into OpenAI's training formats, one example at a time.

Used by the quick fixes on foreign lines, and by data preparation commands.
Each function returns None when the example cannot be converted faithfully.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from finetune_ls.core.depth import write_json
from finetune_ls.core.roles import CHAT_ROLES, suggest_role
from finetune_ls.core.shapes import PROMPT_COMPLETION, Foreign

# Separators and endings OpenAI's legacy prepare_data tool appended.
LEGACY_PROMPT_SEPARATORS = (
    "\n\n### =>\n\n", "\n\n###\n\n", "\n\n===>\n\n", "\n\n--->\n\n", "\n\n===\n\n", "\n\n---\n\n", " ->", "->",
)
LEGACY_COMPLETION_ENDINGS = (" [END]", " END", "END", "***", "+++", "&&&", "$$$", "@@@", "%%%", "\n")


def compact_json(value: object, allow_nan: bool = True) -> str:
    """One JSONL line. Non-ASCII is kept readable, but U+2028/U+2029/U+0085 are
    escaped: tools that split lines with str.splitlines would break on them."""
    text = write_json(value, allow_nan=allow_nan)  # of any depth check accepts
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").replace("\u0085", "\\u0085")


def _text(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def _chat(*turns: tuple[str, str | None]) -> dict | None:
    messages = []
    for role, content in turns:
        if content is None:
            return None
        messages.append({"role": role, "content": content})
    return {"messages": messages}


@dataclass(frozen=True)
class LegacyMarkers:
    """The separators and endings that may be stripped from prompts and completions."""

    separators: tuple[str, ...] = LEGACY_PROMPT_SEPARATORS
    endings: tuple[str, ...] = LEGACY_COMPLETION_ENDINGS


def _shared_suffix(texts: list[str], candidates: tuple[str, ...]) -> tuple[str, ...]:
    """The first candidate every text ends with (and is longer than), as a 1-tuple; else ()."""
    for candidate in candidates:
        if texts and all(len(text) > len(candidate) and text.endswith(candidate) for text in texts):
            return (candidate,)
    return ()


def shared_legacy_markers(values: Iterable[object]) -> LegacyMarkers:
    """The markers of a whole file: prepare_data appended one fixed separator to every prompt
    and one fixed ending to every completion, so only a suffix that all of them share is
    one of its markers. A lone prompt that happens to end with "->" keeps it."""
    prompts, completions = [], []
    for value in values:
        if isinstance(value, dict):
            prompt, completion = _text(value.get("prompt")), _text(value.get("completion"))
            if prompt:
                prompts.append(prompt)
            if completion and completion.strip():
                completions.append(completion)
    return LegacyMarkers(_shared_suffix(prompts, LEGACY_PROMPT_SEPARATORS),
                         _shared_suffix(completions, LEGACY_COMPLETION_ENDINGS))


def strip_legacy_prompt(prompt: str, separators: tuple[str, ...] = LEGACY_PROMPT_SEPARATORS) -> str:
    for separator in separators:
        if prompt.endswith(separator):
            return prompt[: -len(separator)].rstrip()
    return prompt


def strip_legacy_completion(completion: str, endings: tuple[str, ...] = LEGACY_COMPLETION_ENDINGS) -> str:
    text = completion
    for ending in endings:
        if text.endswith(ending) and len(text) > len(ending):
            text = text[: -len(ending)]
            break
    return text.strip()


def prompt_completion_to_chat(value: dict, system: str | None = None,
                              markers: LegacyMarkers = LegacyMarkers()) -> dict | None:
    prompt, completion = _text(value.get("prompt")), _text(value.get("completion"))
    if prompt is None or completion is None:
        return None
    turns = [("system", system)] if system else []
    prompt = strip_legacy_prompt(prompt, markers.separators)
    if prompt:
        turns.append(("user", prompt))
    turns.append(("assistant", strip_legacy_completion(completion, markers.endings)))
    return _chat(*turns)


def alpaca_to_chat(value: dict) -> dict | None:
    instruction = _text(value.get("instruction"))
    extra = _text(value.get("input")) or ""
    answer = _text(value.get("output", value.get("response")))
    if instruction is None:
        return None
    user = f"{instruction}\n\n{extra}" if extra.strip() else instruction
    turns = [("system", _text(value["system"]))] if _text(value.get("system")) else []
    return _chat(*turns, ("user", user), ("assistant", answer))


def sharegpt_to_chat(value: dict, roles: Mapping[str, str] | None = None) -> dict | None:
    """`roles` renames speakers first (e.g. {"narrator": "system"}); the usual aliases
    (human, gpt, ...) are understood without it."""
    conversation = value.get("conversations")
    if not isinstance(conversation, list) or not conversation:
        return None
    messages = []
    for turn in conversation:
        if not isinstance(turn, dict):
            return None
        speaker = turn.get("from", turn.get("role"))
        if roles and isinstance(speaker, str):
            speaker = roles.get(speaker, speaker)
        role = suggest_role(speaker, CHAT_ROLES)
        content = _text(turn.get("value", turn.get("content")))
        if role is None or content is None:
            return None
        messages.append({"role": role, "content": content})
    if isinstance(value.get("system"), str) and value["system"]:
        messages.insert(0, {"role": "system", "content": value["system"]})
    return {"messages": messages}


def _trl_side(side: object) -> list | None:
    if isinstance(side, str):
        return [{"role": "assistant", "content": side}]
    if isinstance(side, list) and side and isinstance(side[-1], dict):
        content = _text(side[-1].get("content"))
        return None if content is None else [{"role": "assistant", "content": content}]
    return None


def trl_to_preference(value: dict) -> dict | None:
    prompt = value.get("prompt")
    if isinstance(prompt, str):
        messages = [{"role": "user", "content": prompt}]
    elif isinstance(prompt, list) and all(isinstance(m, dict) for m in prompt):
        messages = [{"role": suggest_role(m.get("role"), CHAT_ROLES) or "user", "content": m.get("content")} for m in prompt]
    else:
        return None
    preferred, rejected = _trl_side(value.get("chosen")), _trl_side(value.get("rejected"))
    if preferred is None or rejected is None:
        return None
    return {"input": {"messages": messages}, "preferred_output": preferred, "non_preferred_output": rejected}


def classification_to_chat(value: dict) -> dict | None:
    return _chat(("user", _text(value.get("text"))), ("assistant", _text(value.get("label"))))


def question_answer_to_chat(value: dict) -> dict | None:
    return _chat(("user", _text(value.get("question"))), ("assistant", _text(value.get("answer"))))


def input_output_to_chat(value: dict) -> dict | None:
    return _chat(("user", _text(value.get("input"))), ("assistant", _text(value.get("output", value.get("response")))))


def chat_to_prompt_completion(value: dict) -> dict | None:
    """A one-turn chat example (one user message, one assistant answer, both text) as the
    legacy prompt/completion pair; None for anything that pair cannot hold."""
    messages = value.get("messages")
    if set(value) != {"messages"} or not isinstance(messages, list) or len(messages) != 2:
        return None
    question, answer = messages
    if not all(isinstance(m, dict) and set(m) == {"role", "content"} for m in messages):
        return None
    if question["role"] != "user" or answer["role"] != "assistant":
        return None
    prompt, completion = _text(question["content"]), _text(answer["content"])
    if prompt is None or completion is None:
        return None
    return {"prompt": prompt, "completion": completion}


CONVERTERS = {
    Foreign.ALPACA: ("chat", alpaca_to_chat),
    Foreign.SHAREGPT: ("chat", sharegpt_to_chat),
    Foreign.TRL_PREFERENCE: ("preference", trl_to_preference),
    Foreign.CLASSIFICATION: ("chat", classification_to_chat),
    Foreign.QUESTION_ANSWER: ("chat", question_answer_to_chat),
    Foreign.INPUT_OUTPUT: ("chat", input_output_to_chat),
    PROMPT_COMPLETION: ("chat", prompt_completion_to_chat),
}


def convert(shape: str, value: dict) -> tuple[str, dict] | None:
    """(target format, converted example) for a known foreign shape, or None."""
    entry = CONVERTERS.get(shape)
    if entry is None:
        return None
    target, function = entry
    converted = function(value)
    return (target, converted) if converted is not None else None
