"""Helpers for the language-server tests: open a document, get its diagnostics."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient


def pulls(client: LanguageClient) -> bool:
    return bool(client.capabilities.text_document and client.capabilities.text_document.diagnostic)


async def open_document(client: LanguageClient, name: str, text: str, language: str = "jsonl") -> str:
    path: Path = client.work_dir / name
    path.write_text(text, encoding="utf-8")
    uri = path.as_uri()
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
    client.diagnostics.pop(uri, None)
    deadline = asyncio.get_event_loop().time() + timeout
    while uri not in client.diagnostics:
        if asyncio.get_event_loop().time() > deadline:
            raise AssertionError(f"no diagnostics for {uri} within {timeout} s")
        await asyncio.sleep(0.02)
    return list(client.diagnostics[uri])
