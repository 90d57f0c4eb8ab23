"""Tests of the JSON Schemas in schemas/ (OpenAI fine-tuning training formats, and the
formats open-weight trainers read: open-chat, open-prompt-completion, chosen-rejected and
text, whose shapes follow TRL's dataset formats and Together's validator, see
../shared/reference/providers.md sections 3.1 and 4).

Every case is validated with both python-jsonschema and jsonschema-rs, and the two
must agree. Invalid fixture lines are objects
``{"why", "expect_path", "expect_keyword", "example"}``: the example must fail, and
fail for the stated reason (an error at ``expect_path`` or below it, raised by the
``expect_keyword`` keyword), with at most ``MAX_ERRORS`` errors (no cascades).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs
import pytest
from referencing import Registry, Resource

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_DIR = ROOT / "schemas"
CASES_DIR = Path(__file__).resolve().parent / "schema_cases"
ID_BASE = "https://schemas.finetune-ls.dev/v1/"
DRAFT = "https://json-schema.org/draft/2020-12/schema"

FORMATS = ["chat", "preference", "reinforcement", "prompt-completion",
           "open-chat", "open-prompt-completion", "chosen-rejected", "text"]
SCHEMA_FILES = ["common.schema.json"] + [f"{fmt}.schema.json" for fmt in FORMATS]

# Minimum number of fixture lines: (valid, invalid).
MIN_CASES = {
    "chat": (12, 25),
    "preference": (6, 10),
    "reinforcement": (6, 10),
    "prompt-completion": (6, 10),
    "open-chat": (8, 9),
    "open-prompt-completion": (6, 6),
    "chosen-rejected": (6, 6),
    "text": (6, 6),
}

# An invalid line must not produce more errors than this (errors must not cascade).
MAX_ERRORS = 3

# Real-world files: folder under the corpus -> schema format.
CORPUS_FOLDERS = {
    "chat": "chat",
    "chat_tools": "chat",
    "chat_functions": "chat",
    "chat_vision": "chat",
    "chat_weight": "chat",
    "dpo": "preference",
    "rft": "reinforcement",
    "legacy": "prompt-completion",
}

# (folder/file name, 1-based line number) -> why the line is invalid for OpenAI.
# Every parsed line of the corpus folders above passes its schema; a line listed here must fail.
CORPUS_EXPECTED_INVALID: dict[tuple[str, int], str] = {}


def corpus_dir() -> Path:
    """The shared corpus: $FINETUNE_LS_CORPUS, else ../shared/corpus beside the repository."""
    env = os.environ.get("FINETUNE_LS_CORPUS")
    if env:
        return Path(env)
    return ROOT.parent / "shared" / "corpus"


# ----------------------------------------------------------------------------- loading


def load_schemas() -> dict[str, dict[str, Any]]:
    return {name: json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8")) for name in SCHEMA_FILES}


SCHEMAS = load_schemas()


PY_REGISTRY: Registry = Registry().with_resources(
    (doc["$id"], Resource.from_contents(doc)) for doc in SCHEMAS.values()
)
RS_REGISTRY = jsonschema_rs.Registry([(doc["$id"], doc) for doc in SCHEMAS.values()])

PY_VALIDATORS = {
    fmt: jsonschema.Draft202012Validator(SCHEMAS[f"{fmt}.schema.json"], registry=PY_REGISTRY) for fmt in FORMATS
}
RS_VALIDATORS = {
    fmt: jsonschema_rs.validator_for(
        SCHEMAS[f"{fmt}.schema.json"], registry=RS_REGISTRY, offline=True
    )
    for fmt in FORMATS
}


def pointer(parts: Any) -> str:
    """JSON pointer of a path given as a sequence of keys and indexes."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def py_errors(fmt: str, instance: Any) -> list[tuple[str, str, str]]:
    """(instance pointer, keyword, message) of each python-jsonschema error."""
    return [
        (pointer(e.absolute_path), str(e.validator), e.message) for e in PY_VALIDATORS[fmt].iter_errors(instance)
    ]


def rs_errors(fmt: str, instance: Any) -> list[tuple[str, str, str]]:
    """(instance pointer, keyword, message) of each jsonschema-rs error."""
    return [
        (pointer(e.instance_path), str(e.schema_path[-1]) if e.schema_path else "", e.message)
        for e in RS_VALIDATORS[fmt].iter_errors(instance)
    ]


def read_jsonl(path: Path) -> list[tuple[int, Any]]:
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            out.append((n, json.loads(line)))
    return out


def walk(node: Any, path: str = "#") -> Iterator[tuple[str, Any]]:
    """Every JSON value in a document, with a JSON pointer fragment."""
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, f"{path}/{i}")


def subschemas(node: Any, path: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every subschema that is a definition or a property schema (the ones editors show in hovers)."""
    if isinstance(node, dict):
        for container in ("properties", "$defs"):
            for key, sub in (node.get(container) or {}).items():
                if isinstance(sub, dict):
                    yield f"{path}/{container}/{key}", sub
        for key, value in node.items():
            if key in ("properties", "$defs") and isinstance(value, dict):
                for name, sub in value.items():
                    yield from subschemas(sub, f"{path}/{key}/{name}")
            elif key not in ("properties", "$defs", "const", "enum", "default", "examples", "if", "not"):
                # "if"/"not" hold dispatch conditions, not schemas an editor documents
                yield from subschemas(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from subschemas(value, f"{path}/{i}")


# ----------------------------------------------------------------------------- the schema files


@pytest.mark.parametrize("name", SCHEMA_FILES)
def test_schema_is_valid_2020_12(name: str) -> None:
    doc = SCHEMAS[name]
    jsonschema.Draft202012Validator.check_schema(doc)
    assert doc["$schema"] == DRAFT
    assert doc["$id"] == ID_BASE + name
    assert isinstance(doc.get("title"), str) and doc["title"].strip()
    assert isinstance(doc.get("description"), str) and doc["description"].strip()
    jsonschema_rs.meta.validate(doc)


def test_schema_dir_holds_exactly_the_known_files() -> None:
    assert sorted(p.name for p in SCHEMA_DIR.glob("*.json")) == sorted(SCHEMA_FILES)


@pytest.mark.parametrize("name", SCHEMA_FILES)
def test_no_oneof_or_anyof(name: str) -> None:
    found = [
        f"{path}/{key}"
        for path, node in walk(SCHEMAS[name])
        if isinstance(node, dict)
        for key in node
        if key in ("oneOf", "anyOf")
    ]
    assert not found, f"oneOf/anyOf make vague, cascading errors; use if/then dispatch: {found}"


@pytest.mark.parametrize("name", SCHEMA_FILES)
def test_every_property_and_definition_is_documented(name: str) -> None:
    missing = [
        path
        for path, sub in subschemas(SCHEMAS[name])
        if not (isinstance(sub.get("title"), str) and sub["title"].strip())
        or not (isinstance(sub.get("description"), str) and sub["description"].strip())
    ]
    assert not missing, f"title and description needed for editor hovers: {missing}"


@pytest.mark.parametrize("name", SCHEMA_FILES)
def test_every_ref_resolves_locally(name: str) -> None:
    doc = SCHEMAS[name]
    resolver = PY_REGISTRY.resolver(base_uri=doc["$id"])
    refs = [node["$ref"] for _, node in walk(doc) if isinstance(node, dict) and isinstance(node.get("$ref"), str)]
    for ref in refs:
        # relative refs only, so that a copy of the folder works under any base URI
        assert not ref.startswith(("http:", "https:")), ref
        resolver.lookup(ref)  # raises if it does not resolve


def test_common_has_no_top_level_constraints() -> None:
    assert set(SCHEMAS["common.schema.json"]) <= {"$schema", "$id", "title", "description", "$defs", "$comment"}
    common = jsonschema.Draft202012Validator(SCHEMAS["common.schema.json"], registry=PY_REGISTRY)
    for anything in ({}, [], "x", 1, None, {"messages": 5}):
        assert common.is_valid(anything)


def test_role_definitions_list_their_keys_and_forbid_others() -> None:
    defs = SCHEMAS["common.schema.json"]["$defs"]
    for role in ("system", "developer", "user", "assistant", "tool", "function"):
        d = defs[f"{role}Message"]
        assert d["additionalProperties"] is False, role
        assert d["properties"]["role"]["const"] == role
    assert defs["assistantMessage"]["properties"]["weight"]["$ref"] == "#/$defs/weight"
    assert defs["weight"]["enum"] == [0, 1]


# ----------------------------------------------------------------------------- fixtures


def fixture_cases(kind: str) -> list[Any]:
    params = []
    for fmt in FORMATS:
        path = CASES_DIR / f"{fmt}.{kind}.jsonl"
        for n, case in read_jsonl(path):
            params.append(pytest.param(fmt, case, id=f"{fmt}.{kind}:{n}"))
    return params


@pytest.mark.parametrize("fmt", FORMATS)
def test_fixture_files_have_enough_cases(fmt: str) -> None:
    n_valid = len(read_jsonl(CASES_DIR / f"{fmt}.valid.jsonl"))
    n_invalid = len(read_jsonl(CASES_DIR / f"{fmt}.invalid.jsonl"))
    min_valid, min_invalid = MIN_CASES[fmt]
    assert n_valid >= min_valid
    assert n_invalid >= min_invalid


@pytest.mark.parametrize(("fmt", "example"), fixture_cases("valid"))
def test_valid_case(fmt: str, example: Any) -> None:
    assert py_errors(fmt, example) == []
    assert rs_errors(fmt, example) == []


@pytest.mark.parametrize(("fmt", "case"), fixture_cases("invalid"))
def test_invalid_case(fmt: str, case: dict[str, Any]) -> None:
    assert set(case) <= {"why", "expect_path", "expect_keyword", "example"}
    assert case["why"].strip()
    expect_path: str = case["expect_path"]
    assert expect_path == "" or expect_path.startswith("/")
    example = case["example"]

    py = py_errors(fmt, example)
    rs = rs_errors(fmt, example)
    assert py, f"python-jsonschema accepts: {case['why']}"
    assert rs, f"jsonschema-rs accepts: {case['why']}"

    def at_expected_place(err: tuple[str, str, str]) -> bool:
        path, keyword, _ = err
        in_place = path == expect_path or path.startswith(expect_path + "/")
        return in_place and ("expect_keyword" not in case or keyword == case["expect_keyword"])

    assert any(map(at_expected_place, py)), f"{case['why']}: python-jsonschema errors elsewhere: {py}"
    assert any(map(at_expected_place, rs)), f"{case['why']}: jsonschema-rs errors elsewhere: {rs}"
    # the two validators report the same places and keywords
    assert sorted(e[:2] for e in py) == sorted(e[:2] for e in rs)
    assert len(rs) <= MAX_ERRORS, f"{case['why']}: errors cascade: {rs}"
    assert len(py) <= MAX_ERRORS, f"{case['why']}: errors cascade: {py}"


def test_float_weight_passes_the_schema_and_the_checker_flags_it() -> None:
    # JSON Schema treats 1.0 as equal to 1, so "weight": 1.0 passes the schema;
    # OpenAI wants the integer, so the checker flags float weights itself.
    example = {"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y", "weight": 1.0}]}
    assert py_errors("chat", example) == []
    assert rs_errors("chat", example) == []
    from finetune_ls.core.engine import check_text
    assert "invalid-weight" in [f.code for f in check_text(json.dumps(example) + "\n").findings]


# ----------------------------------------------------------------------------- real-world corpus


def corpus_files() -> list[Any]:
    params = []
    base = corpus_dir()
    for folder, fmt in CORPUS_FOLDERS.items():
        d = base / folder
        if not d.is_dir():
            params.append(
                pytest.param(folder, None, fmt, marks=pytest.mark.skip(reason=f"corpus folder {d} is absent"), id=folder)
            )
            continue
        for path in sorted(d.glob("*.jsonl")):
            params.append(pytest.param(folder, path, fmt, id=f"{folder}/{path.name}"))
    return params


@pytest.mark.parametrize(("folder", "path", "fmt"), corpus_files())
def test_real_corpus_file(folder: str, path: Path, fmt: str) -> None:
    # utf-8-sig: a leading BOM is the checker's business, not the schema's
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    unexpected = []
    n_checked = 0
    for n, line in enumerate(lines, start=1):
        try:
            example = json.loads(line)
        except ValueError:
            continue  # not a JSON line (blank, comment, broken): not a schema matter
        n_checked += 1
        py = py_errors(fmt, example)
        rs = rs_errors(fmt, example)
        assert bool(py) == bool(rs), f"{path.name}:{n}: validators disagree: {py} vs {rs}"
        key = (f"{folder}/{path.name}", n)
        if key in CORPUS_EXPECTED_INVALID:
            if not py:
                unexpected.append(f"line {n} should fail ({CORPUS_EXPECTED_INVALID[key]}) but passes")
        elif py:
            unexpected.append(f"line {n}: {py[:3]}")
    assert n_checked > 0
    assert not unexpected, f"{folder}/{path.name}:\n" + "\n".join(unexpected)
