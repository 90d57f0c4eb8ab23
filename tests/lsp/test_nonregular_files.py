"""Commands on what is not a plain file, over stdio with a real LSP client: a named pipe
(which no writer opens) is refused at once, and a hover asked meanwhile is answered (the
server once waited on the pipe, with every request behind it); /dev/zero is refused, not
read until the memory runs out.

The server runs with a bounded address space, so a regression that reads /dev/zero fails
with a MemoryError instead of taking the machine's memory; every wait has a deadline."""

from __future__ import annotations

import asyncio
import errno
import json
import os
import sys

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from lsp.conftest import SENTINEL_CACHE
from lsp.session import answer_refreshes, capabilities_of, end_session, open_document

pytestmark = pytest.mark.asyncio(loop_scope="function")

MEMORY_LIMIT = 2 * 1024**3
DEADLINE = 30
BOUNDED_SERVER = ("import resource, runpy, sys; "
                  f"resource.setrlimit(resource.RLIMIT_AS, ({MEMORY_LIMIT}, {MEMORY_LIMIT})); "
                  "sys.argv = ['finetune-ls', 'serve']; runpy.run_module('finetune_ls', run_name='__main__')")
LINE = json.dumps({"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]})


BOUNDED = ClientServerConfig(server_command=[sys.executable, "-c", BOUNDED_SERVER],
                             server_env={**os.environ, **SENTINEL_CACHE})


async def _session(lsp_client: LanguageClient, tmp_path, editor: str):
    answer_refreshes(lsp_client)
    lsp_client.initialize_result = await lsp_client.initialize_session(types.InitializeParams(
        capabilities=capabilities_of(editor), root_uri=tmp_path.as_uri(),
        initialization_options={"model": "gpt-4o-mini-2024-07-18"}))
    lsp_client.work_dir = tmp_path


@pytest_lsp.fixture(config=BOUNDED)
async def client(lsp_client: LanguageClient, tmp_path):
    await _session(lsp_client, tmp_path, "visual-studio-code")
    yield
    await end_session(lsp_client)


@pytest_lsp.fixture(config=BOUNDED)
async def utf8_client(lsp_client: LanguageClient, tmp_path):
    """Neovim 0.11 counts positions in UTF-8 bytes."""
    await _session(lsp_client, tmp_path, "neovim")
    yield
    await end_session(lsp_client)


async def _command(client: LanguageClient, name: str, *arguments):
    request = client.workspace_execute_command_async(types.ExecuteCommandParams(command=name,
                                                                                arguments=list(arguments)))
    return await asyncio.wait_for(request, DEADLINE)


async def _writer_once_read(fifo, request: asyncio.Future) -> int | None:
    """A descriptor writing to the pipe, once the server holds it open to read (an opening
    for writing that does not wait succeeds only then), or None when the request ended first.
    The server reading it then waits for data that does not come, until it is closed."""
    while not request.done():
        try:
            return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as problem:
            if problem.errno != errno.ENXIO:  # ENXIO: nobody reads it yet
                raise
        await asyncio.sleep(0.01)
    return None


async def test_stats_on_a_pipe_is_refused_and_a_hover_meanwhile_answered(client: LanguageClient):
    uri = await open_document(client, "chat.jsonl", (LINE + "\n") * 12)
    fifo = client.work_dir / "pipe.jsonl"
    os.mkfifo(fifo)
    stats = asyncio.ensure_future(_command(client, "finetune.stats", fifo.as_uri()))
    writer = await _writer_once_read(fifo, stats)
    try:
        hover = client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(0, 5)))
        answered = await asyncio.wait_for(hover, DEADLINE)
        assert "tokens" in answered.contents.value
    finally:
        if writer is not None:
            os.close(writer)  # a server still reading the pipe reads its end and goes on
    assert await stats == {"error": f"cannot read {fifo}: not a regular file (a named pipe)"}


@pytest.mark.parametrize("command", ["finetune.dedupeFile", "finetune.splitFile", "finetune.redactFile",
                                     "finetune.stats"])
async def test_dev_zero_is_refused(client: LanguageClient, command: str):
    answer = await _command(client, command, "file:///dev/zero")
    assert answer == {"error": "cannot read /dev/zero: not a regular file (a character device)"}
    link = client.work_dir / "zero.jsonl"
    link.symlink_to("/dev/zero")
    answer = await _command(client, command, link.as_uri())
    assert answer == {"error": f"cannot read {link}: not a regular file (a character device)"}


async def test_a_file_checked_from_disk_has_ranges_in_the_clients_encoding(utf8_client: LanguageClient):
    """The disk check reads the file's lines (in a thread) when the client does not count in UTF-16."""
    assert utf8_client.initialize_result.capabilities.position_encoding == types.PositionEncodingKind.Utf8
    line = '{"messages":[{"role":"user","content":"é😀漢"},{"role":"bot","content":"x"}]}'
    path = utf8_client.work_dir / "disk.jsonl"
    path.write_text((line + "\n") * 3, encoding="utf-8")
    result = await _command(utf8_client, "finetune.checkFile", path.as_uri())
    assert result["examples"] == 3
    deadline = asyncio.get_running_loop().time() + DEADLINE
    while path.as_uri() not in utf8_client.diagnostics:  # published before the answer; waited for all the same
        assert asyncio.get_running_loop().time() < deadline, "no diagnostics published"
        await asyncio.sleep(0.02)
    role = next(d for d in utf8_client.diagnostics[path.as_uri()] if d.code == "unknown-role")
    start = len(line[:line.index('"bot"')].encode("utf-8"))
    assert (role.range.start.character, role.range.end.character) == (start, start + 5)
