"""The server under messages no well-behaved client sends, written as raw bytes to its stdin:
broken frames, params that do not fit, requests out of order. Each is answered as LSP and
JSON-RPC say (or skipped), and the server keeps answering; it ends with the exit code LSP
gives, and with no traceback when the client goes away."""

from __future__ import annotations

import json

import pytest

from raw_server import HOVER, RawServer, frame, notification, request

PARSE_ERROR, INVALID_REQUEST, INVALID_PARAMS, NOT_INITIALIZED = -32700, -32600, -32602, -32002


@pytest.fixture
def server(tmp_path):
    started = RawServer(str(tmp_path / "cache"))
    yield started
    started.close()


def _hover(request_id) -> bytes:
    return json.dumps(request(request_id, "textDocument/hover", HOVER)).encode()


def _still_answers(server: RawServer, request_id) -> None:
    server.send(frame(_hover(request_id)))
    assert server.answer(request_id) == {"jsonrpc": "2.0", "id": request_id, "result": None}


def test_header_names_in_any_case_are_read(server):
    server.initialize()
    body = _hover(1)
    server.send(b"content-length: %d\r\n\r\n" % len(body) + body)
    assert server.answer(1)["result"] is None
    server.send(b"CONTENT-LENGTH:%d\r\ncontent-type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n" % len(body)
                + _hover(2))
    assert server.answer(2)["result"] is None


@pytest.mark.parametrize("broken", [
    pytest.param(lambda body: b"Content-Length: abc\r\n\r\n" + body, id="length-not-a-number"),
    pytest.param(lambda body: b"Content-Length: %d\r\n\r\n" % (len(body) - 7) + body, id="length-too-short"),
    pytest.param(lambda body: b"Content-Length: %d\r\n\r\n" % (len(body) + 40) + body, id="length-too-long"),
    pytest.param(lambda body: b"Content-Length: 3\r\n\r\n", id="length-cuts-into-the-next-header"),
    pytest.param(lambda body: b"Content-Type: text/plain\r\n\r\n" + body, id="no-length"),
    pytest.param(lambda body: b"\x00\xff garbage {\r\n" + body[:9], id="garbage"),
])
def test_after_a_broken_frame_the_next_request_is_answered(server, broken):
    server.initialize()
    server.send(broken(_hover(1)))
    _still_answers(server, 2)
    _still_answers(server, 3)


def test_a_body_that_is_not_json_gets_a_parse_error_with_a_null_id(server):
    server.initialize()
    server.send(frame(b'{"jsonrpc": "2.0", "id": 4, "method": '))
    error = server.wait_for(lambda m: m.get("error", {}).get("code") == PARSE_ERROR, what="no parse error")
    assert "id" in error and error["id"] is None
    _still_answers(server, 5)


@pytest.mark.parametrize("params", ["x", None, 3, {"textDocument": "x"}])
def test_a_request_whose_params_do_not_fit_gets_invalid_params(server, params):
    server.initialize()
    server.send(frame(request(6, "textDocument/hover", params)))
    assert server.answer(6)["error"]["code"] == INVALID_PARAMS
    _still_answers(server, 7)


@pytest.mark.parametrize("message", [[1, 2], "text", {"jsonrpc": "1.0", "id": 8, "method": "textDocument/hover"},
                                     {"jsonrpc": "2.0", "id": 8, "method": 5}, {"jsonrpc": "2.0"}])
def test_what_is_not_a_json_rpc_message_gets_invalid_request(server, message):
    server.initialize()
    server.send(frame(message))
    error = server.wait_for(lambda m: m.get("error", {}).get("code") == INVALID_REQUEST, what="no invalid request")
    assert error["id"] in (8, None)
    _still_answers(server, 9)


def test_a_request_before_initialize_gets_server_not_initialized(server):
    server.send(frame(request(10, "textDocument/hover", HOVER)))
    assert server.answer(10)["error"]["code"] == NOT_INITIALIZED
    assert "capabilities" in server.initialize()["result"]
    _still_answers(server, 11)


def test_requests_after_shutdown_get_invalid_request_and_exit_then_ends_with_0(server):
    server.initialize()
    server.send(frame(request(12, "shutdown")))
    assert server.answer(12) == {"jsonrpc": "2.0", "id": 12, "result": None}
    server.send(frame(_hover(13)))
    assert server.answer(13)["error"]["code"] == INVALID_REQUEST
    server.send(frame(request(14, "shutdown")))
    assert server.answer(14)["error"]["code"] == INVALID_REQUEST
    server.send(frame(notification("exit")))
    assert server.exit_code() == 0


def test_exit_without_shutdown_ends_with_1(server):
    server.initialize()
    server.send(frame(notification("exit")))
    assert server.exit_code() == 1


def test_a_change_to_a_document_never_opened_is_ignored_without_an_error_shown(server):
    server.initialize()
    for method in ("textDocument/didChange", "textDocument/didClose"):
        server.send(frame(notification(method, {
            "textDocument": {"uri": "file:///nowhere/never-opened.jsonl", "version": 2},
            "contentChanges": [{"text": "{}"}]})))
    _still_answers(server, 15)
    shown = [m for m in server.seen if m.get("method") == "window/showMessage"]
    assert shown == []


def test_the_end_of_the_input_ends_the_server_with_a_line_and_no_traceback(server):
    server.initialize()  # also starts the worker pool in the background, which the end must stop cleanly
    server.send(b"Content-Length: 100\r\n\r\n{")  # and a message cut off by the end
    server.process.stdin.close()
    assert server.exit_code() == 1
    assert "Traceback" not in server.stderr
    assert "without shutdown and exit" in server.stderr

