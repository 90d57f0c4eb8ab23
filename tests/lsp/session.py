"""Helpers for the language-server tests: open a document, get its diagnostics."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities


def capabilities_of(editor: str) -> types.ClientCapabilities:
    """pytest-lsp's recorded capabilities of an editor. VS Code's recording predates pull
    diagnostics; vscode-languageclient 8 and later announce them, and that they can be
    refreshed, so they are added. Neovim's announce pulls without refreshes (0.10)."""
    capabilities = client_capabilities(editor)
    if editor == "visual-studio-code":
        capabilities.text_document.diagnostic = types.DiagnosticClientCapabilities(
            dynamic_registration=True, related_document_support=False)
        capabilities.workspace.diagnostics = types.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
    return capabilities


async def end_session(client: LanguageClient, timeout: float = 20) -> None:
    """shutdown and exit, waiting for the server to end; a server that does not (a broken
    stream: the answer to shutdown never comes) is killed, as pytest-lsp would otherwise
    wait for it for ever, and the timeout raised."""
    try:
        await asyncio.wait_for(client.shutdown_session(), timeout)
    except asyncio.TimeoutError:
        if client._server.returncode is None:
            client._server.kill()
        raise


def pulls(client: LanguageClient) -> bool:
    """Whether the server announced pull diagnostics to this client (else it pushes them)."""
    return client.initialize_result.capabilities.diagnostic_provider is not None


async def open_document(client: LanguageClient, name: str, text: str, language: str = "jsonl") -> str:
    path: Path = client.work_dir / name
    path.write_text(text, encoding="utf-8")
    uri = path.as_uri()
    client.diagnostics.pop(uri, None)  # what arrives from now on is about this text
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id=language, version=1, text=text)))
    return uri


async def diagnostics(client: LanguageClient, uri: str, timeout: float = 20) -> list[types.Diagnostic]:
    """The document's current diagnostics, pulled or waited for, whichever the client does."""
    if pulls(client):
        await asyncio.sleep(0.15)  # past the server's debounce
        report = await client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri)))
        return list(report.items)
    deadline = asyncio.get_event_loop().time() + timeout
    while uri not in client.diagnostics:
        if asyncio.get_event_loop().time() > deadline:
            raise AssertionError(f"no diagnostics for {uri} within {timeout} s")
        await asyncio.sleep(0.02)
    return list(client.diagnostics[uri])


def change(client: LanguageClient, uri: str, version: int, start: tuple[int, int], end: tuple[int, int],
           text: str) -> None:
    client.diagnostics.pop(uri, None)
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(types.Position(*start), types.Position(*end)), text=text)]))


def replace_all(client: LanguageClient, uri: str, version: int, text: str) -> None:
    client.diagnostics.pop(uri, None)
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))


def units_in(text: str, encoding: str) -> int:
    """The length of `text` in the position encoding the client and server agreed on."""
    if encoding == types.PositionEncodingKind.Utf8:
        return len(text.encode("utf-8"))
    if encoding == types.PositionEncodingKind.Utf32:
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def apply_text_edits(text: str, edits: list[types.TextEdit]) -> str:
    """Apply LSP edits (UTF-16 columns) to a text, as an editor would."""
    from finetune_ls.core.edits import apply_edits
    from finetune_ls.core.findings import TextEdit
    from finetune_ls.core.lines import column_from_utf16, split_lines
    lines = split_lines(text)

    def column(line: int, character: int) -> int:
        return column_from_utf16(lines[line], character) if line < len(lines) else 0

    return apply_edits(text, [TextEdit(e.range.start.line, column(e.range.start.line, e.range.start.character),
                                       e.range.end.line, column(e.range.end.line, e.range.end.character), e.new_text)
                              for e in edits])


def edits_of(workspace_edit: types.WorkspaceEdit) -> list[types.TextEdit]:
    return [edit for change in workspace_edit.document_changes or [] for edit in change.edits]


async def initialize_against(client: LanguageClient, workspace: Path, fake_openai,
                             model: str = "gpt-4.1-mini-2025-04-14") -> types.InitializeResult:
    """Start a session as VS Code would, in the folder `workspace`, with the fake OpenAI
    server (tests/fake_openai) as the API."""
    result = await client.initialize_session(types.InitializeParams(
        capabilities=capabilities_of("visual-studio-code"), root_uri=workspace.as_uri(),
        initialization_options={"model": model, "baseUrl": fake_openai.base_url, "apiTimeout": 5}))
    client.work_dir = workspace
    return result


async def start_in_workspace(client: LanguageClient, workspace: Path) -> None:
    """Start a session as VS Code would, in the folder `workspace`, with empty settings; the
    refresh requests and the questions the server sends are answered (answer_questions)."""
    client.set_configuration({}, section="finetune")
    answer_refreshes(client)
    answer_questions(client)
    client.initialize_result = await client.initialize_session(types.InitializeParams(
        capabilities=capabilities_of("visual-studio-code"), root_uri=workspace.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="work")]))
    client.work_dir = workspace


def configure(client: LanguageClient, **settings) -> None:
    """The client's `finetune` settings, as a configuration change pushes them."""
    client.set_configuration(settings, section="finetune")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"finetune": settings}))


def said_to(client: LanguageClient, *more: object) -> str:
    """Everything the server showed and logged to the client, and `more`, as one text: to
    look for a key that must appear nowhere."""
    return json.dumps([m.message for m in client.messages + client.log_messages]) + "".join(map(repr, more))


async def command(client: LanguageClient, name: str, *arguments):
    """workspace/executeCommand with these arguments in place, as a lens or a client sends them."""
    return await client.workspace_execute_command_async(types.ExecuteCommandParams(command=name,
                                                                                   arguments=list(arguments)))


def take_edits(client: LanguageClient) -> list[types.WorkspaceEdit]:
    """Answer applyEdit as an editor would, keeping each edit for the test."""
    client.applied = []

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def _apply(params: types.ApplyWorkspaceEditParams):
        client.applied.append(params.edit)
        return types.ApplyWorkspaceEditResult(applied=True)
    return client.applied


def answer_refreshes(client: LanguageClient) -> None:
    """Answer the server's requests to ask again for lenses and hints and to register file
    watchers, as an editor does, and note them in client.refreshes / client.registrations."""
    client.refreshes = []
    client.registrations = []

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def _register(params):
        client.registrations.extend(params.registrations)

    @client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
    def _lens_refresh(*args):
        client.refreshes.append("codeLens")

    @client.feature(types.WORKSPACE_INLAY_HINT_REFRESH)
    def _hint_refresh(*args):
        client.refreshes.append("inlayHint")


def answer_questions(client: LanguageClient) -> None:
    """Answer the server's questions (window/showMessageRequest) as a user would: with the
    next title in client.answers (none left: the question is dismissed); each question's text
    is kept in client.asked."""
    client.answers, client.asked = [], []

    @client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
    def _ask(params: types.ShowMessageRequestParams):
        client.asked.append(params.message)
        choice = client.answers.pop(0) if client.answers else None
        return next((a for a in params.actions or [] if a.title == choice), None)
