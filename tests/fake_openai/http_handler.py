"""The HTTP side: read a request off the socket, hand it to the fake, write the answer.

HTTP/1.1 with keep-alive, because the SDK's connection pool reuses
connections; every answer therefore carries a Content-Length.
"""

from __future__ import annotations

import logging
import socketserver
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from .recording import REDACTED, bearer_token
from .routing import Request, Response

if TYPE_CHECKING:
    from .server import FakeOpenAI

logger = logging.getLogger("fake_openai")


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True  # a handler stuck in an injected delay must not block stop()

    def __init__(self, fake: FakeOpenAI) -> None:
        self.fake = fake
        super().__init__(("127.0.0.1", 0), FakeOpenAIHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name (getfqdn), which can
        # stall for seconds without DNS; loopback needs no name.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request, client_address) -> None:
        # Clients that time out on purpose (delay_next) hang up mid-answer.
        logger.debug("connection from %s ended with an error", client_address, exc_info=True)


class FakeOpenAIHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, each answer
    # would wait for the client's delayed ACK (~40 ms).
    disable_nagle_algorithm = True
    server_version = "fake-openai/1"
    sys_version = ""
    server: LoopbackServer

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_DELETE = do_PUT = do_PATCH = do_GET

    def _handle(self) -> None:
        url = urlsplit(self.path)
        headers = {name.lower(): value for name, value in self.headers.items()}
        request = Request(
            self.command, url.path, parse_qs(url.query, keep_blank_values=True), headers, self._read_body()
        )
        secret = bearer_token(headers) or headers.get("api-key") or headers.get("authorization")
        response = self.server.fake._answer(request, secret)
        if response is None:  # land_late_next: no answer at all
            self.close_connection = True
            return
        try:
            self._send(response, secret)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _read_body(self) -> bytes:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()  # the CRLF after each chunk
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):  # trailers
                pass
            return b"".join(chunks)
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, response: Response, secret: str | None) -> None:
        payload = response.encode()
        if secret and response.content_type == "application/json":
            # Last line of defence: no JSON answer may carry the caller's key.
            payload = payload.replace(secret.encode(), REDACTED.encode())
        self.send_response(response.status)
        self.send_header("content-type", response.content_type)
        self.send_header("content-length", str(len(payload)))
        self.send_header("x-request-id", self.server.fake._new_request_id())
        self.send_header("openai-version", "2020-10-01")
        self.send_header("openai-processing-ms", "1")
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args) -> None:
        # Only the request line and status reach the log; never headers.
        logger.debug("%s - %s", self.address_string(), format % args)
