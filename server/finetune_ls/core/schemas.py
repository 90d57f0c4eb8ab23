"""The training-format JSON Schemas (schemas/ at the top of the repository) and the
translation of their violations into findings that say what to do.

Schemas are validated with jsonschema-rs: ~2 µs per example against ~460 µs
for python-jsonschema (../shared/reference/perf-probe.md). `is_valid` runs on
every line; the error iterator only on the lines that fail.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path

import jsonschema_rs

from finetune_ls.core import rules as R
from finetune_ls.core.conversions import compact_json
from finetune_ls.core.places import describe
from finetune_ls.core.report import LineReport, make_fix
from finetune_ls.core.roles import suggest_role
from finetune_ls.core.shapes import CHAT, CHOSEN_REJECTED, PREFERENCE, PROMPT_COMPLETION, REINFORCEMENT, TEXT
from finetune_ls.core.targets import OPEN_WEIGHT

SCHEMA_FILES = {
    CHAT: "chat.schema.json",
    PREFERENCE: "preference.schema.json",
    REINFORCEMENT: "reinforcement.schema.json",
    PROMPT_COMPLETION: "prompt-completion.schema.json",
}
COMMON_FILE = "common.schema.json"
# Open-weight targets (Together, TRL, axolotl, Unsloth): the shapes their trainers read.
# Chat and prompt/completion are looser than OpenAI's (roles are the chat template's
# business, message lists in prompt/completion, other columns are not read); Together's
# preference data is OpenAI's own format, so it keeps OpenAI's schema.
OPEN_SCHEMA_FILES = {
    CHAT: "open-chat.schema.json",
    PROMPT_COMPLETION: "open-prompt-completion.schema.json",
    CHOSEN_REJECTED: "chosen-rejected.schema.json",
    TEXT: "text.schema.json",
    PREFERENCE: "preference.schema.json",
}


def schema_file(fmt: str, target: str = "openai") -> str:
    """The schema a line of format `fmt` is validated against for `target`."""
    if target in OPEN_WEIGHT:
        return OPEN_SCHEMA_FILES.get(fmt, SCHEMA_FILES.get(fmt, ""))
    return SCHEMA_FILES[fmt]


def schema_dir():
    """The schemas shipped in the wheel, or, in a source checkout, the repository's own."""
    packaged = resources.files("finetune_ls") / "data" / "schemas"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "schemas"


@lru_cache(maxsize=1)
def schema_documents() -> dict[str, dict]:
    """Every schema document by file name."""
    folder = schema_dir()
    names = sorted(set(SCHEMA_FILES.values()) | set(OPEN_SCHEMA_FILES.values())) + [COMMON_FILE]
    return {name: json.loads((folder / name).read_text(encoding="utf-8")) for name in names}


@lru_cache(maxsize=None)
def validator(fmt: str, target: str = "openai"):
    documents = schema_documents()
    registry = jsonschema_rs.Registry([(doc["$id"], doc) for doc in documents.values()])
    return jsonschema_rs.validator_for(documents[schema_file(fmt, target)], registry=registry)


def _subschema(name: str, schema_path: list) -> dict:
    """The schema object at a jsonschema-rs schema path. The path is relative to the
    document the keyword lives in: the format's own file (`name`), or the common file."""
    documents = schema_documents()
    for name in (name, COMMON_FILE):
        node: object = documents[name]
        for step in schema_path:
            if isinstance(node, dict) and step in node:
                node = node[step]
            elif isinstance(node, list) and isinstance(step, int) and step < len(node):
                node = node[step]
            else:
                break
        else:
            if isinstance(node, dict):
                return node
    return {}


def _value_at(example: object, path: tuple) -> object:
    node = example
    for step in path:
        if isinstance(node, dict):
            node = node.get(step)
        elif isinstance(node, list) and isinstance(step, int) and step < len(node):
            node = node[step]
        else:
            return None
    return node


_JSON_TYPES = {str: "a string", int: "a number", float: "a number", bool: "true/false", type(None): "null",
               list: "an array", dict: "an object"}
_TYPE_WORDS = {"string": "a string", "array": "an array", "object": "an object", "null": "null",
               "integer": "an integer", "number": "a number", "boolean": "true or false"}


def _json_type(value: object) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _one_of(options: list) -> str:
    shown = [json.dumps(o, ensure_ascii=False) for o in options]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]


def check_schema(example: object, fmt: str, report: LineReport, target: str = "openai") -> bool:
    """Report every schema violation of `example` in format `fmt` (for `target`). True when valid."""
    schema_validator = validator(fmt, target)
    if schema_validator.is_valid(example):
        return True
    for error in schema_validator.iter_errors(example):
        _report(error, example, fmt, report, schema_file(fmt, target))
    return False


def _report(error, example: object, fmt: str, report: LineReport, schema_name: str) -> None:
    kind = error.kind.name
    details = error.kind.as_dict()
    path = tuple(error.instance_path)
    value = _value_at(example, path)
    where = describe(example, path)
    last = path[-1] if path else None

    if kind == "additionalProperties":
        allowed = sorted(_subschema(schema_name, list(error.schema_path)[:-1]).get("properties", {}))
        for key in details.get("unexpected", []):
            _unknown_key(example, path, key, allowed, report)
    elif kind == "required":
        missing = details.get("property")
        report.add(R.MISSING_KEY, f'{where[0].upper() + where[1:]} has no "{missing}"; add it.{_missing_hint(missing, fmt)}',
                   path)
    elif kind == "type":
        expected = " or ".join(_TYPE_WORDS.get(t, t) for t in details.get("types", []))
        if last == "arguments" and isinstance(value, (dict, list)):
            as_string = json.dumps(compact_json(value), ensure_ascii=False)
            report.add(R.ARGUMENTS_NOT_STRING,
                       f"{where[0].upper() + where[1:]} is a JSON {'object' if isinstance(value, dict) else 'array'}; "
                       "OpenAI needs a string that holds the JSON, e.g. \"{\\\"city\\\": \\\"Paris\\\"}\".",
                       path, fix=make_fix("Turn the arguments into a JSON string", report.replace_value(path, as_string)))
        elif last == "weight":
            _invalid_weight(value, path, where, report)
        else:
            report.add(R.WRONG_TYPE, f"{where[0].upper() + where[1:]} must be {expected}, not {_json_type(value)}.", path)
    elif kind in ("enum", "constant"):
        options = details.get("options") if kind == "enum" else [details.get("expected_value")]
        options = options or []
        if last == "role":
            _unknown_role(value, path, options, fmt, report)
        elif last == "weight":
            _invalid_weight(value, path, where, report)
        elif last == "type" and value in ("input_audio", "file", "audio"):
            report.add(R.INVALID_VALUE, f"{where[0].upper() + where[1:]} is {json.dumps(value)}: OpenAI does not "
                       "support audio or file inputs for fine-tuning (\"Audio and file input messages are not "
                       "currently supported\"). Use text or image_url parts.", path)
        elif last == "type" and value == "image_url":
            owner = describe(example, path[:2]) if len(path) >= 2 else "this message"
            report.add(R.IMAGE_OUTSIDE_USER,
                       f"An image in {owner}: OpenAI accepts images only in user messages. Move it into a user message.",
                       path[:-1])
        else:
            report.add(R.INVALID_VALUE, f"{where[0].upper() + where[1:]} must be {_one_of(options)}, "
                                        f"not {json.dumps(value, ensure_ascii=False)[:80]}.", path)
    elif kind == "minItems":
        report.add(R.EMPTY_ARRAY, f"{where[0].upper() + where[1:]} is empty; it needs at least one item.", path)
    elif kind == "maxItems":
        report.add(R.TOO_MANY_ITEMS, f"{where[0].upper() + where[1:]} holds {len(value) if isinstance(value, list) else '?'} "
                                     f"items; at most {details.get('limit', 1)} allowed.", path)
    elif kind == "pattern":
        report.add(R.INVALID_VALUE, f"{where[0].upper() + where[1:]} {json.dumps(value, ensure_ascii=False)[:80]} does not "
                                    f"match {details.get('pattern')} (letters, digits, _ and -, at most 64).", path)
    else:
        report.add(R.INVALID_VALUE, f"{where[0].upper() + where[1:]}: {error.message}.", path)


def _missing_hint(key: str, fmt: str) -> str:
    return {
        "content": ' (null is allowed only for an assistant message with tool_calls or function_call)',
        "messages": ' A chat example is {"messages": [...]}.',
        "tool_call_id": " It must be the id of the tool call this message answers.",
        "input": ' A preference example is {"input": {"messages": [...]}, "preferred_output": [...], '
                 '"non_preferred_output": [...]}.',
    }.get(key, "")


def _unknown_key(example: object, path: tuple, key: str, allowed: list[str], report: LineReport) -> None:
    key_path = path + (key,)
    remove = make_fix(f'Remove "{key}"', report.remove_member(key_path), safe=False)
    owner = describe(example, path)
    # Only a key on the example itself has been seen refused ("Example 1 contains an extra ..."); inside a
    # message no source shows a rejection, so there it is a warning (docs/rules.md, the rules' evidence).
    severity = None if not path else R.WARNING
    if key == "weight" and path[:1] and path[0] in ("preferred_output", "non_preferred_output"):
        report.add(R.MISPLACED_WEIGHT, f'"weight" has no meaning in {owner}: DPO trains on both outputs. Remove it '
                   "(OpenAI's documentation does not say whether it rejects it).",
                   key_path, key=True, fix=make_fix('Remove "weight"', report.remove_member(key_path)), severity=severity)
        return
    if key == "weight":
        if not path:
            message = ('"weight" is allowed only on assistant messages, not on the example itself; OpenAI rejects '
                       'the file ("Example 1 contains an extra \\"weight\\""). Remove it.')
        else:
            message = (f'"weight" is allowed only on assistant messages, not on {owner}; OpenAI\'s documentation '
                       "does not say whether it rejects it. Remove it.")
        report.add(R.MISPLACED_WEIGHT, message, key_path, key=True,
                   fix=make_fix('Remove "weight"', report.remove_member(key_path)), severity=severity)
        return
    if not path:
        message = (f'Unknown key "{key}": OpenAI rejects the file ("Example N contains an extra \\"{key}\\""). '
                   f"Allowed keys: {', '.join(allowed)}.")
    else:
        message = (f'Unknown key "{key}" in {owner}; OpenAI\'s documentation does not say whether it rejects it. '
                   f'Allowed keys: {", ".join(allowed)}.')
    report.add(R.UNKNOWN_KEY, message, key_path, key=True, fix=remove, severity=severity)


def _unknown_role(value: object, path: tuple, options: list, fmt: str, report: LineReport) -> None:
    suggestion = suggest_role(value, tuple(options))
    shown = json.dumps(value, ensure_ascii=False)[:40]
    if suggestion:
        message = f"Role {shown} is not allowed here; use \"{suggestion}\"."
        if fmt == REINFORCEMENT and value == "system":
            message = 'Reinforcement data has no "system" role; use "developer" for instructions.'
        fix = make_fix(f'Change the role to "{suggestion}"', report.replace_value(path, json.dumps(suggestion)))
    else:
        message = f"Unknown role {shown}; the roles are {_one_of(options)}."
        fix = None
    report.add(R.UNKNOWN_ROLE, message, path, fix=fix)


def _invalid_weight(value: object, path: tuple, where: str, report: LineReport) -> None:
    meant = None  # what the writer most likely meant: true -> 1, "0" -> 0, 1.0 -> 1
    if isinstance(value, bool) or (isinstance(value, float) and value in (0.0, 1.0)):
        meant = int(value)
    elif value in ("0", "1"):
        meant = int(value)
    fix = make_fix(f"Write weight {meant}", report.replace_value(path, str(meant))) if meant is not None else None
    report.add(R.INVALID_WEIGHT, f"{where[0].upper() + where[1:]} is {json.dumps(value)}; it must be the integer 0 "
                                 "(do not train on this message) or 1 (train on it).", path, fix=fix)
