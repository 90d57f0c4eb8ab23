"""Dataset preparation as editor commands (`workspace/executeCommand`): split a file into
new training and validation files, dedupe or redact a document, its stats. Files are
never written here: new files and changes go to the editor as one `workspace/applyEdit`
each, so the user sees them and can undo them. The text is the open document's, or the
file's on disk."""

from __future__ import annotations

import asyncio
import functools
import os

from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path

from finetune_ls.core.lines import split_lines
from finetune_ls.core.regular_files import NotRegularFile, read_regular
from finetune_ls.lsp.documents.document import from_code_points, split_keeping_breaks
from finetune_ls.lsp.wire.arguments import Arguments
from finetune_ls.lsp.server import FinetuneServer, server
from finetune_ls.prep.dedupe import dedupe
from finetune_ls.prep.plot import histogram_svg
from finetune_ls.prep.redact import line_replacements
from finetune_ls.lsp.commands.new_files import misplaced, new_file_changes
from finetune_ls.prep.outputs import default_output, refusal
from finetune_ls.prep.source import NotAnExample, Source, join, read_source
from finetune_ls.prep.split import check_validation_share, split
from finetune_ls.prep.stats import compute_stats, stats_json, stats_table


class Refused(Exception):
    """Shown to the user and answered as {"error": sentence}."""


async def _document(ls: FinetuneServer, uri: object) -> tuple[str, str, Source, int | None, str]:
    """(path, text, examples, version of the open document or None, position encoding)."""
    path = to_fs_path(uri) if isinstance(uri, str) else None
    if not path:
        raise Refused(f"{uri!r} is not a file URI")
    state = ls.documents.get(uri)
    if state is not None:
        text, version, encoding = state.document.source, state.document.version, state.document.encoding
    else:
        try:  # in a thread: a slow disk or a big file never holds up the other requests
            text = (await asyncio.to_thread(read_regular, path)).decode("utf-8")
        except NotRegularFile as problem:  # a pipe would be waited on, /dev/zero read for ever
            raise Refused(f"cannot read {path}: {problem.strerror}") from None
        except (OSError, UnicodeDecodeError) as problem:
            raise Refused(f"cannot read {os.path.basename(path)}: {problem}") from None
        version, encoding = None, types.PositionEncodingKind.Utf16
    try:
        source = await asyncio.to_thread(read_source, text.encode("utf-8", "surrogateescape"))
    except NotAnExample as problem:
        raise Refused(f"{os.path.basename(path)}: {problem}") from None
    return path, text, source, version, encoding


def _refusing(handler):
    @functools.wraps(handler)
    async def run(ls: FinetuneServer, *args):
        try:
            return await handler(ls, *args)
        except (Refused, ValueError) as problem:
            ls.show(f"finetune-ls: {problem}", types.MessageType.Error)
            return {"error": str(problem)}
    return run


async def _apply(ls: FinetuneServer, label: str, changes: list) -> bool:
    result = await ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(
        edit=types.WorkspaceEdit(document_changes=changes), label=label))
    return bool(result and result.applied)


def _position(lines: list[str], line: int, column: int, encoding: str) -> types.Position:
    return types.Position(line, from_code_points(lines[line], column, encoding))


def _edit_on(uri: str, version: int | None, edits: list[types.TextEdit]) -> types.TextDocumentEdit:
    return types.TextDocumentEdit(text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version),
                                  edits=edits)


def _share(value: float) -> bool:
    try:
        return check_validation_share(value) is not None
    except ValueError:
        return False


@server.command("finetune.splitFile")
@_refusing
async def split_file(ls: FinetuneServer, *args) -> dict:
    """Arguments: uri, valid (fraction or count, 0.1), seed (0), stratify (true), force (false)."""
    given = Arguments("finetune.splitFile", args, ("uri", "valid", "seed", "stratify", "force"))
    uri = given.uri()
    valid = given.number("valid", "a fraction between 0 and 1, or a whole count of examples", _share, 0.1)
    seed, stratify, force = given.integer("seed", 0), given.flag("stratify", True), given.flag("force", False)
    path, _, source, _, _ = await _document(ls, uri)
    result = split(source.lines, valid, seed, stratify=stratify)
    if not result.train or not result.valid:
        raise Refused("the duplicates are too many to keep them on one side; dedupe the file first")
    outputs = {"train": (default_output(path, "train"), result.train),
               "valid": (default_output(path, "valid"), result.valid)}
    for target, _ in outputs.values():
        problem = misplaced(ls, path, target) or refusal(
            path, target, replace=force, how_to_replace="; run the command again with force to replace it")
        if problem:
            raise Refused(problem)
    changes = [change for target, lines in outputs.values()
               for change in new_file_changes(from_fs_path(target), join(lines).decode("utf-8", "surrogateescape"), force)]
    applied = await _apply(ls, f"Split {os.path.basename(path)}", changes)
    answer = {name: {"uri": from_fs_path(target), "examples": len(lines)} for name, (target, lines) in outputs.items()}
    return {"applied": applied, **answer, "labels": result.labels, "blankLines": source.blank}


def _without_lines(text: str, removed: set[int], encoding: str) -> types.TextEdit:
    """One edit, from the first removed line to the end, that leaves out the removed lines
    (separate deletions would overlap where the last line has no break)."""
    lines, pieces = split_lines(text), split_keeping_breaks(text)
    first = min(removed)
    tail = "".join(piece for number, piece in enumerate(pieces[first:], first) if number not in removed)
    end = _position(lines, len(lines) - 1, len(lines[-1]), encoding)
    return types.TextEdit(range=types.Range(types.Position(first, 0), end), new_text=tail)


@server.command("finetune.dedupeFile")
@_refusing
async def dedupe_file(ls: FinetuneServer, *args) -> dict:
    """Arguments: uri, exact (false: near duplicates too). Removes the later copies."""
    given = Arguments("finetune.dedupeFile", args, ("uri", "exact"))
    uri, exact = given.uri(), given.flag("exact", False)
    _, text, source, version, encoding = await _document(ls, uri)
    result = dedupe(source.lines, near=not exact)
    edits = [_without_lines(text, {r.line.number - 1 for r in result.removed}, encoding)] if result.removed else []
    applied = await _apply(ls, "Remove duplicate examples", [_edit_on(uri, version, edits)]) if edits else False
    return {"applied": applied, "kept": len(result.kept),
            "removed": [{"line": r.line.number, "duplicateOf": r.kept, "kind": r.kind} for r in result.removed]}


@server.command("finetune.redactFile")
@_refusing
async def redact_file(ls: FinetuneServer, *args) -> dict:
    """Arguments: uri. Replaces what the privacy rules find with placeholders."""
    uri = Arguments("finetune.redactFile", args, ("uri",)).uri()
    _, text, source, version, encoding = await _document(ls, uri)
    lines = split_lines(text)
    edits, replaced = [], []
    for example in source.lines:
        line = example.number - 1
        for match in line_replacements(lines[line], example.value):
            edits.append(types.TextEdit(range=types.Range(_position(lines, line, match.start, encoding),
                                                          _position(lines, line, match.end, encoding)),
                                        new_text=match.placeholder))
            replaced.append({"line": example.number, "column": match.start + 1, "code": match.code})
    applied = await _apply(ls, "Redact private data", [_edit_on(uri, version, edits)]) if edits else False
    return {"applied": applied, "replacements": replaced}


@server.command("finetune.stats")
@_refusing
async def stats(ls: FinetuneServer, *args) -> dict:
    """Arguments: uri, model (default: the setting, else per format). The numbers, the table
    `finetune-ls stats` prints, and an SVG histogram of the tokens per example."""
    given = Arguments("finetune.stats", args, ("uri", "model"))
    uri, model = given.uri(), given.text("model", None)
    path, _, source, _, _ = await _document(ls, uri)
    state = ls.documents.get(uri)  # an open file's own target and model (its lenses), as its check counts
    settings = ls._check_settings(state.role, state.overrides) if state else ls._check_settings("training")
    numbers = compute_stats(source.lines, model or settings.model, settings)
    return {**stats_json(numbers), "table": stats_table(numbers, os.path.basename(path)),
            "histogram": histogram_svg(numbers.per_example_tokens, f"Tokens per example: {os.path.basename(path)}",
                                       f"tokens ({numbers.encoding})")}
