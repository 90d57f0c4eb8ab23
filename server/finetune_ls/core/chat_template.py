"""A model's chat template, rendered as transformers' `apply_chat_template` renders it.

What transformers does (transformers/utils/chat_template_utils.py, `_cached_compile_jinja_template`
and `render_jinja_template`; tokenization_utils_base.py, `apply_chat_template`), and so what this does:
- a jinja2 `ImmutableSandboxedEnvironment` with trim_blocks, lstrip_blocks and the loopcontrols
  extension (`{% break %}`, `{% continue %}`);
- a `tojson` filter that does not escape HTML and keeps non-ASCII (json.dumps, ensure_ascii=False);
- globals `raise_exception(message)` (a TemplateError with the template's message), `strftime_now`,
  `dict` and `namespace`;
- a `{% generation %}...{% endgeneration %}` block: its rendered text is output unchanged, and where
  it starts and ends in the rendering is recorded (the assistant mask of assistant-only loss);
- (ours, not transformers') with `boundaries`, where the text rendered so far ends when a loop of the
  template reaches each message: the last such position of message i is where the template starts
  writing it (templates loop over `messages` or a slice of it, maybe more than once: Qwen3 reads it
  backwards first, gpt-oss looks ahead), which gives every message's start from one rendering;
- the variables: the tokenizer's named special tokens (bos_token, eos_token, unk_token, sep_token,
  pad_token, cls_token, mask_token: those set), then `messages`, `tools`, `documents`,
  `add_generation_prompt` and any extra keyword;
- messages lose their keys whose value is None (`_normalize_chat_messages`), and a reasoning given
  as `thinking` or `reasoning` is also passed as `reasoning_content` (`_alias_reasoning_fields`).

A template is compiled once per process (the cache is keyed by its text). Rendering raises
`TemplateRefused` with the template's own message, whatever went wrong inside it.
"""

from __future__ import annotations

import json
import re
import threading
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

import jinja2
import jinja2.ext
import jinja2.nodes
from jinja2.runtime import LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment

SPECIAL_TOKEN_NAMES = ("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token")
_REASONING_FIELDS = ("reasoning_content", "thinking", "reasoning")
_GENERATION_TAG = re.compile(r"\{%-?\s*generation\s*-?%\}")


class TemplateRefused(Exception):
    """The template raised while rendering an example; str() is its message."""


class RowRefused(TemplateRefused):
    """The trainer's own preparation refuses the example before or after the template: a row of
    mixed shapes, tools that are a string but not JSON, a text the tokenizer cannot encode."""


@dataclass(frozen=True)
class Rendering:
    text: str
    generation: tuple[tuple[int, int], ...] = ()  # character spans of {% generation %} blocks
    starts: tuple[int | None, ...] = ()  # with `boundaries`: where a loop last reached each message


# Where the text rendered so far ends, while a rendering is tracked: the generation block's
# callback runs before the block that holds it is yielded, so the length of what was yielded
# before is where the block starts (as transformers counts it).
_tracking: ContextVar[list | None] = ContextVar("finetune_ls_generation_tracking", default=None)


class _GenerationBlocks(jinja2.ext.Extension):
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_record", []), [], [], body).set_lineno(lineno)

    def _record(self, caller) -> str:
        text = caller()
        tracking = _tracking.get()
        if tracking is not None:
            yielded, spans = tracking
            start = yielded[0]
            spans.append((start, start + len(text)))
        return text


# While a rendering records message boundaries: (yielded, {id(message): index}, positions).
_boundaries: ContextVar[tuple | None] = ContextVar("finetune_ls_message_boundaries", default=None)


def _reached(item) -> None:
    recording = _boundaries.get()
    if recording is not None:
        yielded, indexes, positions = recording
        index = indexes.get(id(item))
        if index is not None:
            positions[index] = yielded[0]


class _RecordingLoop(LoopContext):
    """A `{% for %}` that uses `loop`: the item is recorded when its iteration starts (not when
    `loop.last` peeks at it during the previous one)."""

    def __next__(self):
        item, loop = super().__next__()
        _reached(item)
        return item, loop


class _RecordingMessages(list):
    """`messages` while boundaries are recorded: a plain `{% for %}` over it, or over a slice of it
    (Llama 3.1 and gemma3 loop over messages[1:]), records each message as it is fetched."""

    def __iter__(self):
        for item in list.__iter__(self):
            _reached(item)
            yield item

    def __getitem__(self, key):
        value = list.__getitem__(self, key)
        return _RecordingMessages(value) if isinstance(key, slice) else value


def _raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def _tojson(value, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def _strftime_now(format):
    return datetime.now().strftime(format)


class _Dict:
    """`dict(...)` in a template, without the class itself (no attribute access to it)."""

    def __call__(self, *args, **kwargs):
        return dict(*args, **kwargs)

    def fromkeys(self, *args, **kwargs):
        return dict.fromkeys(*args, **kwargs)


class _Namespace(jinja2.utils.Namespace):
    """A namespace that refuses underscore names, as transformers' does."""

    def __init__(*args, **kwargs):
        self, args = args[0], args[1:]
        attrs = dict(*args, **kwargs)
        for name in attrs:
            _Namespace._check(name)
        jinja2.utils.Namespace.__init__(self, attrs)

    def __setitem__(self, name, value):
        _Namespace._check(name)
        jinja2.utils.Namespace.__setitem__(self, name, value)

    @staticmethod
    def _check(name):
        if isinstance(name, str) and name.startswith("_"):
            raise jinja2.exceptions.SecurityError(
                f"Chat templates cannot store underscore-prefixed attributes on a namespace, but got {name!r}.")


_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Sandbox(ImmutableSandboxedEnvironment):
    """jinja2's immutable sandbox, with the same answers found faster: it runs for every attribute
    a template reads (message.role, content.startswith) of every example.
    - `message.role` on a dict: jinja prefers an attribute, then the item; a key that is no dict
      attribute is the item either way, and an item is never checked by the sandbox.
    - whether an attribute is safe depends on the object's type and the name only (jinja2 3.1's
      is_internal_attribute and modifies_known_mutable test isinstance and the name, never the
      value), so it is remembered per (type, name): strings' methods, loop.last, ns.flag."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._safe: dict[tuple, bool] = {}

    def getattr(self, obj, attribute):
        if obj.__class__ is dict and attribute.__class__ is str and attribute not in _DICT_ATTRIBUTES:
            value = obj.get(attribute, _MISSING)
            if value is not _MISSING:
                return value
        return super().getattr(obj, attribute)

    def is_safe_attribute(self, obj, attr, value):
        kind = obj.__class__
        if attr.__class__ is not str:
            return super().is_safe_attribute(obj, attr, value)
        safe = self._safe.get((kind, attr))
        if safe is None:
            safe = self._safe[(kind, attr)] = super().is_safe_attribute(obj, attr, value)
        return safe


_MISSING = object()


def _environment() -> ImmutableSandboxedEnvironment:
    env = _Sandbox(trim_blocks=True, lstrip_blocks=True, extensions=[_GenerationBlocks, jinja2.ext.loopcontrols])
    env.filters["tojson"] = _tojson
    env.globals["raise_exception"] = _raise_exception
    env.globals["strftime_now"] = _strftime_now
    env.globals["dict"] = _Dict()
    env.globals["namespace"] = _Namespace
    return env


class ChatTemplate:
    """One compiled template with the tokenizer's special tokens bound."""

    def __init__(self, source: str, special_tokens: dict[str, str]):
        self.source = source
        self.has_generation = bool(_GENERATION_TAG.search(source))
        self._variables = {name: value for name, value in special_tokens.items() if value is not None}
        self._template = _environment().from_string(source)  # TemplateSyntaxError: the caller's to report
        # The compiled template's module names jinja's LoopContext; ours records boundaries too (it
        # does nothing while no rendering records them).
        self._template.root_render_func.__globals__["LoopContext"] = _RecordingLoop

    def render(self, messages: list, tools: object = None, add_generation_prompt: bool = False,
               track: bool = False, boundaries: bool = False, **kwargs) -> Rendering:
        """The text (with `track`, the generation spans; with `boundaries`, the messages' starts).
        Raises TemplateRefused."""
        messages = normalized_messages(messages)
        tools = _tool_schemas(tools)
        variables = {**self._variables, **kwargs}
        try:
            if not (track or boundaries):
                return Rendering(self._template.render(messages=messages, tools=tools, documents=None,
                                                       add_generation_prompt=add_generation_prompt, **variables))
            yielded, spans, positions = [0], [], [None] * len(messages)
            tracking = _tracking.set((yielded, spans) if track else None)
            recording = _boundaries.set((yielded, {id(m): i for i, m in enumerate(messages)}, positions)
                                        if boundaries else None)
            if boundaries:
                messages = _RecordingMessages(messages)
            try:
                pieces = []
                for piece in self._template.generate(messages=messages, tools=tools, documents=None,
                                                     add_generation_prompt=add_generation_prompt, **variables):
                    pieces.append(piece)
                    yielded[0] += len(piece)
            finally:
                _tracking.reset(tracking)
                _boundaries.reset(recording)
            return Rendering("".join(pieces), tuple(spans), tuple(positions))
        except TemplateRefused:
            raise
        except RecursionError:
            raise TemplateRefused("the template recursed too deeply on this example") from None
        except Exception as error:  # noqa: BLE001 - whatever the template raises is the example's finding
            raise TemplateRefused(_message(error)) from None


def _message(error: Exception) -> str:
    text = str(error) or type(error).__name__
    if isinstance(error, jinja2.exceptions.TemplateError):
        return text
    return f"{type(error).__name__}: {text}"


def normalized_messages(messages: list) -> list:
    """As transformers passes them: keys with None values dropped, reasoning aliased. A message
    that is not an object is refused with transformers' message."""
    out = []
    for message in messages:
        if not isinstance(message, dict):
            raise TemplateRefused(f"Chat messages should be dicts, dataclasses or pydantic models, but got {message!r}.")
        if any(value is None for value in message.values()):
            message = {key: value for key, value in message.items() if value is not None}
        reasoning = next((message[key] for key in _REASONING_FIELDS if message.get(key) is not None), None)
        if reasoning is not None:
            message = {"thinking": reasoning, **message, "reasoning_content": reasoning}
        out.append(message)
    return out


def _tool_schemas(tools: object) -> object:
    if tools is None:
        return None
    if not isinstance(tools, (list, tuple)) or not all(isinstance(tool, dict) for tool in tools):
        raise TemplateRefused("Tools should either be a JSON schema, or a callable function with type hints and a "
                              "docstring suitable for auto-conversion to a schema.")
    return list(tools)


_lock = threading.Lock()
_compiled: dict[tuple, ChatTemplate] = {}


def compiled_template(source: str, special_tokens: dict[str, str]) -> ChatTemplate:
    """The template compiled once per process (per text and special tokens). Raises
    TemplateRefused when the template itself does not compile."""
    key = (source, tuple(sorted(special_tokens.items(), key=lambda item: item[0])))
    template = _compiled.get(key)
    if template is None:
        with _lock:
            template = _compiled.get(key)
            if template is None:
                try:
                    template = ChatTemplate(source, special_tokens)
                except jinja2.exceptions.TemplateError as error:
                    raise TemplateRefused(f"the chat template does not compile: {error}") from None
                _compiled[key] = template
    return template


__all__ = ["SPECIAL_TOKEN_NAMES", "ChatTemplate", "Rendering", "TemplateRefused", "compiled_template",
           "normalized_messages"]
