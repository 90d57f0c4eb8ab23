"""Data preparation as editor commands (`workspace/executeCommand`).

finetune.convertFile [uri, options] converts a CSV, TSV, JSON, JSONL or XLSX file with the
conversion `finetune-ls convert` runs, and creates the training file next to it through a
workspace edit (`workspace/applyEdit`: CreateFile, then its text), so the editor shows it
and can undo it. An existing file is never replaced. Options, all optional: to, shape,
from, promptColumn, completionColumn, chosenColumn, rejectedColumn, system, roles
({"narrator": "system"}), skipBad, output (a file name next to the input, or a URI).
"""

from __future__ import annotations

import asyncio
import os

from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path

from finetune_ls.lsp.new_files import creates_files, new_file_changes
from finetune_ls.lsp.server import FinetuneServer, server
from finetune_ls.prep.convert import (
    SHAPES, TARGETS, Options, Outcome, UsageProblem, convert_table,
)
from finetune_ls.prep.outputs import default_output, refusal, write_atomically
from finetune_ls.prep.readers import INPUT_KINDS, ReadError, kind_of, read_bytes, read_path

CONVERT_FILE = "finetune.convertFile"
_COLUMNS = {"promptColumn": "prompt", "completionColumn": "completion", "chosenColumn": "chosen",
            "rejectedColumn": "rejected"}


def _options(given: dict) -> Options:
    """Options from the command's object; UsageProblem names a wrong one."""
    def choice(name: str, allowed) -> str | None:
        value = given.get(name)
        if value is not None and value not in allowed:
            raise UsageProblem(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
        return value

    roles = given.get("roles") or {}
    if not isinstance(roles, dict) or not all(isinstance(v, str) for v in roles.values()):
        raise UsageProblem('roles must be an object of speaker names to roles, e.g. {"narrator": "system"}')
    system = given.get("system")
    if system is not None and not isinstance(system, str):
        raise UsageProblem("system must be text")
    columns = {key: given[name] for name, key in _COLUMNS.items() if isinstance(given.get(name), str)}
    return Options(to=choice("to", TARGETS), shape=choice("shape", tuple(SHAPES)), columns=columns,
                   system=system or None, roles=dict(roles), skip_bad=bool(given.get("skipBad")))


def _output_path(path: str, given: object, outcome: Outcome) -> str:
    if isinstance(given, str) and given.startswith("file:"):
        return to_fs_path(given)
    if isinstance(given, str) and given:
        return os.path.join(os.path.dirname(path), given)
    return default_output(path, outcome.detection.target)


def _convert(ls: FinetuneServer, uri: str, path: str, given: dict) -> Outcome:
    options = _options(given)
    kind = given.get("from") or kind_of(path)
    if kind not in INPUT_KINDS:
        raise UsageProblem(f"from must be one of {', '.join(INPUT_KINDS)}, not {kind!r}")
    open_document = ls.documents.get(uri)
    if open_document is not None and kind != "xlsx":  # what the editor shows, saved or not
        table = read_bytes(open_document.document.source.encode("utf-8"), kind)
    else:
        table = read_path(path, kind)
    return convert_table(table, options, ls.settings.check_settings(ls.catalog), output_path=path)


def _failure(ls: FinetuneServer, message: str, **details) -> dict:
    ls.show(f"finetune-ls: {message}", types.MessageType.Error)
    return {"error": message, **details}


@server.command(CONVERT_FILE)
async def convert_file(ls: FinetuneServer, *args) -> dict:
    """Arguments: the input's URI and an options object, or one object {uri, ...options}.
    Answers the report of `convert --json` with the new file's `uri`, or {"error": ...}."""
    if args and isinstance(args[0], dict):
        given = dict(args[0])
        uri = given.pop("uri", None)
    else:
        uri = args[0] if args else None
        given = dict(args[1]) if len(args) > 1 and isinstance(args[1], dict) else {}
    path = to_fs_path(uri) if isinstance(uri, str) else None
    if not path or not os.path.isfile(path):
        return _failure(ls, f"{uri} is not a file on disk.")
    try:
        outcome = await asyncio.to_thread(_convert, ls, uri, path, given)
    except (UsageProblem, ReadError) as problem:
        where = f":{problem.line}" if getattr(problem, "line", None) else ""
        return _failure(ls, f"{os.path.basename(path)}{where}: {problem}")
    except OSError as problem:
        return _failure(ls, f"cannot read {path}: {problem.strerror or problem}")
    output = _output_path(path, given.get("output"), outcome)
    report = outcome.as_json(path, output, written=False)
    refused = refusal(path, output, how_to_replace="; give another name as the option `output`, or delete it first")
    if refused:
        return _failure(ls, refused + ".", report=report)
    if not outcome.writable:
        return _failure(ls, f"{os.path.basename(path)}: {outcome.why_not_written('skipBad')}", report=report)
    output_uri = from_fs_path(output)
    if creates_files(ls):
        answer = await ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(
            edit=types.WorkspaceEdit(document_changes=new_file_changes(output_uri, outcome.text())), label=f"Convert {os.path.basename(path)}"))
        if not answer.applied:
            return _failure(ls, f"the editor did not create {output}: {answer.failure_reason or 'no reason given'}",
                            report=report)
    else:  # an editor that cannot create files through an edit: written here, and said so
        try:
            write_atomically(output, outcome.text())
        except OSError as problem:
            return _failure(ls, f"cannot write {output}: {problem.strerror or problem}", report=report)
    ls.show(f"finetune-ls: {outcome.detection.describe()}; {len(outcome.examples)} examples in "
            f"{os.path.basename(output)}" + (f", {len(outcome.problems)} rows left out" if outcome.problems else ""))
    return {**outcome.as_json(path, output, written=True), "uri": output_uri,
            "viaEdit": creates_files(ls)}
