"""Writing the server's messages with orjson.

pygls encodes every outgoing message with the standard library's json: a keystroke
in a file with a few hundred findings republishes them all, and encoding them took
most of the keystroke's 25 ms on the bench file (331 warnings). orjson writes the
same JSON several times faster. What orjson refuses (a lone surrogate, an integer
over 64 bits) goes the old way. Content-Length counts bytes: orjson writes UTF-8.

Before encoding, lsprotocol's converter (cattrs) turns each Diagnostic into a dict,
walking the fix carried in its `data` value by value: that was three quarters of
what remained. A diagnostic is turned into a dict here instead, its data (plain JSON
values, made by convert.py) taken as it is; a test holds it to cattrs's output.

On stdio, messages are written with `os.write` until every byte is out
(`WholeMessages`), not through `sys.stdout.buffer`: when the server is stopped and
continued (Ctrl-Z in a terminal editor, a system suspend, a profiler attaching) while
a message bigger than the pipe is being written, the write is cut short, and
CPython's buffered writer (3.11, measured) then drops the rest of the message
without an error; the client reads the next message inside this one and the
connection is broken for good.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import os
import select
import sys
import threading
import time

import orjson
from lsprotocol import types
from pygls.exceptions import JsonRpcInternalError
from pygls.protocol import LanguageServerProtocol

log = logging.getLogger(__name__)


def _range(value: types.Range) -> dict:
    return {"start": {"line": value.start.line, "character": value.start.character},
            "end": {"line": value.end.line, "character": value.end.character}}


def unstructure_diagnostic(diagnostic: types.Diagnostic) -> dict:
    """The diagnostic as lsprotocol's converter writes it (fields left unset are left out)."""
    out = {"range": _range(diagnostic.range), "message": diagnostic.message}
    if diagnostic.severity is not None:
        out["severity"] = diagnostic.severity.value
    if diagnostic.code is not None:
        out["code"] = diagnostic.code
    if diagnostic.code_description is not None:
        out["codeDescription"] = {"href": diagnostic.code_description.href}
    if diagnostic.source is not None:
        out["source"] = diagnostic.source
    if diagnostic.tags is not None:
        out["tags"] = [tag.value for tag in diagnostic.tags]
    if diagnostic.related_information is not None:
        out["relatedInformation"] = [
            {"location": {"uri": info.location.uri, "range": _range(info.location.range)}, "message": info.message}
            for info in diagnostic.related_information]
    if diagnostic.data is not None:
        out["data"] = diagnostic.data
    return out


class FastSendingProtocol(LanguageServerProtocol):
    def __init__(self, server, converter):
        super().__init__(server, converter)
        converter.register_unstructure_hook(types.Diagnostic, unstructure_diagnostic)

    def _send_data(self, data) -> None:
        if not data:
            return
        if self.writer is None:
            log.error("Unable to send data, no available transport!")
            return
        try:
            try:
                body = orjson.dumps(data, default=self._serialize_message)
            except (orjson.JSONEncodeError, TypeError):
                body = json.dumps(data, default=self._serialize_message).encode("utf-8")
            if self._include_headers:
                header = (f"Content-Length: {len(body)}\r\n"
                          f"Content-Type: {self.CONTENT_TYPE}; charset={self.CHARSET}\r\n\r\n").encode("ascii")
                body = header + body
            written = self.writer.write(body)
            if inspect.isawaitable(written):
                asyncio.ensure_future(written)
        except BrokenPipeError:
            log.exception("Error sending data. BrokenPipeError")
            raise
        except Exception as error:  # noqa: BLE001 - as pygls does: log it and report it
            log.exception("Error sending data")
            self._server._report_server_error(error, JsonRpcInternalError)


class WholeMessages:
    """A binary stdout for pygls's StdoutWriter (write, flush, close) that writes each
    message whole, one after the other, whatever cuts a write short."""

    def __init__(self, fd: int):
        self.fd = fd
        self.closed = False
        self._lock = threading.Lock()  # messages are written from the event loop; a thread must not cut in
        if sys.platform == "win32":  # CPython sets it for the standard streams already; made sure of here,
            import msvcrt           # as the C runtime's text mode would turn \n into \r\n
            msvcrt.setmode(fd, os.O_BINARY)

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        with self._lock:
            try:
                while view and not self.closed:  # once closed (after exit), what is still sent is dropped
                    try:
                        written = os.write(self.fd, view)  # retried by Python on EINTR (PEP 475)
                    except BlockingIOError:  # a client made the pipe non-blocking: wait for room
                        _wait_for_room(self.fd)
                        continue
                    view = view[written:]
            except BaseException:
                if 0 < len(view) < len(data):
                    self.closed = True  # a message cut off: anything written after it would be misread
                raise
        return len(data)

    def flush(self) -> None:
        pass  # nothing is held back

    def close(self) -> None:
        # The descriptor stays open, as sys.stdout's does: closed, its number would be reused by
        # the next file opened, and a message sent late would be written into that file.
        self.closed = True


def _wait_for_room(fd: int) -> None:
    if sys.platform == "win32":  # select() takes sockets only there
        time.sleep(0.001)
    else:
        select.select([], [fd], [])
