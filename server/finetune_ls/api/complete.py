"""Trying a fine-tuned model on an example: the conversation up to its last assistant turn
goes to the model (chat completions; legacy completions for prompt/completion data), and
its answer comes back beside the expected one, with what the call cost where the catalog
has the model's price."""

from __future__ import annotations

import json
from dataclasses import dataclass

import openai

from finetune_ls.api.answers import MalformedAnswer, first_choice
from finetune_ls.core.catalog import ModelCatalog, base_model

PROMPT_COMPLETION_MAX_TOKENS = 256  # the legacy endpoint's default is 16 tokens


@dataclass
class Trial:
    model: str
    expected: str | None
    answer: str | None
    prompt_tokens: int | None
    completion_tokens: int | None
    # The tool calls of a message that calls tools (as JSON values); None when it calls none.
    expected_tool_calls: list | None = None
    answer_tool_calls: list | None = None


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


def _expected_tool_calls(example: dict) -> list | None:
    """The tool calls of the last assistant message of a chat example, if it makes any."""
    messages = example.get("messages")
    assistants = [m for m in messages if isinstance(m, dict) and m.get("role") == "assistant"] \
        if isinstance(messages, list) else []
    calls = assistants[-1].get("tool_calls") if assistants else None
    return calls if isinstance(calls, list) and calls else None


def _clean(message: dict) -> dict:
    """A training message as a request message: `weight` is for training only."""
    return {key: value for key, value in message.items() if key != "weight"}


def try_model(client: openai.OpenAI, model: str, example: dict, max_tokens: int | None = None) -> Trial:
    sent, expected = split_example(example)
    if isinstance(sent, str):
        what = "the completion"
        done, choice = first_choice(lambda: client.completions.create(
            model=model, prompt=sent, max_tokens=max_tokens or PROMPT_COMPLETION_MAX_TOKENS), what)
        answer, answer_calls = getattr(choice, "text", None), None
        if not isinstance(answer, str):
            raise MalformedAnswer(what, "has a choice without text")
    else:
        what = "the chat completion"
        extra = {"tools": example["tools"]} if isinstance(example.get("tools"), list) else {}
        done, choice = first_choice(lambda: client.chat.completions.create(
            model=model, messages=sent, **extra, **({"max_completion_tokens": max_tokens} if max_tokens else {})), what)
        message = getattr(choice, "message", None)
        answer, answer_calls = _content(message, what), _tool_calls(message)
    usage = getattr(done, "usage", None)
    return Trial(model, expected, answer, _count(usage, "prompt_tokens"), _count(usage, "completion_tokens"),
                 _expected_tool_calls(example), answer_calls)


def _content(message: object, what: str) -> str | None:
    """The message's text; None for one that only calls tools or refuses, which has none."""
    content = getattr(message, "content", None)
    if isinstance(content, str):
        return content
    if getattr(message, "tool_calls", None) or isinstance(getattr(message, "refusal", None), str):
        return None
    raise MalformedAnswer(what, "has a message without content")


def _tool_calls(message: object) -> list | None:
    """The answer's tool calls as JSON values (the SDK gives objects)."""
    calls = getattr(message, "tool_calls", None)
    if not calls:
        return None
    return [call.model_dump(mode="json", exclude_none=True) if hasattr(call, "model_dump") else call
            for call in calls]


def shown(text: str | None, tool_calls: list | None) -> str:
    """One side of a trial as a person reads it: the text, then the tool calls as indented
    JSON (a message that only calls tools has no text, but is not empty)."""
    parts = [text] if text else []
    if tool_calls:
        parts.append(json.dumps(tool_calls, indent=2, ensure_ascii=False))
    return "\n\n".join(parts) if parts else "(nothing)"


def call_cost(catalog: ModelCatalog, model: str, trial: Trial, priced: bool = True) -> tuple[float | None, str | None]:
    """(what the call cost in USD, None) from the catalog's inference prices of the model (a
    fine-tuned model is priced as its base), or (None, why it is not known). `priced` is
    False where the catalog's prices do not apply (an OpenAI-compatible service's own)."""
    if not priced:
        return None, "The cost is not known: an OpenAI-compatible service sets its own prices."
    if trial.prompt_tokens is None or trial.completion_tokens is None:
        return None, "The cost is not known: the answer did not say how many tokens it used."
    if base_model(model) == model:  # the catalog's inference prices are fine-tuned models' prices
        return None, (f"The cost is not known: {model} is not a fine-tuned model, and the catalog holds the "
                      "prices of fine-tuned models only.")
    info = catalog.resolve(model)
    if info is None:
        return None, f"The cost is not known: {base_model(model)} is not in the {catalog.provider_name} catalog."
    prices = info.inference_price_per_1m or {}
    if not isinstance(prices.get("input"), (int, float)) or not isinstance(prices.get("output"), (int, float)):
        return None, f"The cost is not known: the {catalog.provider_name} catalog has no inference price for {info.id}."
    cost = (trial.prompt_tokens * prices["input"] + trial.completion_tokens * prices["output"]) / 1_000_000
    return round(cost, 10), None  # to 1e-10 USD: finer than any price, without the float's noise


def _count(usage: object, name: str) -> int | None:
    value = getattr(usage, name, None)
    return value if isinstance(value, int) and not isinstance(value, bool) else None
