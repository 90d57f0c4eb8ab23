"""Editing help: completion of keys and values from the schemas, one symbol per
example, and formatting each line as compact JSON."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import orjson
from lsprotocol import types

from finetune_ls.core.conversions import compact_json
from finetune_ls.core.depth import recursion_room
from finetune_ls.core.roles import CHAT_ROLES, REINFORCEMENT_ROLES
from finetune_ls.core.schemas import schema_documents
from finetune_ls.core.shapes import CHAT, PREFERENCE, PROMPT_COMPLETION, REINFORCEMENT
from finetune_ls.lsp.documents.document import from_code_points, to_code_points
from finetune_ls.lsp.server import FinetuneServer, for_document, server
from finetune_ls.lsp.documents.state import OpenDocument

MAX_SYMBOLS = 5000  # an outline of more is not read by anyone, and costs seconds to make and send
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|[{}\[\],:]|[^\s{}\[\],:"]+')
TOP_KEYS = {CHAT: ("messages", "tools", "parallel_tool_calls", "functions"),
            REINFORCEMENT: ("messages", "tools"),
            PREFERENCE: ("input", "preferred_output", "non_preferred_output"),
            PROMPT_COMPLETION: ("prompt", "completion")}
ROLE_KEYS = {"system": ("content", "name"), "developer": ("content", "name"), "user": ("content", "name"),
             "assistant": ("content", "weight", "tool_calls", "name", "refusal", "function_call"),
             "tool": ("content", "tool_call_id"), "function": ("content", "name")}
ROLE_DEFINITIONS = {"system": "systemMessage", "developer": "developerMessage", "user": "userMessage",
                    "assistant": "assistantMessage", "tool": "toolMessage", "function": "functionMessage"}
TOOL_CALLS_SKELETON = ('[{"id": "${1:call_1}", "type": "function", "function": {"name": "${2:name}", '
                       '"arguments": "${3:{\\\\}}"}}]')
EXAMPLES = {
    CHAT: '{"messages": [{"role": "system", "content": "$1"}, {"role": "user", "content": "$2"}, '
          '{"role": "assistant", "content": "$3"}]}',
    PREFERENCE: '{"input": {"messages": [{"role": "user", "content": "$1"}]}, "preferred_output": '
                '[{"role": "assistant", "content": "$2"}], "non_preferred_output": [{"role": "assistant", "content": "$3"}]}',
    REINFORCEMENT: '{"messages": [{"role": "developer", "content": "$1"}, {"role": "user", "content": "$2"}], '
                   '"reference_answer": "$3"}',
    PROMPT_COMPLETION: '{"prompt": "$1", "completion": "$2"}',
}


@dataclass
class _Frame:
    kind: str  # "object" or "array"
    key: str | None = None  # the member being written (objects)
    expects: str = "key"  # "key", "colon", "value", "comma"
    keys: dict = field(default_factory=dict)  # members written so far, with scalar values


@dataclass
class Spot:
    """Where the cursor is in a JSON line."""

    path: list  # keys of the containers around the cursor ("[]" for an array level)
    frame: _Frame | None
    position: str  # "key", "value" or "none"
    start: int  # column where the token being typed starts


def locate(prefix: str) -> Spot:
    """Read the line up to the cursor, tolerating that it is unfinished."""
    stack: list[_Frame] = []
    path: list = []
    start = len(prefix)
    for match in _TOKEN.finditer(prefix):
        token = match.group()
        frame = stack[-1] if stack else None
        unfinished = match.end() == len(prefix) and token.startswith('"') and (len(token) == 1 or not token.endswith('"'))
        if unfinished or (match.end() == len(prefix) and token not in "{}[],:"):
            start = match.start()
            break
        if token in ("{", "["):
            if frame is not None:
                path.append(frame.key if frame.kind == "object" else "[]")
            stack.append(_Frame("object" if token == "{" else "array", expects="key" if token == "{" else "value"))
        elif token in ("}", "]"):
            if stack:
                stack.pop()
            if path:
                path.pop()
            if stack:
                stack[-1].expects = "comma"
        elif token == ":" and frame is not None:
            frame.expects = "value"
        elif token == "," and frame is not None:
            frame.expects = "key" if frame.kind == "object" else "value"
        elif frame is not None and frame.kind == "object" and frame.expects == "key":
            frame.key = _string(token)
            frame.expects = "colon"
        elif frame is not None:
            if frame.kind == "object" and frame.key is not None:
                frame.keys[frame.key] = _string(token) if token.startswith('"') else token
            frame.expects = "comma"
    frame = stack[-1] if stack else None
    if frame is None:
        return Spot(path, None, "none", start)
    position = {"key": "key", "colon": "none", "value": "value", "comma": "none"}[frame.expects]
    return Spot(path, frame, position, start)


def _string(token: str) -> str:
    try:
        return json.loads(token)
    except ValueError:
        return token.strip('"')


def _description(definition: str, key: str) -> str | None:
    node = schema_documents()["common.schema.json"]["$defs"].get(definition, {})
    described = node.get("properties", {}).get(key, {})
    return described.get("description")


def _item(label: str, insert: str, detail: str, kind: types.CompletionItemKind, replace: types.Range,
          documentation: str | None = None, snippet: bool = False) -> types.CompletionItem:
    return types.CompletionItem(
        label=label, kind=kind, detail=detail,
        documentation=types.MarkupContent(kind=types.MarkupKind.Markdown, value=documentation) if documentation else None,
        text_edit=types.TextEdit(range=replace, new_text=insert),
        insert_text_format=types.InsertTextFormat.Snippet if snippet else types.InsertTextFormat.PlainText)


def completions(spot: Spot, fmt: str, replace: types.Range) -> list[types.CompletionItem]:
    frame = spot.frame
    items: list[types.CompletionItem] = []
    in_message = len(spot.path) >= 2 and spot.path[-1] == "[]" and spot.path[-2] in (
        "messages", "preferred_output", "non_preferred_output")
    if frame is None:
        example = EXAMPLES.get(fmt, EXAMPLES[CHAT])
        return [_item(f"{fmt} example", example, "a whole training example", types.CompletionItemKind.Snippet,
                      replace, snippet=True)]
    if spot.position == "key":
        role = frame.keys.get("role")
        if not spot.path:
            keys = TOP_KEYS.get(fmt, TOP_KEYS[CHAT])
            definition = None
        elif in_message:
            keys = ("role",) + ROLE_KEYS.get(role, ("content", "name"))
            definition = ROLE_DEFINITIONS.get(role, "userMessage")
        else:
            return []
        for key in keys:
            if key in frame.keys:
                continue
            documentation = _description(definition, key) if definition else None
            items.append(_item(key, f'"{key}": ', "key", types.CompletionItemKind.Property, replace, documentation))
        return items
    if spot.position == "value" and frame.kind == "object":
        key = frame.key
        if key == "role" and in_message:
            roles = REINFORCEMENT_ROLES if fmt == REINFORCEMENT else CHAT_ROLES
            if spot.path[-2] in ("preferred_output", "non_preferred_output"):
                roles = ("assistant",)
            return [_item(role, f'"{role}"', "role", types.CompletionItemKind.EnumMember, replace) for role in roles]
        if key == "weight":
            return [_item(str(value), str(value), meaning, types.CompletionItemKind.Value, replace)
                    for value, meaning in ((1, "train on this message"), (0, "do not train on this message"))]
        if key == "tool_calls":
            return [_item("tool_calls skeleton", TOOL_CALLS_SKELETON, "one function call",
                          types.CompletionItemKind.Snippet, replace, snippet=True)]
        if key == "type":
            return [_item(kind, f'"{kind}"', "content part type", types.CompletionItemKind.EnumMember, replace)
                    for kind in ("text", "image_url")]
        if key == "detail":
            return [_item(level, f'"{level}"', "image detail", types.CompletionItemKind.EnumMember, replace)
                    for level in ("auto", "low", "high")]
        if key == "parallel_tool_calls":
            return [_item(value, value, "boolean", types.CompletionItemKind.Value, replace) for value in ("true", "false")]
    return items


@server.feature(types.TEXT_DOCUMENT_COMPLETION,
                types.CompletionOptions(trigger_characters=['"', ":", ",", "{"], resolve_provider=False))
@for_document("completing")
def complete(ls: FinetuneServer, state: OpenDocument, params: types.CompletionParams) -> types.CompletionList | None:
    line = params.position.line
    contents = state.document.contents
    text = contents[line] if line < len(contents) else ""
    encoding = state.document.encoding
    column = to_code_points(text, params.position.character, encoding)
    spot = locate(text[:column])
    replace = types.Range(types.Position(line, from_code_points(text, spot.start, encoding)), params.position)
    if spot.frame is None and text.strip():
        return None  # inside a finished line: nothing sensible to offer
    if spot.frame is None:
        replace = types.Range(types.Position(line, 0), types.Position(line, from_code_points(text, len(text), encoding)))
    return types.CompletionList(is_incomplete=False, items=completions(spot, state.check.plan.context.format, replace))


# ---------------------------------------------------------------- symbols
@server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
@for_document("listing examples", default=[])
def document_symbols(ls: FinetuneServer, state: OpenDocument, params: types.DocumentSymbolParams) -> list[types.DocumentSymbol]:
    contents = state.document.contents
    encoding = state.document.encoding
    symbols = []
    number = 0
    for line in range(len(contents)):
        if len(symbols) >= MAX_SYMBOLS:
            rest = sum(1 for index in range(line, len(contents)) if contents[index].strip())  # one at a time
            here = types.Range(types.Position(line, 0), types.Position(line, 0))
            symbols.append(types.DocumentSymbol(name=f"… {rest:,} more lines", kind=types.SymbolKind.Null,
                                                range=here, selection_range=here))
            break
        text = contents[line]
        try:
            value = orjson.loads(text.lstrip("\ufeff"))
        except orjson.JSONDecodeError:
            continue
        if not isinstance(value, dict):
            continue
        number += 1
        end = types.Position(line, from_code_points(text, len(text), encoding))
        whole = types.Range(types.Position(line, 0), end)
        symbols.append(types.DocumentSymbol(name=f"Example {number}", detail=first_words(value),
                                            kind=types.SymbolKind.Object, range=whole, selection_range=whole))
    return symbols


def first_words(example: dict, count: int = 8) -> str:
    """The first words of the user's turn (or the prompt)."""
    messages = example.get("messages")
    if messages is None and isinstance(example.get("input"), dict):
        messages = example["input"].get("messages")
    text = None
    if isinstance(messages, list):
        for message in messages:
            if isinstance(message, dict) and message.get("role") == "user":
                content = message.get("content")
                if isinstance(content, list):
                    content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
                text = content if isinstance(content, str) else None
                break
    if text is None and isinstance(example.get("prompt"), str):
        text = example["prompt"]
    words = (text or "").split()
    return " ".join(words[:count]) + (" …" if len(words) > count else "")


# ---------------------------------------------------------------- formatting
@server.feature(types.TEXT_DOCUMENT_FORMATTING)
@for_document("formatting", default=[])
def format_document(ls: FinetuneServer, state: OpenDocument, params: types.DocumentFormattingParams) -> list[types.TextEdit]:
    contents = state.document.contents
    encoding = state.document.encoding
    edits = []
    for line in range(len(contents)):
        text = contents[line]
        bom = "\ufeff" if line == 0 and text.startswith("\ufeff") else ""
        body = text[len(bom):]
        compact = _compact_line(body)
        if compact is not None and compact != body:
            edits.append(types.TextEdit(
                range=types.Range(types.Position(line, from_code_points(text, len(bom), encoding)),
                                  types.Position(line, from_code_points(text, len(text), encoding))),
                new_text=compact))
    return edits


class _DuplicateKey(ValueError):
    pass


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    value = dict(pairs)
    if len(value) != len(pairs):
        raise _DuplicateKey  # compacting would keep only the last of them
    return value


def _compact_line(body: str) -> str | None:
    """The line as compact JSON, or None when that could change or lose something: not
    JSON, a repeated key, a number too big for a float (1e400 would become Infinity), a
    lone surrogate (it cannot be written as UTF-8), or nesting deeper than Python reads."""
    try:
        with recursion_room():  # lines as deep as check accepts are read (and compared) too
            value = json.loads(body, object_pairs_hook=_no_duplicate_keys)  # numbers stay as written: 1.0 is 1.0
            compact = compact_json(value, allow_nan=False)
            compact.encode("utf-8")
            return compact if json.loads(compact) == value else None
    except (ValueError, RecursionError):
        return None
