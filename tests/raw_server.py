"""`finetune-ls serve` over stdio, written to byte by byte: for the tests of what no LSP
client library sends (broken frames, requests out of order). Every wait is bounded."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time

HOVER = {"textDocument": {"uri": "file:///nowhere/never-opened.jsonl"}, "position": {"line": 0, "character": 0}}
INITIALIZE = {"processId": None, "rootUri": None, "capabilities": {}, "initializationOptions": {}}


def frame(payload: object, header: bytes | None = None) -> bytes:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return (header if header is not None else b"Content-Length: %d\r\n\r\n" % len(body)) + body


def request(request_id, method: str, params: object = None) -> dict:
    return {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}


def notification(method: str, params: object = None) -> dict:
    return {"jsonrpc": "2.0", "method": method, "params": params}


class RawServer:
    """The server as a subprocess; what it sends is read in a thread into `messages`, its
    stderr into `stderr`."""

    def __init__(self, cache_dir: str):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "finetune_ls", "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env={**os.environ, "FINETUNE_LS_CACHE_DIR": cache_dir})
        self.messages: queue.Queue = queue.Queue()
        self.seen: list[dict] = []
        self._stderr = bytearray()
        self._threads = [threading.Thread(target=self._read_messages, daemon=True),
                         threading.Thread(target=self._read_stderr, daemon=True)]
        for thread in self._threads:
            thread.start()

    def _read_messages(self) -> None:
        stream = self.process.stdout
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    self.messages.put(None)
                    return
                if line.strip() == b"":
                    break
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            self.messages.put(json.loads(stream.read(length)))

    def _read_stderr(self) -> None:
        for line in iter(self.process.stderr.readline, b""):
            self._stderr += line

    @property
    def stderr(self) -> str:
        return self._stderr.decode("utf-8", "replace")

    def send(self, data: bytes) -> None:
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def initialize(self) -> dict:
        self.send(frame(request("init", "initialize", INITIALIZE)))
        answer = self.answer("init")
        self.send(frame(notification("initialized", {})))
        return answer

    def answer(self, request_id, timeout: float = 20) -> dict:
        """The server's answer to the request with this id (other messages are kept in `seen`)."""
        return self.wait_for(lambda message: message.get("id") == request_id and "method" not in message, timeout,
                             f"no answer to request {request_id!r}")

    def wait_for(self, wanted, timeout: float = 20, what: str = "no such message") -> dict:
        deadline = time.monotonic() + timeout
        for message in self.seen:
            if wanted(message):
                self.seen.remove(message)
                return message
        while True:
            left = deadline - time.monotonic()
            try:
                message = self.messages.get(timeout=max(left, 0.01))
            except queue.Empty:
                raise AssertionError(f"{what} within {timeout} s; stderr: {self.stderr[-2000:]}") from None
            if message is None:
                self.messages.put(None)  # the end, for the next wait too
                raise AssertionError(f"{what}: the server closed its output; stderr: {self.stderr[-2000:]}")
            if wanted(message):
                return message
            self.seen.append(message)

    def errors(self, code: int) -> list[dict]:
        """The error responses with this code received so far (and not waited for)."""
        while True:
            try:
                message = self.messages.get_nowait()
            except queue.Empty:
                break
            if message is None:
                self.messages.put(None)
                break
            self.seen.append(message)
        return [m for m in self.seen if "method" not in m and m.get("error", {}).get("code") == code]

    def exit_code(self, timeout: float = 20) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the server did not end within {timeout} s; stderr: {self.stderr[-2000:]}") from None

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(20)
        for thread in self._threads:
            thread.join(10)
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            try:
                stream.close()
            except OSError:  # stdin: a broken pipe flushed on close
                pass
