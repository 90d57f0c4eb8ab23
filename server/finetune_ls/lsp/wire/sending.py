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

A document's diagnostics are mostly the same from one keystroke to the next (an edit
changes the findings of its own lines only), yet each publication carries them all.
Each diagnostic's JSON is kept (`EncodedDiagnostics`, one per document) while the
diagnostic object is unchanged, and spliced into the message as it is (orjson.Fragment):
only new diagnostics and those moved by an edit (state.py forgets them) are encoded again.

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
from contextlib import contextmanager

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


class EncodedDiagnostics:
    """A document's diagnostics as last sent, each one's JSON kept while the same (unchanged)
    object is sent again. Whoever changes a diagnostic in place must `forget` it."""

    def __init__(self):
        self._sent: dict[int, tuple[types.Diagnostic, orjson.Fragment]] = {}  # by id(); holds the object
        self._sending: dict[int, tuple[types.Diagnostic, orjson.Fragment]] | None = None

    def encoded(self, diagnostic: types.Diagnostic) -> orjson.Fragment:
        """The diagnostic's JSON, from the last message when it was in it."""
        key = id(diagnostic)
        entry = self._sent.get(key)
        if entry is None or entry[0] is not diagnostic:
            entry = (diagnostic, orjson.Fragment(orjson.dumps(unstructure_diagnostic(diagnostic))))
        if self._sending is not None:
            self._sending[key] = entry
        return entry[1]

    def forget(self, diagnostic: types.Diagnostic) -> None:
        self._sent.pop(id(diagnostic), None)

    def start(self) -> None:
        self._sending = {}

    def finish(self, sent: bool) -> None:
        """Keep what the message just sent holds (what the next one is likely to hold too)."""
        if sent:
            self._sent = self._sending
        self._sending = None


class FastSendingProtocol(LanguageServerProtocol):
    def __init__(self, server, converter):
        super().__init__(server, converter)
        self._encodings: EncodedDiagnostics | None = None  # the document whose diagnostics are being sent
        converter.register_unstructure_hook(types.Diagnostic, self._unstructure_diagnostic)

    def _unstructure_diagnostic(self, diagnostic: types.Diagnostic):
        if self._encodings is None:
            return unstructure_diagnostic(diagnostic)
        return self._encodings.encoded(diagnostic)

    @contextmanager
    def encoding_with(self, encodings: EncodedDiagnostics):
        """Messages sent inside take a document's diagnostics from `encodings` (pygls sends a
        notification at once, in the caller's turn of the event loop)."""
        self._encodings = encodings
        encodings.start()
        sent = False
        try:
            yield
            sent = True
        finally:
            self._encodings = None
            encodings.finish(sent)

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
                body = self._encode_slowly(data)
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


    def _encode_slowly(self, data) -> bytes:
        """With the standard library's json, which takes what orjson refuses (and no kept
        diagnostics: it cannot splice orjson's fragments)."""
        encodings, self._encodings = self._encodings, None
        try:
            return json.dumps(data, default=self._serialize_message).encode("utf-8")
        finally:
            self._encodings = encodings


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
