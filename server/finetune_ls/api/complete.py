"""Trying a fine-tuned model on an example: the conversation up to its last assistant turn
goes to the model (chat completions; legacy completions for prompt/completion data), and
its answer comes back beside the expected one."""

from __future__ import annotations

from dataclasses import dataclass

import openai

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
        done = client.completions.create(model=model, prompt=sent,
                                         max_tokens=max_tokens or PROMPT_COMPLETION_MAX_TOKENS)
        answer = done.choices[0].text if done.choices else None
    else:
        extra = {"tools": example["tools"]} if isinstance(example.get("tools"), list) else {}
        done = client.chat.completions.create(model=model, messages=sent, **extra,
                                              **({"max_completion_tokens": max_tokens} if max_tokens else {}))
        answer = done.choices[0].message.content if done.choices else None
    usage = done.usage
    return Trial(model, expected, answer, usage.prompt_tokens if usage else None,
                 usage.completion_tokens if usage else None)
