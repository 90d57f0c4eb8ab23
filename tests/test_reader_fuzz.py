"""The server's message reader under random frames, headers and bodies, interleaved with
valid requests, written as raw bytes to one long-lived `finetune-ls serve`: it never goes
silent while it is alive. After any garbage, every valid request that follows it (each
with a fresh id) is answered within a bounded time, or else the server has ended with a
message on stderr (and is started again for the next example)."""

from __future__ import annotations

import asyncio
import itertools
import json
import threading

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from raw_server import HOVER, RawServer, frame, notification, request

ANSWER_SECONDS = 15
BIG_MESSAGE = 300  # bodies over this many bytes are read in pieces, the way big documents are: both ways are fuzzed

_ids = itertools.count()


class LongLivedServer:
    """One server for every example; started again only if it ended (which must be said on stderr)."""

    def __init__(self, cache_dir: str, monkeypatch):
        self.cache_dir, self.monkeypatch = cache_dir, monkeypatch
        self.server = None
        self.restarts = 0

    def current(self) -> RawServer:
        if self.server is None or self.server.process.poll() is not None:
            if self.server is not None:
                self.server.close()
                self.restarts += 1
            self.monkeypatch.setenv("FINETUNE_LS_BIG_MESSAGE", str(BIG_MESSAGE))
            self.server = RawServer(self.cache_dir)
            self.server.initialize()
        return self.server

    def close(self) -> None:
        if self.server is not None:
            self.server.close()


@pytest.fixture(scope="module")
def long_lived(tmp_path_factory):
    with pytest.MonkeyPatch.context() as monkeypatch:
        server = LongLivedServer(str(tmp_path_factory.mktemp("cache")), monkeypatch)
        yield server
        server.close()


def _body_strategy():
    uri = "file:///nowhere/never-opened.jsonl"
    messages = st.one_of(
        st.builds(lambda i: request(i, "textDocument/hover", HOVER), st.integers(0, 1000)),
        st.builds(lambda i, p: request(i, "textDocument/hover", p), st.integers(0, 1000),
                  st.sampled_from(["x", None, 3, [], {}, {"textDocument": None}])),
        st.builds(lambda i, m: request(i, m, {}), st.integers(0, 1000),
                  st.sampled_from(["textDocument/codeLens", "finetune/summary", "no/suchMethod", "$/unknown"])),
        st.just(notification("textDocument/didChange", {"textDocument": {"uri": uri, "version": 3},
                                                         "contentChanges": [{"text": "x"}]})),
        st.just(notification("$/cancelRequest", {"id": 12345})),
        st.just({"jsonrpc": "2.0", "id": 99, "result": None}),
        st.sampled_from([[], 7, "text", None, {"jsonrpc": "1.0", "method": "x"}, {}]),
        st.builds(lambda text: {"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"text": text}},
                  st.text(max_size=400)),  # long enough to be read in pieces too
    )
    encoded = messages.map(lambda message: json.dumps(message).encode())
    return st.one_of(encoded, encoded.flatmap(lambda body: st.integers(0, len(body)).map(lambda n: body[:n])),
                     st.binary(max_size=60), st.binary(max_size=600))


def _header_strategy(body: bytes):
    n = len(body)
    return st.one_of(
        st.just(b"Content-Length: %d\r\n\r\n" % n),
        st.just(b"content-length: %d\r\n\r\n" % n),
        st.just(b"CONTENT-LENGTH:%d\n\n" % n),
        st.just(b"Content-Length: %d\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n" % n),
        st.integers(0, 2 * n + 700).map(lambda wrong: b"Content-Length: %d\r\n\r\n" % wrong),
        st.sampled_from([b"Content-Length: abc\r\n\r\n", b"Content-Length: -5\r\n\r\n", b"Content-Length:\r\n\r\n",
                         b"Content-Length: 99999999999999999999\r\n\r\n", b"Content-Type: x\r\n\r\n", b"\r\n",
                         b"Content-Length: %d\r\n" % n, b"", b"Content-Length: 5\r\nContent-Length: %d\r\n\r\n" % n]),
    )


_frames = _body_strategy().flatmap(lambda body: _header_strategy(body).map(lambda header: header + body))
_fragments = st.sampled_from([b"Content-Length: ", b"Content-Len", b"\r\n", b"\r\n\r\n", b"\r", b"{", b"}", b":",
                              b"content-length:7\r\n", b"Content-Length: 10000\r\n\r\n"])
_garbage = st.one_of(_frames, _fragments, st.binary(max_size=40))


# No shrinking: once a server has gone deaf every later example fails too, each after the
# full wait; the first falsifying example is reported as it was generated.
@settings(max_examples=80, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(st.lists(st.tuples(st.lists(_garbage, max_size=4), st.booleans()), min_size=1, max_size=4))
def test_the_reader_never_goes_silent_while_alive(long_lived, rounds):
    server = long_lived.current()
    try:
        for garbage, whole_write in rounds:
            probe = f"probe-{next(_ids)}"
            data = b"".join(garbage) + frame(request(probe, "textDocument/hover", HOVER))
            if whole_write:
                server.send(data)
            else:  # piece by piece: headers and bodies cut across reads
                for piece in garbage:
                    server.send(piece)
                server.send(frame(request(probe, "textDocument/hover", HOVER)))
            assert server.answer(probe, ANSWER_SECONDS)["result"] is None
    except (AssertionError, BrokenPipeError):
        if server.process.poll() is None:
            raise  # alive and silent
        # It ended: allowed only with a word on stderr, so the editor restarts it knowing why.
        assert server.exit_code() != 0 and server.stderr.strip(), server.stderr



class _Recorder:
    """A protocol that notes what the reader hands it."""

    def __init__(self):
        self.received, self.errors = [], []

    def receive(self, raw) -> None:
        self.received.append(raw)

    def reply_error(self, msg_id, code, message) -> None:
        self.errors.append((msg_id, int(code)))

    def input_ended(self) -> None:
        pass

    # What a reader that structures and handles messages itself (pygls's way) calls.
    def structure_message(self, data):
        return data

    def handle_message(self, message) -> None:
        self.received.append(message)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_garbage, max_size=4), min_size=1, max_size=4), st.integers(1, 64), st.booleans())
def test_in_process_every_valid_message_after_garbage_is_read(rounds, piece, big_in_pieces):
    """The same, many more times, with the reader in this process (fed `piece` bytes at a
    time): no valid message that follows garbage is lost."""
    from finetune_ls.lsp.wire import messages

    probes = [request(f"probe-{n}", "textDocument/hover", HOVER) for n in range(len(rounds))]
    data = b"".join(b"".join(garbage) + frame(probe) for garbage, probe in zip(rounds, probes))
    recorder = _Recorder()

    async def run():
        reader = asyncio.StreamReader()
        for start in range(0, len(data), piece):
            reader.feed_data(data[start:start + piece])
        reader.feed_eof()
        await asyncio.wait_for(messages.MessageReader().run(threading.Event(), reader, recorder), 20)

    with pytest.MonkeyPatch.context() as monkeypatch:
        if big_in_pieces:
            monkeypatch.setattr(messages, "BIG_BODY", BIG_MESSAGE)
        asyncio.run(run())
    received = [raw for raw in recorder.received if isinstance(raw, dict) and str(raw.get("id")).startswith("probe-")]
    assert received == probes
