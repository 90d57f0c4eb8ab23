"""`finetune-ls serve`: TCP for debugging, a log file, and nothing but protocol on stdout."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time


def _message(payload: dict) -> bytes:
    body = json.dumps(payload).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def _reply(stream, request_id: int) -> dict:
    """Read messages until the reply to `request_id` (log notifications may come first)."""
    while True:
        message = _read_message(stream)
        if message.get("id") == request_id:
            return message
        assert message.get("method") in ("window/logMessage", "window/showMessage"), message


def _read_message(stream) -> dict:
    length = 0
    while True:
        line = stream.readline()
        if line in (b"\r\n", b""):
            break
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return json.loads(stream.read(length))


def _initialize(request_id: int = 1) -> bytes:
    return _message({"jsonrpc": "2.0", "id": request_id, "method": "initialize",
                     "params": {"processId": None, "rootUri": None, "capabilities": {}}})


def test_tcp_serves_the_protocol(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = tmp_path / "server.log"
    server = subprocess.Popen([sys.executable, "-m", "finetune_ls", "serve", "--tcp", f"127.0.0.1:{port}",
                               "--log-file", str(log)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            try:
                connection = socket.create_connection(("127.0.0.1", port), timeout=10)
                break
            except OSError:
                time.sleep(0.1)
        with connection:
            connection.sendall(_initialize())
            reply = _reply(connection.makefile("rb"), 1)
        assert reply["id"] == 1 and "textDocumentSync" in reply["result"]["capabilities"]
        assert reply["result"]["serverInfo"]["name"] == "finetune-ls"
        assert "started" in log.read_text()
    finally:
        server.kill()
        server.wait()


def test_stdio_keeps_stdout_for_the_protocol():
    server = subprocess.Popen([sys.executable, "-m", "finetune_ls", "serve", "--log-level", "debug"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        server.stdin.write(_initialize(7))
        server.stdin.flush()
        reply = _reply(server.stdout, 7)
        assert reply["id"] == 7 and reply["result"]["capabilities"]["inlayHintProvider"]
    finally:
        server.kill()
        server.wait()
