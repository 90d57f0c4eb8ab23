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
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging

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
