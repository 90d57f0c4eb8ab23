"""Trying a fine-tuned model on an example: the conversation up to its last assistant turn
goes to the model (chat completions; legacy completions for prompt/completion data), and
its answer comes back beside the expected one."""

from __future__ import annotations

from dataclasses import dataclass

import openai

from finetune_ls.api.answers import MalformedAnswer, first_choice

PROMPT_COMPLETION_MAX_TOKENS = 256  # the legacy endpoint's default is 16 tokens


@dataclass
class Trial:
    model: str
    expected: str | None
    answer: str | None
    prompt_tokens: int | None
    completion_tokens: int | None


def split_example(example: dict) -> tuple[list[dict], str | None] | tuple[str, str | None]:
    """(what to send, the expected answer): the messages before the last assistant message
    and its content, or a prompt and its completion."""
    if isinstance(example.get("messages"), list):
        messages = [m for m in example["messages"] if isinstance(m, dict)]
        last = max((i for i, m in enumerate(messages) if m.get("role") == "assistant"), default=None)
        if last is None:
            return [_clean(m) for m in messages], None
        expected = messages[last].get("content")
        return [_clean(m) for m in messages[:last]], expected if isinstance(expected, str) else None
    if isinstance(example.get("prompt"), str):
        completion = example.get("completion")
        return example["prompt"], completion if isinstance(completion, str) else None
    raise ValueError("the line is neither a chat example (messages) nor a prompt/completion one")


def _clean(message: dict) -> dict:
    """A training message as a request message: `weight` is for training only."""
    return {key: value for key, value in message.items() if key != "weight"}


def try_model(client: openai.OpenAI, model: str, example: dict, max_tokens: int | None = None) -> Trial:
    sent, expected = split_example(example)
    if isinstance(sent, str):
        what = "the completion"
        done, choice = first_choice(lambda: client.completions.create(
            model=model, prompt=sent, max_tokens=max_tokens or PROMPT_COMPLETION_MAX_TOKENS), what)
        answer = getattr(choice, "text", None)
        if not isinstance(answer, str):
            raise MalformedAnswer(what, "has a choice without text")
    else:
        what = "the chat completion"
        extra = {"tools": example["tools"]} if isinstance(example.get("tools"), list) else {}
        done, choice = first_choice(lambda: client.chat.completions.create(
            model=model, messages=sent, **extra, **({"max_completion_tokens": max_tokens} if max_tokens else {})), what)
        answer = _content(getattr(choice, "message", None), what)
    usage = getattr(done, "usage", None)
    return Trial(model, expected, answer, _count(usage, "prompt_tokens"), _count(usage, "completion_tokens"))


def _content(message: object, what: str) -> str | None:
    """The message's text; None for one that only calls tools or refuses, which has none."""
    content = getattr(message, "content", None)
    if isinstance(content, str):
        return content
    if getattr(message, "tool_calls", None) or isinstance(getattr(message, "refusal", None), str):
        return None
    raise MalformedAnswer(what, "has a message without content")


def _count(usage: object, name: str) -> int | None:
    value = getattr(usage, name, None)
    return value if isinstance(value, int) and not isinstance(value, bool) else None
