"""A server stopped and continued while it writes big messages (Ctrl-Z in a terminal
editor, a system suspend, a profiler attaching) still sends every message whole.

CPython's buffered stdout dropped the rest of a message whose write to the pipe was cut
short by the stop: the client then read the next message inside it, and never got the
answer it was waiting for."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
import time

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from lsp.session import answer_refreshes, capabilities_of, diagnostics, end_session, open_document

pytestmark = [
    pytest.mark.asyncio(loop_scope="function"),
    pytest.mark.skipif(not hasattr(signal, "SIGSTOP"), reason="stopping a process needs POSIX signals"),
]
LINES = 3000
ROUNDS = 12


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "finetune_ls", "serve"]))
async def client(lsp_client: LanguageClient, tmp_path):
    answer_refreshes(lsp_client)
    lsp_client.initialize_result = await lsp_client.initialize_session(types.InitializeParams(
        capabilities=capabilities_of("visual-studio-code"), root_uri=tmp_path.as_uri(),
        initialization_options={"model": "gpt-4o-mini-2024-07-18", "maxDiagnostics": 1_000_000}))
    lsp_client.work_dir = tmp_path
    yield
    await end_session(lsp_client)


class StopAndContinue:
    """Stops and continues a process every few milliseconds, in a thread, until closed
    (and always leaves it running)."""

    def __init__(self, pid: int):
        self.pid = pid
        self.stops = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with contextlib.suppress(ProcessLookupError):  # the server ended: the test says how
            while not self._done.is_set():
                os.kill(self.pid, signal.SIGSTOP)
                self.stops += 1
                time.sleep(0.002)
                os.kill(self.pid, signal.SIGCONT)
                time.sleep(0.004)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._done.set()
        self._thread.join()
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGCONT)
        return False


async def test_big_answers_arrive_whole_while_the_server_is_stopped_and_continued(client: LanguageClient):
    # Every line has a finding with a fix, and is an example: the diagnostics and the
    # symbols each make a message of several hundred KB, many times a pipe's 64 KB.
    text = "".join('{"messages":[{"role":"bot","content":"question %d"},{"role":"assistant","content":"answer"}]}\n'
                   % number for number in range(LINES))
    uri = await open_document(client, "stopped.jsonl", text)
    expected_diagnostics = await diagnostics(client, uri)
    assert len(expected_diagnostics) >= LINES
    document = types.TextDocumentIdentifier(uri=uri)
    expected_symbols = await client.text_document_document_symbol_async(types.DocumentSymbolParams(document))
    assert len(expected_symbols) == LINES

    with StopAndContinue(client._server.pid) as stopper:
        for _ in range(ROUNDS):
            symbols = await asyncio.wait_for(
                client.text_document_document_symbol_async(types.DocumentSymbolParams(document)), 20)
            assert symbols == expected_symbols
            report = await asyncio.wait_for(client.text_document_diagnostic_async(
                types.DocumentDiagnosticParams(text_document=document)), 20)
            assert list(report.items) == expected_diagnostics
    # The stopper ran while the answers were written. (With CPython's buffered stdout, which the
    # server used before, this test fails: an answer cut short never arrives whole.)
    assert stopper.stops > ROUNDS
