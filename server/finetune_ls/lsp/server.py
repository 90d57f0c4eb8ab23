"""The language server: the engine's findings, tokens and costs for every open JSONL file.

Handlers only wire LSP messages to the modules that do the work (diagnostics here;
features/, commands/, documents/); the checking itself is the same core the CLI uses.
The server owns its message reader (wire/messages.py) and starts it itself.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import sys
import threading
import traceback
from dataclasses import replace
from typing import BinaryIO

from lsprotocol import types
from pygls.io_ import StdinAsyncReader, StdoutWriter
from pygls.lsp.server import LanguageServer

from finetune_ls import __version__
from finetune_ls.core.document import DocumentCheck
from finetune_ls.core.engine import TRAINING, VALIDATION
from finetune_ls.lsp.documents.document import LineDocument, LineWorkspace
from finetune_ls.lsp.documents.state import BACKGROUND_LINES, OpenDocument
from finetune_ls.lsp.settings import SECTION, ServerSettings
from finetune_ls.lsp.wire.arguments import InvalidArgument
from finetune_ls.lsp.wire.messages import MessageReader, widen_pipe
from finetune_ls.lsp.wire.protocol import FinetuneProtocol

log = logging.getLogger("finetune_ls.lsp")
LANGUAGES = ("jsonl", "finetune")
DEBOUNCE_SECONDS = 0.05  # the full report after this much quiet, so a burst of keystrokes is folded once
LARGE_DEBOUNCE_SECONDS = 1.0  # big documents: their full report (duplicates, counts) takes ~0.2 s
ENCODING_AFTER_SECONDS = 3.0  # the server loads its encoding this long after the start, if nothing big is going on


class FinetuneServer(LanguageServer):
    def __init__(self):
        super().__init__("finetune-ls", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
                         protocol_cls=FinetuneProtocol)
        self.settings = ServerSettings()
        self.catalog, _ = self.settings.catalog_or_problem()
        self.documents: dict[str, OpenDocument] = {}
        self._pending: dict[str, asyncio.TimerHandle] = {}
        self._reported_errors: set[str] = set()
        self.disk_files: set[str] = set()  # files checked from disk (not open): checked again when they change
        self.disk_summaries: dict[str, dict] = {}
        self.api_key: str | None = None  # handed over by the editor (finetune.setApiKey); never logged
        # Azure: (account, model) -> (when, the deployment or {"error": ...}), for ghost text.
        self.deployment_lookups: dict[tuple, tuple[float, object]] = {}
        self.reader = MessageReader()

    # ------------------------------------------------------------ the message reader
    # pygls 2.1 (pinned in pyproject.toml) starts its own reader, io_.run_async, inside
    # start_io and start_tcp, with no way to pass another. These two are its bodies with
    # that reader replaced by the server's own (messages.py: big texts read as lines while
    # they come, broken frames answered). Compare with pygls's when upgrading it.
    def start_io(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        stdin = stdin or sys.stdin.buffer
        widen_pipe(stdin)
        self._stop_event = threading.Event()
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
        try:
            asyncio.run(self.reader.run(self._stop_event, StdinAsyncReader(stdin, self.thread_pool), self.protocol,
                                        error_handler=self.report_server_error))
        except BrokenPipeError:
            log.error("Connection to the client is lost! Shutting down the server.")
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.shutdown()

    def start_tcp(self, host: str, port: int) -> None:
        log.info("Starting TCP server on %s:%s", host, port)
        self._stop_event = stop_event = threading.Event()

        async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.protocol.set_writer(writer)
            await self.reader.run(stop_event, reader, self.protocol, error_handler=self.report_server_error)
            self.shutdown()

        async def serve() -> None:
            self._server = await asyncio.start_server(connection, host, port)
            async with self._server:
                await self._server.serve_forever()

        try:
            asyncio.run(serve())
        except asyncio.CancelledError:
            log.debug("Server was cancelled")

    # ------------------------------------------------------------ settings
    def apply_settings(self, value: object) -> None:
        settings, problems = ServerSettings.from_client(value, self.settings)
        catalog, catalog_problem = settings.catalog_or_problem()
        for problem in problems + ([catalog_problem] if catalog_problem else []):
            self.show(f"finetune-ls settings: {problem}", types.MessageType.Warning)
        changed = settings != self.settings or catalog is not self.catalog
        self.settings, self.catalog = settings, catalog
        if changed:
            self.recheck_all()

    def recheck_all(self) -> None:
        for state in list(self.documents.values()):
            self.recheck(state)

    def recheck(self, state: OpenDocument) -> None:
        """Check every line again (settings or this file's model or epochs changed)."""
        if len(state.document.contents) > BACKGROUND_LINES:
            load.start_load(self, state)
            return
        state.check = DocumentCheck(state.path, self._check_settings(state.role, state.overrides))
        state.check.open(state.document.contents)
        self.publish_soon(state.uri, delay=0)

    def _check_settings(self, role: str, overrides: dict | None = None):
        settings = self.settings.check_settings(self.catalog, role)
        for key, value in (overrides or {}).items():
            setattr(settings, key, value)
        if (overrides or {}).get("target"):  # this file's target (its lens): that target's catalog and provider
            settings.catalog, _ = self.settings.catalog_or_problem(settings.target)
            settings.provider = replace(self.settings, target=settings.target).hosted_provider
        return settings

    # ------------------------------------------------------------ documents
    def serves(self, document: LineDocument) -> bool:
        return self.serves_path(document.path or "", document.language_id)

    def serves_path(self, path: str, language_id: str | None) -> bool:
        return (language_id in LANGUAGES or path.lower().endswith(".jsonl")) and not self.settings.ignored(path)

    def role_of(self, path: str) -> str:
        """Validation when an open document names this file as its validation file."""
        paths = [state.path for state in self.documents.values()]
        return VALIDATION if self.settings.is_validation(path, paths) else TRAINING

    def open(self, document: LineDocument, check_lines: bool = True) -> OpenDocument:
        """Start serving a document. Its lines are checked here unless `check_lines` is False
        (big documents: load.py checks them in the background)."""
        role = self.role_of(document.path)
        state = OpenDocument(document.uri, document, DocumentCheck(document.path, self._check_settings(role)), role)
        self.documents[document.uri] = state
        if check_lines:
            state.check.open(document.contents)
            document.take_changes()
        validation = self.open_partner(state) if role == TRAINING else None
        if validation is not None and validation.role == TRAINING:
            # Its validation file was opened first, and taken for a training file until now.
            validation.role = VALIDATION
            self.recheck(validation)
        return state

    def partner(self, state: OpenDocument) -> OpenDocument | None:
        """The partner whose report marks overlap with this one's: not while it is still being
        loaded (a report of part of it; the overlap is marked in both once it is loaded)."""
        found = self.open_partner(state)
        return None if found is None or found.loading else found

    def open_partner(self, state: OpenDocument) -> OpenDocument | None:
        """The open validation file of a training file, or the training file of a validation file."""
        if state.role == VALIDATION:
            training = self.settings.is_validation(state.path, [s.path for s in self.documents.values()])
            return next((s for s in self.documents.values() if s.path == training), None)
        validation = self.settings.validation_for(state.path)
        return next((s for s in self.documents.values() if s.path == validation), None) if validation else None

    # ------------------------------------------------------------ diagnostics
    @staticmethod
    def can_pull_diagnostics(capabilities: types.ClientCapabilities) -> bool:
        """Pull diagnostics only for a client that can also be told to pull again: a big
        document's diagnostics and file-level findings come after the client's pull."""
        text, workspace = capabilities.text_document, capabilities.workspace
        refresh = workspace.diagnostics if workspace else None
        return bool(text and text.diagnostic and refresh and refresh.refresh_support)

    @property
    def pulls_diagnostics(self) -> bool:
        return self.can_pull_diagnostics(self.client_capabilities)

    def publish_soon(self, uri: str, delay: float = DEBOUNCE_SECONDS) -> None:
        """Publish after `delay` of quiet; a newer edit replaces the pending publication."""
        pending = self._pending.pop(uri, None)
        if pending is not None:
            pending.cancel()
        loop = asyncio.get_event_loop()
        self._pending[uri] = loop.call_later(delay, self._publish, uri)

    def _publish(self, uri: str) -> None:
        self._pending.pop(uri, None)
        state = self.documents.get(uri)
        if state is None or state.loading:
            return
        if state.folds_elsewhere and state.check._report is None:
            asyncio.ensure_future(self._fold_elsewhere(state))
            return
        with self.guard("publishing diagnostics"):
            state.refresh_diagnostics(self.settings.max_diagnostics, self.partner(state))
            self.send_diagnostics(state)
            partner = self.partner(state)
            if partner is not None:  # overlap is flagged in both files
                partner.refresh_diagnostics(self.settings.max_diagnostics, state)
                self.send_diagnostics(partner)

    async def _fold_elsewhere(self, state: OpenDocument) -> None:
        """A big document's report, made in a thread from a snapshot: the event loop keeps
        answering keystrokes meanwhile. Used only if nothing changed; else made again."""
        check, version = state.check, state.document.version
        snapshot = check.snapshot()
        with self.guard("making the report"):
            report = await asyncio.to_thread(snapshot.report)
            if self.documents.get(state.uri) is not state or state.check is not check:
                return
            if state.document.version != version:
                self.publish_soon(state.uri, LARGE_DEBOUNCE_SECONDS)
                return
            check.adopt(report)
            self._publish(state.uri)
            self.refresh_views()  # lenses and hints show the new summary and tokens

    def send_diagnostics(self, state: OpenDocument) -> None:
        """Push the document's diagnostics, or tell a pulling client to pull them."""
        if self.pulls_diagnostics:
            self._refresh("diagnostics", self.workspace_diagnostic_refresh)
        else:
            with self.protocol.encoding_with(state.encoded):  # the JSON of diagnostics sent before, kept
                self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
                    uri=state.uri, diagnostics=state.diagnostics, version=state.document.version))

    def refresh_views(self) -> None:
        """Ask the client to ask again for lenses and hints (after a model or epochs change)."""
        self._refresh("code_lens", self.workspace_code_lens_refresh)
        self._refresh("inlay_hint", self.workspace_inlay_hint_refresh)

    def _refresh(self, capability: str, request) -> None:
        workspace = self.client_capabilities.workspace
        support = getattr(workspace, capability, None) if workspace else None
        if support is not None and getattr(support, "refresh_support", False):
            request(None)

    # ------------------------------------------------------------ messages
    def show(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))

    def guard(self, action: str):
        """Log an exception in a handler, tell the user once per kind, and carry on."""
        server = self

        class _Guard:
            def __enter__(self):
                return self

            def __exit__(self, kind, error, trace):
                if error is None or isinstance(error, (asyncio.CancelledError, InvalidArgument)):
                    return False  # a wrong argument is answered as such (InvalidParams), not hidden
                log.error("finetune-ls failed while %s:\n%s", action, "".join(traceback.format_exception(error)))
                key = f"{action}:{type(error).__name__}"
                if key not in server._reported_errors:
                    server._reported_errors.add(key)
                    server.show(f"finetune-ls failed while {action} ({type(error).__name__}: {error}); it keeps "
                                "running. The log has the details.", types.MessageType.Error)
                return True

        return _Guard()


def guarded(action: str, default=None):
    """Decorator: a handler, plain or async, that never raises (see FinetuneServer.guard)."""
    def wrap(handler):
        if inspect.iscoroutinefunction(handler):
            @functools.wraps(handler)
            async def run_async(server: FinetuneServer, *args):
                with server.guard(action):
                    return await handler(server, *args)
                return default
            return run_async

        @functools.wraps(handler)
        def run(server: FinetuneServer, *args):
            with server.guard(action):
                return handler(server, *args)
            return default
        return run
    return wrap


def for_document(action: str, default=None):
    """Decorator for a request about one document: the handler gets the open document's
    state with the params, never raises, and the default answers for documents not served."""
    def wrap(handler):
        if inspect.iscoroutinefunction(handler):
            @functools.wraps(handler)
            async def run_async(server: FinetuneServer, params):
                state = server.documents.get(params.text_document.uri)
                if state is None:
                    return default
                with server.guard(action):
                    return await handler(server, state, params)
                return default
            return run_async

        @functools.wraps(handler)
        def run(server: FinetuneServer, params):
            state = server.documents.get(params.text_document.uri)
            if state is None:
                return default
            with server.guard(action):
                return handler(server, state, params)
            return default
        return run
    return wrap


def command_document(ls: FinetuneServer, command: str, uri: object) -> OpenDocument | dict:
    """The open document a command is about, or the error it answers (and shows) when it
    came without one (a command palette sends no arguments) or for a document not open."""
    if not isinstance(uri, str) or not uri:
        problem = f"{command} needs the URI of an open JSONL document as its first argument."
    elif uri in ls.documents:
        return ls.documents[uri]
    else:
        problem = f"{command}: {uri} is not open (or not a JSONL document)."
    ls.show(f"finetune-ls: {problem}", types.MessageType.Warning)
    return {"error": problem}


server = FinetuneServer()


# ---------------------------------------------------------------- lifecycle
@server.feature(types.INITIALIZE)
def initialize(ls: FinetuneServer, params: types.InitializeParams) -> None:
    # pygls has just made its Workspace: hold documents as lines instead (document.py).
    ls.protocol._workspace = LineWorkspace.replacing(ls.protocol.workspace, ls.reader.take_lines)
    ls.reader.early_listener = functools.partial(load.publish_early, ls)
    ls.reader.batch_listener = functools.partial(streaming.lines_arrived, ls)
    if not ls.can_pull_diagnostics(params.capabilities):
        # Not announced, so the client takes pushed diagnostics (a client that pulls and is
        # also pushed to would show both). The capabilities are built after this handler.
        ls.protocol.fm.features.pop(types.TEXT_DOCUMENT_DIAGNOSTIC, None)
    ls.apply_settings(params.initialization_options)
    log.info("finetune-ls %s started for %s", __version__, params.client_info.name if params.client_info else "a client")


def load_encoding_unless_busy(ls: FinetuneServer, encoding: str | None = None) -> None:
    """The encoding for the server's own counting, once the start or a big document's load is
    over. Building it holds the interpreter for ~0.2 s, which reading a big document needs:
    a document being read or checked then asks for it again when it is done (load.py)."""
    if not ls.reader.reading_big and not any(state.loading for state in ls.documents.values()):
        workers.load_encoding_in_background(encoding or workers.PRELOADED_ENCODING)


@server.feature(types.INITIALIZED)
async def initialized(ls: FinetuneServer, params: types.InitializedParams) -> None:
    workers.start_in_background()  # ready when a big document comes
    asyncio.get_running_loop().call_later(ENCODING_AFTER_SECONDS, load_encoding_unless_busy, ls)
    await _watch_jsonl_files(ls)
    await _fetch_configuration(ls)


async def _watch_jsonl_files(ls: FinetuneServer) -> None:
    """Ask the client to report changes to *.jsonl files, so files checked from disk (not
    open in the editor) are checked again when they change."""
    workspace = ls.client_capabilities.workspace
    watched = workspace.did_change_watched_files if workspace else None
    if not (watched and watched.dynamic_registration):
        return
    try:
        await ls.client_register_capability_async(types.RegistrationParams(registrations=[types.Registration(
            id="finetune-ls-jsonl-files", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=types.DidChangeWatchedFilesRegistrationOptions(
                watchers=[types.FileSystemWatcher(glob_pattern="**/*.jsonl")]))]))
    except Exception as error:  # noqa: BLE001 - without watchers, files from disk are checked on request
        log.info("the client did not register the *.jsonl file watcher (%s)", error)


async def _fetch_configuration(ls: FinetuneServer) -> None:
    workspace = ls.client_capabilities.workspace
    if not (workspace and workspace.configuration):
        return
    with ls.guard("reading the settings"):
        values = await ls.workspace_configuration_async(
            types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)]))
        if values:
            ls.apply_settings(values[0])


@server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
async def did_change_configuration(ls: FinetuneServer, params: types.DidChangeConfigurationParams) -> None:
    settings = params.settings
    if isinstance(settings, dict) and SECTION in settings:
        ls.apply_settings(settings[SECTION])
    else:
        await _fetch_configuration(ls)


# ---------------------------------------------------------------- document sync
@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
async def did_open(ls: FinetuneServer, params: types.DidOpenTextDocumentParams) -> None:
    with ls.guard("opening a document"):
        document = ls.workspace.get_text_document(params.text_document.uri)
        params.text_document.text = ""  # the document holds the lines now; let the one big string go
        if not isinstance(document, LineDocument) or not ls.serves(document):
            return
        if len(document.contents) > BACKGROUND_LINES:
            load.open_large(ls, document)
            return
        streaming.forget()  # checked here, at once: what the workers were given is not needed
        state = ls.open(document)
        ls.publish_soon(state.uri, delay=0)
        partner = ls.partner(state)
        if partner is not None:
            ls.publish_soon(partner.uri, delay=0)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
@guarded("checking an edit")
def did_change(ls: FinetuneServer, params: types.DidChangeTextDocumentParams) -> None:
    state = ls.documents.get(params.text_document.uri)
    if state is None or state.loading:  # a document still loading takes its edits when loaded
        return
    state.apply_changes(ls.settings.max_diagnostics)
    ls.send_diagnostics(state)  # the edited lines' own findings, at once
    ls.publish_soon(state.uri, LARGE_DEBOUNCE_SECONDS if state.folds_elsewhere else DEBOUNCE_SECONDS)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
@guarded("closing a document")
def did_close(ls: FinetuneServer, params: types.DidCloseTextDocumentParams) -> None:
    state = ls.documents.get(params.text_document.uri)
    partner = ls.partner(state) if state is not None else None
    ls.documents.pop(params.text_document.uri, None)
    if state is not None and state.load_task is not None:
        state.load_task.cancel()
    if state is not None and state.large:
        asyncio.get_running_loop().call_soon(memory.give_back)  # once its lines are gone
    pending = ls._pending.pop(params.text_document.uri, None)
    if pending is not None:
        pending.cancel()
    if state is not None and not ls.pulls_diagnostics:
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=state.uri, diagnostics=[]))
    if partner is not None:  # its overlap with the closed file is no longer shown
        ls.publish_soon(partner.uri, delay=0)


@server.feature(types.TEXT_DOCUMENT_DIAGNOSTIC,
                types.DiagnosticOptions(identifier="finetune-ls", inter_file_dependencies=True,
                                        workspace_diagnostics=False))
def pull_diagnostics(ls: FinetuneServer, params: types.DocumentDiagnosticParams):
    state = ls.documents.get(params.text_document.uri)
    if state is None:
        return types.RelatedFullDocumentDiagnosticReport(items=[])
    with ls.guard("computing diagnostics"):
        if not state.result_id:  # before the first report: make it now
            state.refresh_diagnostics(ls.settings.max_diagnostics, ls.partner(state))
        # Otherwise the diagnostics as they are: patched at once after an edit, and complete
        # again when the pending full report is made (the client is then told to pull again).
        if params.previous_result_id == str(state.result_id):
            return types.RelatedUnchangedDocumentDiagnosticReport(result_id=str(state.result_id))
        return types.RelatedFullDocumentDiagnosticReport(items=state.diagnostics, result_id=str(state.result_id))
    return types.RelatedFullDocumentDiagnosticReport(items=[])


@server.feature(types.SHUTDOWN)
def shutdown(ls: FinetuneServer, *args) -> None:
    workers.shutdown()


# Imported for the handlers they register on the server.
import finetune_ls.lsp.commands.catalog  # noqa: E402,F401
import finetune_ls.lsp.commands.deployments  # noqa: E402,F401
import finetune_ls.lsp.commands.hygiene  # noqa: E402,F401
import finetune_ls.lsp.commands.operations  # noqa: E402,F401
import finetune_ls.lsp.commands.prep  # noqa: E402,F401
import finetune_ls.lsp.features.actions  # noqa: E402,F401
import finetune_ls.lsp.features.editing  # noqa: E402,F401
import finetune_ls.lsp.features.hints  # noqa: E402,F401
import finetune_ls.lsp.features.inline  # noqa: E402,F401
from finetune_ls.lsp.documents import load, memory, streaming, workers  # noqa: E402
