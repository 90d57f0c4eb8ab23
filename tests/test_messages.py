"""Big messages read in pieces (lsp/wire/messages.py): the same message as json.loads makes,
the text of a didOpen split into lines by LSP's rules."""

from __future__ import annotations

import asyncio
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finetune_ls.core.lines import split_lines
from finetune_ls.lsp.wire import messages


class BytesReader:
    """An async reader over bytes that hands out at most `step` bytes per read, as a pipe may."""

    def __init__(self, data: bytes):
        self.data, self.position = data, 0

    async def readexactly(self, count: int) -> bytes:
        piece = self.data[self.position:self.position + count]
        self.position += len(piece)
        return piece


def read(body: bytes, piece: int, monkeypatch, reader: messages.MessageReader | None = None) -> dict:
    monkeypatch.setattr(messages, "PIECE", piece)
    return asyncio.run((reader or READER).read_big_body(BytesReader(body), len(body)))


READER = messages.MessageReader()  # the tests' reader: what a didOpen left in it is taken by the same test


def did_open(text: str, params_first: bool = True, text_last: bool = True) -> dict:
    document = {"uri": "file:///d.jsonl", "languageId": "jsonl", "version": 1}
    document = {**document, "text": text} if text_last else {"text": text, **document}
    head = {"jsonrpc": "2.0", "method": "textDocument/didOpen"}
    return {"params": {"textDocument": document}, **head} if params_first else {**head, "params": {"textDocument": document}}


TRICKY = ['{"a":"b"}', "\n", "\r\n", "\r", "\\", "\\n", '"', "é", "😀", "\u2028", "\x00", "\t", "x" * 9, "\ud800"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TRICKY), max_size=40), st.integers(3, 40), st.booleans(), st.booleans(),
       st.booleans())
def test_a_did_open_gives_its_lines(pieces, piece, ascii_only, params_first, text_last):
    text = "".join(pieces)
    body = json.dumps(did_open(text, params_first, text_last), ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    with pytest.MonkeyPatch.context() as monkeypatch:
        raw = read(body, piece, monkeypatch)
        lines, breaks = READER.take_lines("file:///d.jsonl")
    assert raw == did_open("", params_first, text_last)
    assert lines == split_lines(text)
    assert (breaks is None) == ("\r" not in text)
    if breaks is not None:
        assert "".join(line + brk for line, brk in zip(lines, breaks)) + lines[-1] == text


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(TRICKY), max_size=30), st.integers(3, 40))
def test_other_messages_get_their_text_back_whole(pieces, piece):
    text = "".join(pieces)
    change = {"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": {"uri": "file:///d.jsonl", "version": 2}, "contentChanges": [{"text": text}, {"text": "b"}]}}
    body = json.dumps(change).encode()
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert read(body, piece, monkeypatch) == change
        assert READER.take_lines("file:///d.jsonl") is None


def test_a_message_without_a_text_is_parsed_as_it_is(monkeypatch):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "x", "params": {"items": list(range(500))}}).encode()
    assert read(body, 16, monkeypatch) == json.loads(body)


@pytest.mark.parametrize("body", [b'{"params":{"textDocument":{"text":"abc\\nd', b'{"params":{"textDocument":{"text":"a\\qb"}}}',
                                  b'{"params":{"textDocument":{"text":"a\\nb"}}'])
def test_a_broken_message_is_an_error_and_read_to_its_end(body, monkeypatch):
    monkeypatch.setattr(messages, "PIECE", 4)
    reader = BytesReader(body + b"Content-Length: 2\r\n")
    with pytest.raises(ValueError):
        asyncio.run(messages.MessageReader().read_big_body(reader, len(body)))
    assert reader.position == len(body)  # the next message is read from its start


@pytest.mark.parametrize("params_first", [True, False])
def test_the_first_lines_of_an_opened_document_are_handed_over_before_the_rest_is_read(params_first, monkeypatch):
    text = "".join(f'{{"n":{i}}}\n' for i in range(6000))
    body = json.dumps(did_open(text, params_first)).encode()
    reader = BytesReader(body)
    seen = []
    monkeypatch.setattr(messages, "PIECE", 1024)
    listening = messages.MessageReader()
    listening.early_listener = lambda *args: seen.append((args, reader.position))
    asyncio.run(listening.read_big_body(reader, len(body)))
    [((uri, language, head), position)] = seen
    assert (uri, language, head) == ("file:///d.jsonl", "jsonl", split_lines(text)[:messages.EARLY_LINES])
    assert position < len(body) // 2
    assert listening.take_lines(uri) is not None and listening.take_lines(uri) is None  # taken once


def test_other_messages_hand_nothing_over_early(monkeypatch):
    text = "".join(f'{{"n":{i}}}\n' for i in range(3000))
    change = {"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": {"uri": "file:///d.jsonl", "version": 2}, "contentChanges": [{"text": text}]}}
    seen = []
    listening = messages.MessageReader()
    listening.early_listener = lambda *args: seen.append(args)
    assert read(json.dumps(change).encode(), 1024, monkeypatch, listening) == change
    assert seen == []


def test_the_reader_is_the_servers_and_pygls_is_left_as_it_is():
    """The server starts its own reader (FinetuneServer.start_io/start_tcp): nothing is
    assigned into pygls's modules, and the reading state is the reader's, not the module's."""
    import pygls.io_
    import pygls.server

    from finetune_ls.cli import serve  # noqa: F401  (what `finetune-ls serve` imports)
    from finetune_ls.lsp.server import server

    assert pygls.server.run_async is pygls.io_.run_async
    assert isinstance(server.reader, messages.MessageReader)
    assert not {"early_listener", "batch_listener", "reading_big", "_opened", "take_lines"} & set(vars(messages))
