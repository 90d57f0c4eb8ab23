"""Token counts per example, with the model's own tokenizer.

The formula (docs/tokens.md) follows OpenAI's chat format as the cookbook
counts it: every message costs 3 tokens plus its role, content and name
(+1 for a name); each tool call its function name and arguments plus 3; the
example 3 more for the reply priming; `tools`/`functions` definitions their
compact JSON. Trained tokens are those of assistant messages with weight 1
(the default). Images are estimated (85 tokens at low detail).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson

from finetune_ls.core.encodings import get_encoding
from finetune_ls.core.images import image_tokens, inspect_url
from finetune_ls.core.shapes import PREFERENCE, PROMPT_COMPLETION, REINFORCEMENT

MESSAGE_OVERHEAD = 3
EXAMPLE_OVERHEAD = 3
TOOL_CALL_OVERHEAD = 3
_CACHE_LIMIT = 4096
LONG_TEXT = 1_000_000  # characters; longer texts are counted in pieces
LONG_TEXT_PIECE = 100_000  # distinct repeated texts (system prompts, tools) kept per process


@dataclass(slots=True)
class ExampleTokens:
    total: int = 0
    trained: int = 0
    images: int = 0
    estimated: bool = False
    # (path of the message, its tokens) in order; filled when asked for
    messages: list[tuple[tuple, int]] = field(default_factory=list)
    error: str | None = None  # open-weight targets: the example was refused (the message)
    refused_by_template: bool = True  # False: by the trainer's preparation or its tokenizer, not the template


def role_is_trained(message: object) -> bool:
    """Assistant messages are trained on unless they carry weight 0."""
    return message.__class__ is dict and message.get("role") == "assistant" and message.get("weight", 1) != 0


class TokenCounter:
    """Counts tokens with one encoding. Repeated texts (system prompts, tools
    definitions) are counted once per process."""

    def __init__(self, encoding_name: str):
        self.encoding_name = encoding_name
        self._encode = get_encoding(encoding_name).encode_ordinary
        self._repeated: dict[str, int] = {}
        self._roles = {role: len(self._encode(role)) for role in
                       ("system", "developer", "user", "assistant", "tool", "function")}

    def text(self, text: str) -> int:
        # encode_ordinary: `encode` refuses texts containing "<|endoftext|>" and is slower.
        if len(text) > LONG_TEXT:
            return self._long_text(text)
        try:
            return len(self._encode(text))
        except UnicodeEncodeError:  # lone surrogates from a \ud800 escape
            return len(self._encode(text.encode("utf-8", "replace").decode("utf-8")))

    def _long_text(self, text: str) -> int:
        """BPE time grows faster than the length on long runs without spaces (a 1 MB
        word takes 0.4 s, 50 MB minutes). A text this long is far over every training
        context anyway, so it is counted in pieces, each cut after a space where there
        is one: exact but for a few tokens at the cuts."""
        total = 0
        start = 0
        while start < len(text):
            end = min(len(text), start + LONG_TEXT_PIECE)
            if end < len(text):
                space = text.rfind(" ", start + LONG_TEXT_PIECE // 2, end)
                end = space + 1 if space > 0 else end
            total += self.text(text[start:end])
            start = end
        return total

    def repeated(self, text: str) -> int:
        if len(text) > LONG_TEXT:
            return self._long_text(text)
        count = self._repeated.get(text)
        if count is None:
            count = self.text(text)
            if len(self._repeated) >= _CACHE_LIMIT:
                self._repeated.clear()
            self._repeated[text] = count
        return count

    def role(self, role: object) -> int:
        if isinstance(role, str):
            count = self._roles.get(role)
            return count if count is not None else self.text(role)
        return 0

    def json(self, value: object) -> int:
        try:
            return self.repeated(orjson.dumps(value).decode())
        except TypeError:
            return 0

    # ------------------------------------------------------------------ parts
    def content(self, content: object, tokens: ExampleTokens, repeated: bool = False) -> int:
        if isinstance(content, str):
            return self.repeated(content) if repeated else self.text(content)
        if not isinstance(content, list):
            return 0
        total = 0
        for part in content:
            if not isinstance(part, dict):
                continue
            kind = part.get("type")
            if kind == "text" and isinstance(part.get("text"), str):
                total += self.text(part["text"])
            elif kind == "refusal" and isinstance(part.get("refusal"), str):
                total += self.text(part["refusal"])
            elif kind == "image_url":
                total += self._image(part.get("image_url"), tokens)
        return total

    def _image(self, image: object, tokens: ExampleTokens) -> int:
        tokens.images += 1
        if not isinstance(image, dict):
            tokens.estimated = True
            return image_tokens(None, None, None)
        detail = image.get("detail")
        if detail != "low":
            tokens.estimated = True
        width = height = None
        url = image.get("url")
        if detail != "low" and isinstance(url, str) and url[:5].lower() == "data:":
            facts = inspect_url(url)
            width, height = facts.width, facts.height
        return image_tokens(detail, width, height)

    def _call(self, call: object) -> int:
        if not isinstance(call, dict):
            return 0
        function = call.get("function", call)
        if not isinstance(function, dict):
            return 0
        total = TOOL_CALL_OVERHEAD
        if isinstance(function.get("name"), str):
            total += self.text(function["name"])
        arguments = function.get("arguments")
        total += self.text(arguments) if isinstance(arguments, str) else self.json(arguments)
        return total

    def message(self, message: object, tokens: ExampleTokens) -> int:
        if not isinstance(message, dict):
            return 0
        role = message.get("role")
        total = MESSAGE_OVERHEAD + self.role(role)
        total += self.content(message.get("content"), tokens, repeated=role in ("system", "developer"))
        name = message.get("name")
        if isinstance(name, str):
            total += self.text(name) + 1
        calls = message.get("tool_calls")
        if isinstance(calls, list):
            for call in calls:
                total += self._call(call)
        if "function_call" in message:
            total += self._call(message["function_call"])
        return total

    # --------------------------------------------------------------- examples
    def count(self, example: dict, fmt: str, detail: bool = False) -> ExampleTokens:
        """The tokens of an example of the file's format (open-weight targets: template_tokens.py)."""
        if fmt == PREFERENCE:
            return self.preference(example, detail)
        if fmt == REINFORCEMENT:
            return self.reinforcement(example, detail)
        if fmt == PROMPT_COMPLETION:
            return self.prompt_completion(example, detail)
        return self.chat(example, detail)

    def plain(self, messages: list, trained_roles: tuple[str, ...] = ("assistant",)) -> tuple[int, int]:
        """(total, trained) of a plain conversation: only {"role", "content": str} messages
        with known roles (checks.plain_conversation). The same formula as `chat`, without
        the general cases, because it runs for most lines of most files."""
        encode, roles, repeated = self._encode, self._roles, self.repeated
        total = EXAMPLE_OVERHEAD
        trained = 0
        for message in messages:
            role, content = message["role"], message["content"]
            if role in ("system", "developer"):
                count = MESSAGE_OVERHEAD + roles[role] + repeated(content)
            elif len(content) > LONG_TEXT:
                count = MESSAGE_OVERHEAD + roles[role] + self._long_text(content)
            else:
                count = MESSAGE_OVERHEAD + roles[role] + len(encode(content))
            total += count
            if role in trained_roles:
                trained += count
        return total, trained

    def _messages(self, messages: object, tokens: ExampleTokens, path: tuple, detail: bool,
                  trained: bool = True) -> None:
        if not isinstance(messages, list):
            return
        encode, roles = self._encode, self._roles
        for index, message in enumerate(messages):
            # The common message, {"role", "content": str}, is counted inline: this loop
            # runs for every message of every example.
            if message.__class__ is dict and len(message) == 2:
                role, content = message.get("role"), message.get("content")
                if content.__class__ is str and role.__class__ is str and role in roles and len(content) <= LONG_TEXT:
                    try:
                        count = MESSAGE_OVERHEAD + roles[role] + (
                            self.repeated(content) if role in ("system", "developer") else len(encode(content)))
                    except UnicodeEncodeError:
                        count = self.message(message, tokens)
                else:
                    count = self.message(message, tokens)
            else:
                count = self.message(message, tokens)
            tokens.total += count
            if trained and role_is_trained(message):
                tokens.trained += count
            if detail:
                tokens.messages.append((path + (index,), count))

    def _definitions(self, example: dict, tokens: ExampleTokens) -> None:
        for key in ("tools", "functions"):
            if example.get(key):
                tokens.total += self.json(example[key])
                tokens.estimated = True

    def chat(self, example: dict, detail: bool = False) -> ExampleTokens:
        tokens = ExampleTokens(EXAMPLE_OVERHEAD)
        self._definitions(example, tokens)
        self._messages(example.get("messages"), tokens, ("messages",), detail)
        return tokens

    def reinforcement(self, example: dict, detail: bool = False) -> ExampleTokens:
        tokens = ExampleTokens(EXAMPLE_OVERHEAD)
        self._definitions(example, tokens)
        self._messages(example.get("messages"), tokens, ("messages",), detail, trained=False)
        return tokens

    def preference(self, example: dict, detail: bool = False) -> ExampleTokens:
        tokens = ExampleTokens(EXAMPLE_OVERHEAD)
        source = example.get("input")
        if isinstance(source, dict):
            self._definitions(source, tokens)
            self._messages(source.get("messages"), tokens, ("input", "messages"), detail, trained=False)
        for key in ("preferred_output", "non_preferred_output"):
            before = tokens.total
            self._messages(example.get(key), tokens, (key,), detail, trained=False)
            tokens.trained += tokens.total - before
        return tokens

    def prompt_completion(self, example: dict, detail: bool = False) -> ExampleTokens:
        tokens = ExampleTokens()
        for key in ("prompt", "completion"):
            value = example.get(key)
            count = self.text(value) if isinstance(value, str) else 0
            tokens.total += count
            if key == "completion":
                tokens.trained = count
            if detail:
                tokens.messages.append(((key,), count))
        return tokens
