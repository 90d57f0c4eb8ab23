"""Data preparation as editor commands (`workspace/executeCommand`).

finetune.convertFile [uri, options] converts a CSV, TSV, JSON, JSONL or XLSX file with the
conversion `finetune-ls convert` runs, and creates the training file next to it through a
workspace edit (`workspace/applyEdit`: CreateFile, then its text), so the editor shows it
and can undo it. An existing file is never replaced. Options, all optional: to, shape,
from, promptColumn, completionColumn, chosenColumn, rejectedColumn, system, roles
({"narrator": "system"}), skipBad, output (a file name next to the input, or a URI; inside
the workspace folders, or beside the input when the client announced none).
"""

from __future__ import annotations

import asyncio
import os

from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path

from finetune_ls.lsp.wire.arguments import Arguments, InvalidArgument
from finetune_ls.lsp.commands.new_files import creates_files, misplaced, new_file_changes
from finetune_ls.lsp.server import FinetuneServer, server
from finetune_ls.prep.convert import (
    SHAPES, TARGETS, Options, Outcome, UsageProblem, convert_table,
)
from finetune_ls.prep.outputs import default_output, refusal, write_atomically
from finetune_ls.prep.readers import INPUT_KINDS, ReadError, kind_of, read_bytes, read_path

CONVERT_FILE = "finetune.convertFile"
_COLUMNS = {"promptColumn": "prompt", "completionColumn": "completion", "chosenColumn": "chosen",
            "rejectedColumn": "rejected"}
_ARGUMENTS = ("uri", "to", "shape", "from", *_COLUMNS, "system", "roles", "skipBad", "output")


def _arguments(args: tuple) -> Arguments:
    """[uri, options] or [{uri, ...options}], each checked (InvalidParams names a wrong one)."""
    if len(args) == 2:
        if not isinstance(args[1], dict) or "uri" in args[1]:
            raise InvalidArgument(CONVERT_FILE, "the options must be an object (without uri) after the uri")
        args = ({"uri": args[0], **args[1]},)
    elif len(args) == 1 and not isinstance(args[0], dict):
        args = ({"uri": args[0]},)
    return Arguments(CONVERT_FILE, args, _ARGUMENTS)


def _options(given: Arguments) -> Options:
    roles = given.object("roles", 'an object of speaker names to roles, e.g. {"narrator": "system"}',
                         lambda role: isinstance(role, str), {})
    system = given.value("system", "text", lambda value: isinstance(value, str), None)
    columns = {key: given.text(name, None) for name, key in _COLUMNS.items()}
    return Options(to=given.text("to", None, TARGETS), shape=given.text("shape", None, tuple(SHAPES)),
                   columns={key: column for key, column in columns.items() if column}, system=system or None,
                   roles=dict(roles), skip_bad=given.flag("skipBad", False))


def _output_path(path: str, given: str | None, outcome: Outcome) -> str:
    if given and given.startswith("file:"):
        return to_fs_path(given)
    if given:
        return os.path.join(os.path.dirname(path), given)
    return default_output(path, outcome.detection.target)


def _convert(ls: FinetuneServer, uri: str, path: str, options: Options, kind: str | None) -> Outcome:
    kind = kind or kind_of(path)
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
    Answers the report of `convert --json` with the new file's `uri`, or {"error": ...}.
    Errors name rows, columns and options, never what the file holds."""
    given = _arguments(args)
    uri, options = given.uri(), _options(given)
    kind, output_given = given.text("from", None, INPUT_KINDS), given.text("output", None)
    path = to_fs_path(uri)
    if not path or not os.path.isfile(path):
        return _failure(ls, f"{uri} is not a file on disk.")
    try:
        outcome = await asyncio.to_thread(_convert, ls, uri, path, options, kind)
    except (UsageProblem, ReadError) as problem:
        where = f":{problem.line}" if getattr(problem, "line", None) else ""
        return _failure(ls, f"{os.path.basename(path)}{where}: {problem.plain}")
    except OSError as problem:
        return _failure(ls, f"cannot read {path}: {problem.strerror or problem}")
    output = _output_path(path, output_given, outcome)
    report = outcome.as_json(path, output, written=False)
    refused = misplaced(ls, path, output) or refusal(
        path, output, how_to_replace="; give another name as the option `output`, or delete it first")
    if refused:
        return _failure(ls, refused + ".", report=report)
    if not outcome.writable:
        return _failure(ls, f"{os.path.basename(path)}: {outcome.why_not_written('skipBad', quoting=False)}",
                        report=report)
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
