"""Big documents: checked in the background, the first lines' findings first (while the
client is still sending the rest) and then all of it with the tokens, with `$/progress`,
while the server keeps answering; and files checked from disk (VS Code
does not hand documents over 50 MB to extensions at all)."""

from __future__ import annotations

import asyncio
import os
from dataclasses import replace

from lsprotocol import types
from pygls.uris import to_fs_path

from finetune_ls.core.analysis import has_token_counter
from finetune_ls.core.document import DocumentCheck
from finetune_ls.core.lines import split_lines
from finetune_ls.core.regular_files import read_regular
from finetune_ls.lsp.wire.arguments import Arguments
from finetune_ls.lsp.documents.convert import to_diagnostics
from finetune_ls.lsp.documents.document import LineDocument
from finetune_ls.lsp.wire.progress import Progress
from finetune_ls.lsp.server import FinetuneServer, guarded, load_encoding_unless_busy, server
from finetune_ls.lsp.documents.state import OpenDocument, line_diagnostics
from finetune_ls.lsp.documents import disk_check, memory, streaming
from finetune_ls.lsp.documents.workers import entries_of, map_chunks

CHECK_FILE = "finetune.checkFile"
SHOW_FINDINGS_EVERY = 1.0  # seconds between the findings shown while a big document is checked
SETTLE_AFTER_SECONDS = 0.5
LOAD_ENCODING_AFTER_SECONDS = 1.0


def open_large(ls: FinetuneServer, document: LineDocument) -> OpenDocument:
    state = ls.open(document, check_lines=False)
    start_load(ls, state)
    return state


def start_load(ls: FinetuneServer, state: OpenDocument) -> None:
    """Check a big document (again) in the background; a check of it still running is
    dropped (the settings changed meanwhile, say)."""
    if state.load_task is not None and not state.load_task.done():
        state.load_task.cancel()
    state.load_task = asyncio.ensure_future(_load_guarded(ls, state))


async def _load_guarded(ls: FinetuneServer, state: OpenDocument) -> None:
    with ls.guard(f"checking {state.name}"):
        await load(ls, state)


async def load(ls: FinetuneServer, state: OpenDocument) -> None:
    """Check a big document in the background, in the workers, in one pass (findings and
    tokens together, one parse per line, as the CLI does), taking the chunks they checked
    while the client was still sending the text (streaming.py). The findings are shown as
    they come, about once a second. Edits made meanwhile wait, and are applied to the
    lines once they are checked."""
    settings = ls._check_settings(state.role, state.overrides)
    if state.document.contents.size() > ls.settings.max_file_mb * 1_000_000:
        settings = replace(settings, count_tokens=False)  # the structure only, as the setting says
    snapshot = state.document.contents.copy()  # a shallow copy: the lines themselves are shared
    state.document.take_changes()  # edits so far are in the snapshot; later ones are applied after
    check = DocumentCheck(state.path, settings)
    check.open_streamed(snapshot)
    state.check, state.loading = check, True  # before any await: requests meanwhile see a loading document
    ready = streaming.take(state.uri, check.plan.context, snapshot.items)
    # Until the workers' first results: the first lines' findings, checked as they came. Without
    # them, the diagnostics shown stay until the first results replace them (a document just
    # opened has none: a pull then gets none, instead of a report of lines not checked yet).
    early = _early_entries(state.uri, snapshot)
    if early or not state.result_id:
        state.partial_diagnostics(early, ls.settings.max_diagnostics)
    if early:
        ls.send_diagnostics(state)
    loop = asyncio.get_running_loop()
    async with Progress(ls, f"Checking {state.name}") as progress:
        shown = None
        # The first chunk here, for the quickest first findings, unless the workers have it
        # already, or it needs an encoding this process has not built yet (~0.4 s; theirs is).
        encoding = check.plan.context.encoding
        first_here = not ready and (encoding is None or has_token_counter(encoding))
        async for _, chunk in map_chunks(entries_of, snapshot.items, check.plan.context,
                                         first_here=first_here, ready=ready):
            check.add_entries(chunk)
            done = len(check.entries)
            progress.report(f"{done:,} of {len(snapshot):,} lines", 100 * done // len(snapshot))
            if shown is None or loop.time() - shown >= SHOW_FINDINGS_EVERY:
                state.partial_diagnostics(check.entries, ls.settings.max_diagnostics)
                ls.send_diagnostics(state)
                shown = loop.time()
        if ls.documents.get(state.uri) is not state or state.check is not check:
            return  # closed, or checked again from scratch, meanwhile
        state.apply_changes(ls.settings.max_diagnostics)  # the edits made meanwhile, so the report has them
        progress.report("the summary", 100)
        await asyncio.to_thread(check.report)  # off the event loop; edits still wait, so nothing changes it
        if ls.documents.get(state.uri) is not state or state.check is not check:
            return
        state.loading = False
        state.apply_changes(ls.settings.max_diagnostics)  # those made while the report was made
        ls.publish_soon(state.uri, delay=0)
        # What reading the message, the workers' results and the report freed; a moment
        # later, so the summary and the diagnostics are not kept waiting for it.
        asyncio.get_running_loop().call_later(SETTLE_AFTER_SECONDS, memory.settle)
        ls.refresh_views()  # lenses and hints show the summary and the tokens
        if check.plan.context.encoding:  # for the edits to come (left alone while the document loaded)
            # A moment later: building it holds the interpreter for ~0.2 s, and the lenses, hints
            # and summary the client asks for now would wait. An edit sooner loads it itself.
            asyncio.get_running_loop().call_later(
                LOAD_ENCODING_AFTER_SECONDS, load_encoding_unless_busy, ls, check.plan.context.encoding)


def publish_early(ls: FinetuneServer, uri: str, language_id: str | None, head: list[str]) -> None:
    """The findings of a big document's first lines, pushed while the client is still
    sending the rest (messages.py calls this). A client that pulls diagnostics asks once
    the document is open: load() shows them then."""
    global _early
    _early = None
    with ls.guard("checking the first lines"):
        path = to_fs_path(uri) or uri
        if not ls.serves_path(path, language_id):
            return
        check = DocumentCheck(path, replace(ls._check_settings(ls.role_of(path)), count_tokens=False))
        check.open(head)  # its first line read without a byte-order mark, as in every check
        entries = check.entries
        _early = (uri, head, entries)
        if not ls.pulls_diagnostics:
            diagnostics = line_diagnostics(entries, uri, head, ls.workspace.position_encoding,
                                           ls.settings.max_diagnostics)
            ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics))


_early: tuple[str, list[str], list[tuple]] | None = None  # (uri, lines, their entries) of publish_early


def _early_entries(uri: str, contents) -> list[tuple]:
    """publish_early's entries, if they were for this document's first lines as they are."""
    global _early
    early, _early = _early, None
    if early is None or early[0] != uri or contents[:len(early[1])] != early[1]:
        return []
    return early[2]


@server.command(CHECK_FILE)
@guarded("checking a file from disk")
async def check_from_disk(ls: FinetuneServer, *args) -> dict | None:
    """Check a file from disk and publish its diagnostics: for files the editor does not
    hand over (VS Code skips documents over 50 MB), on request, on save or on changes.
    Argument: uri."""
    uri = Arguments(CHECK_FILE, args, ("uri",)).uri()
    path = to_fs_path(uri) or uri
    if not os.path.isfile(path):
        ls.show(f"finetune-ls: {path} is not a file.", types.MessageType.Warning)
        return None
    ls.disk_files.add(uri)
    # One check of a file at a time (a save and a watched change come together): the last
    # one asked for reads the file last and is shown last.
    async with _disk_locks.setdefault(uri, asyncio.Lock()):
        async with Progress(ls, f"Checking {os.path.basename(path)}") as progress:
            report = await disk_check.check_file(path, ls._check_settings("training"), lambda done, size: (
                progress.report(f"{done / 1e6:,.0f} of {size / 1e6:,.0f} MB", 100 * done // max(size, 1))))
        encoding = ls.workspace.position_encoding
        # Findings carry UTF-16 columns; other encodings need the lines, read in a thread.
        lines = [] if encoding in (types.PositionEncodingKind.Utf16, None) else \
            await asyncio.to_thread(_disk_lines, path)
        diagnostics = to_diagnostics(report.findings, uri, lines, encoding, ls.settings.max_diagnostics)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics))
        ls.disk_summaries[uri] = report.summary
    return {"uri": uri, **report.summary}


_disk_locks: dict[str, asyncio.Lock] = {}


def _disk_lines(path: str) -> list[str]:
    """The lines of a file on disk (not on the event loop: it may be big)."""
    return split_lines(read_regular(path).decode("utf-8", "replace"))


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
async def did_save(ls: FinetuneServer, params: types.DidSaveTextDocumentParams) -> None:
    if params.text_document.uri in ls.disk_files and params.text_document.uri not in ls.documents:
        await check_from_disk(ls, params.text_document.uri)


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
async def watched_files_changed(ls: FinetuneServer, params: types.DidChangeWatchedFilesParams) -> None:
    for change in params.changes:
        if change.uri in ls.disk_files and change.uri not in ls.documents:
            if change.type == types.FileChangeType.Deleted:
                ls.disk_files.discard(change.uri)
                ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=change.uri, diagnostics=[]))
            else:
                await check_from_disk(ls, change.uri)
