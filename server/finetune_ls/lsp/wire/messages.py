"""Reading the client's messages, with big document texts read as lines.

pygls reads each message whole and parses it with `json.loads`: opening a 100 MB
file makes a 120 MB body, then one string of up to 400 MB (a text with a single
character above U+FFFF is stored at 4 bytes a character), then the lines, and
nothing can be shown before all of that is done. Here a body over BIG_BODY bytes
is read in pieces: the document text inside it is decoded a piece at a time
(cut right after an escaped line break, so that no escape, no surrogate pair and
no UTF-8 sequence is split) straight into lines, while the client is still
writing the rest. A didOpen then hands its lines to the workspace (`take_lines`);
any other message gets its text back as one string, as pygls would have made it.
The frames (headers, bodies, finding the way back after a broken one) are frames.py's.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import threading
from collections.abc import Callable
from typing import Any

import orjson
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from finetune_ls.core.lines import split_lines
from finetune_ls.lsp.documents.compact_lines import CompactLines
from finetune_ls.lsp.wire.frames import BAD, Frames

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

log = logging.getLogger(__name__)
BIG_BODY = int(os.environ.get("FINETUNE_LS_BIG_MESSAGE", 8 << 20))  # bytes; tests lower it
PIECE = max(1 << 12, min(1 << 20, BIG_BODY // 2))  # small: a piece is up to 4x its size once decoded
TURNS_BETWEEN_MESSAGES = 3  # the event loop's turns after each message: see MessageReader.run
PREFIX_LIMIT = 1 << 16  # a text that starts later is read the usual way
_TEXT_KEY = re.compile(rb'"text"\s*:\s*"')
_ESCAPE_OR_QUOTE = re.compile(rb'\\.|"', re.S)
_BREAKS = re.compile(r"\r\n|\r|\n")
_PLACEHOLDER = "\x00finetune-ls: the text read as lines\x00"

EARLY_LINES = 2000  # a big didOpen's lines are handed over this many at a time while the rest is read
_OPENED_ITEM = re.compile(rb'"textDocument"\s*:\s*\{(?P<fields>[^{}]*?),?\s*"text"\s*:\s*"$')
_METHOD = re.compile(rb'"method"\s*:\s*"(?P<method>[^"\\]*)"')

# (uri, language id, the first EARLY_LINES lines) of a document being opened, as soon as they are read.
EarlyListener = Callable[[str, "str | None", list], None]
# (uri, language id, first line, the stored items of EARLY_LINES lines), for every EARLY_LINES lines.
BatchListener = Callable[[str, "str | None", int, list], None]


def widen_pipe(stdin) -> None:
    """Widen the server's stdin pipe, so that a big message comes in fewer reads."""
    if fcntl is not None and hasattr(fcntl, "F_SETPIPE_SZ"):
        try:
            fcntl.fcntl(stdin.fileno(), fcntl.F_SETPIPE_SZ, 1 << 20)
        except (OSError, ValueError, AttributeError):
            pass  # not a pipe, or over this system's limit: the default size works too


class MessageReader:
    """The server's reader of the client's messages (pygls's `io_.run_async`, but for big
    bodies and broken frames): one per server, started by FinetuneServer.start_io/start_tcp.

    While a big didOpen is read, `early_listener` gets its first lines (so its first findings
    can be shown before the rest is in) and `batch_listener` every EARLY_LINES complete lines
    (so they can be checked while the rest comes); the server sets both at `initialize`."""

    def __init__(self):
        self.early_listener: EarlyListener | None = None
        self.batch_listener: BatchListener | None = None
        self.reading_big = False  # a big message is being read
        # The last big didOpen's (uri, lines, breaks): its handler, which comes next, takes them.
        self._opened: list[tuple[str, CompactLines, list[str] | None]] = []

    def take_lines(self, uri: str) -> tuple[CompactLines, list[str] | None] | None:
        """The lines (and breaks, None when all are \\n) of a document just opened with a big
        text, which its didOpen message carries as an empty text."""
        if self._opened and self._opened[0][0] == uri:
            _, lines, breaks = self._opened.pop()
            return lines, breaks
        return None

    async def run(self, stop_event: threading.Event, reader, protocol, error_handler=None) -> None:
        """Read and hand over messages until the client closes its end. A broken frame is
        answered with a parse error and skipped (frames.py), never followed by silence."""
        asyncio.get_running_loop().set_exception_handler(_quiet_when_cancelled)
        frames = Frames(reader)
        while not stop_event.is_set():
            length = await frames.next_length()
            if length is None:
                break  # the client closed its end
            if length == BAD:
                _reject(protocol, "a message's header has no Content-Length that can be read")
                continue
            try:
                if length > BIG_BODY:
                    raw = await self.read_big_body(frames, length)
                else:
                    body = await frames.readexactly(length)
                    if frames.eof and len(body) < length:
                        break  # the client left in the middle of a message
                    try:
                        raw = json.loads(body)
                    except ValueError:
                        frames.unread_tail()  # a length too short may have cut into the next message's header
                        _reject(protocol, "a message's body is not JSON (or its Content-Length is wrong)")
                        continue
            except Exception as error:  # noqa: BLE001 - a big body cut short or not valid: answered, and skipped
                if frames.eof:
                    break
                frames.unread_tail()
                _reject(protocol, f"a message could not be read: {error}")
                continue
            try:
                protocol.receive(raw)  # protocol.py's: answers what it cannot take
            except Exception as error:  # noqa: BLE001 - as pygls does: log it, tell the client, go on
                log.exception("Unable to handle message")
                if error_handler:
                    error_handler(error, JsonRpcException)
            # The next message may be in hand already (frames.py reads what has arrived). pygls's
            # reader gave the event loop a few turns between two messages (a read in a thread per
            # line), and handlers count on them: the task a handler starts has started before the
            # next message (an async didOpen starts the load of a big document, whose first step
            # marks it loading; a request handled before that would find it neither loaded nor loading).
            for _ in range(TURNS_BETWEEN_MESSAGES):
                await asyncio.sleep(0)
        protocol.input_ended()

    async def read_big_body(self, reader, length: int) -> dict[str, Any]:
        """The message as `json.loads` makes it (before pygls structures it), its first
        "text" string read as lines. The whole body is read even when it is not valid, so
        the next message is read from its start."""
        body = _Body(reader, length)
        self.reading_big = True
        try:
            return await self._read(body)
        finally:
            await body.rest()
            self.reading_big = False

    async def _read(self, body: _Body) -> dict[str, Any]:
        head = b""
        match = None
        while match is None and not body.done and len(head) < PREFIX_LIMIT:
            head += await body.next()
            match = _TEXT_KEY.search(head)
        if match is None or _escaped(head, match.start()):
            return json.loads(head + await body.rest())
        prefix, buffer = head[:match.end()], head[match.end():]
        text = _Lines()
        opened = _opened_item(prefix)
        handed = 0  # lines handed to the listeners
        while True:
            cut = _last_break_escape(buffer)
            if cut is not None and text.add(buffer[:cut]):
                buffer = buffer[cut:]
                if opened is not None:
                    handed = self._hand_over(opened, text.lines, handed)
                continue
            # No whole line left in the buffer, or the string ends in it.
            end = _string_end(buffer) if cut is not None or body.done else None
            if end is not None:
                if not text.add(buffer[:end]):
                    raise ValueError("a big message's text string is not valid JSON")
                suffix = buffer[end:] + await body.rest()
                break
            if body.done:
                raise ValueError("a big message's text string does not end")
            buffer += await body.next()
        raw = json.loads(prefix + json.dumps(_PLACEHOLDER).encode()[1:-1] + suffix)
        lines, breaks = text.result()
        document = raw.get("params", {}).get("textDocument") if isinstance(raw.get("params"), dict) else None
        if raw.get("method") == "textDocument/didOpen" and isinstance(document, dict) \
                and document.get("text") == _PLACEHOLDER and isinstance(document.get("uri"), str):
            document["text"] = ""
            self._opened[:] = [(document["uri"], lines, breaks)]
        elif not _put_back(raw, _join(lines, breaks)):
            raise ValueError("a big message's text was not found again")
        return raw

    def _hand_over(self, opened: tuple[str, str | None], lines: CompactLines, handed: int) -> int:
        """Hand the complete lines read since the first `handed` ones (all but the last line,
        which may go on in the next piece) to the listeners, EARLY_LINES at a time; returns
        how many lines they have now."""
        while len(lines) - 1 >= handed + EARLY_LINES:
            if self.batch_listener is not None:  # first: the workers can start while the server checks the head
                self.batch_listener(*opened, handed, lines.items[handed:handed + EARLY_LINES])
            if handed == 0 and self.early_listener is not None:
                self.early_listener(*opened, lines[:EARLY_LINES])
            handed += EARLY_LINES
        return handed


def _quiet_when_cancelled(loop: asyncio.AbstractEventLoop, context: dict) -> None:
    """The event loop's handler of errors nobody caught, except a cancellation: when the
    client goes away (or exits) while a command waits for its answer, the command is
    cancelled, and pygls's callback on it re-raises that, which asyncio printed on stderr
    as a traceback."""
    if isinstance(context.get("exception"), asyncio.CancelledError):
        log.debug("Cancelled: %s", context.get("message"))
        return
    loop.default_exception_handler(context)


def _reject(protocol, reason: str) -> None:
    """Answer a message that could not be read with JSON-RPC's parse error (its id unknown)."""
    log.warning("Parse error: %s", reason)
    protocol.reply_error(None, types.ErrorCodes.ParseError, reason)


def _opened_item(prefix: bytes) -> tuple[str, str | None] | None:
    """(uri, language id) when the text being read is a didOpen's document (LSP's only
    message with a text inside a "textDocument"); the method may come after the params."""
    method = _METHOD.search(prefix)
    item = _OPENED_ITEM.search(prefix)
    if item is None or (method is not None and method.group("method") != b"textDocument/didOpen"):
        return None
    try:
        fields = json.loads(b"{" + item.group("fields") + b"}")
    except ValueError:
        return None
    uri, language = fields.get("uri"), fields.get("languageId")
    return (uri, language if isinstance(language, str) else None) if isinstance(uri, str) else None


class _Body:
    """The unread part of a message body, in pieces, the next one read while the last
    one is decoded (so the client can go on writing)."""

    def __init__(self, reader, remaining: int):
        self.reader, self.remaining, self.size = reader, remaining, 0
        self.ahead: asyncio.Future | None = None
        self._read_ahead()

    def _read_ahead(self) -> None:
        self.ahead = None
        if self.remaining:
            self.size = min(self.remaining, PIECE)
            self.remaining -= self.size
            self.ahead = asyncio.ensure_future(self.reader.readexactly(self.size))

    @property
    def done(self) -> bool:
        return self.ahead is None

    async def next(self) -> bytes:
        piece = await self.ahead
        if len(piece) < self.size:  # the input ended, or the next message's header came first (frames.py)
            self.ahead, self.remaining = None, 0
            raise ValueError("a big message ended before its Content-Length")
        self._read_ahead()
        return piece

    async def rest(self) -> bytes:
        pieces = []
        while not self.done:
            pieces.append(await self.next())
        return b"".join(pieces)


def _escaped(data: bytes, index: int) -> bool:
    """Whether the character at `index` follows an odd number of backslashes."""
    count = 0
    while index > count and data[index - count - 1] == 0x5C:
        count += 1
    return count % 2 == 1


def _last_break_escape(buffer: bytes) -> int | None:
    r"""The position just after the last escaped line break (\n) in the buffer."""
    index = buffer.rfind(b"\\n")
    while index >= 0 and _escaped(buffer, index):
        index = buffer.rfind(b"\\n", 0, index)
    return index + 2 if index >= 0 else None


def _string_end(buffer: bytes) -> int | None:
    """Where the JSON string the buffer is inside of ends (its closing quote)."""
    for match in _ESCAPE_OR_QUOTE.finditer(buffer):
        if match.group() == b'"':
            return match.start()
    return None


class _Lines:
    """A JSON string's content, decoded piece by piece into lines (stored compactly as they
    come, so the whole text never exists at once) and breaks."""

    def __init__(self):
        self.lines = CompactLines([""])
        self.breaks: list[str] | None = None

    def add(self, piece: bytes) -> bool:
        """Decode a piece; False if it is not the inside of a JSON string."""
        quoted = b'"' + piece + b'"'
        try:
            decoded = orjson.loads(quoted)
        except orjson.JSONDecodeError:
            try:
                decoded = json.loads(quoted)  # lone surrogates (\\ud800), which orjson refuses
            except ValueError:
                return False
        if not isinstance(decoded, str):
            return False
        if self.breaks is None and "\r" not in decoded:
            parts = decoded.split("\n")
        else:
            if self.breaks is None:
                self.breaks = ["\n"] * (len(self.lines) - 1)
            parts = split_lines(decoded)
            self.breaks.extend(_BREAKS.findall(decoded))
        self.lines[-1] += parts[0]
        self.lines.extend(parts[1:])
        return True

    def result(self) -> tuple[CompactLines, list[str] | None]:
        return self.lines, self.breaks


def _join(lines: CompactLines, breaks: list[str] | None) -> str:
    if breaks is None:
        return "\n".join(lines)
    return "".join(line + brk for line, brk in zip(lines, breaks)) + lines[-1]


def _put_back(value: Any, text: str) -> bool:
    """Replace the placeholder with the text, wherever it is in the message."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        if item == _PLACEHOLDER:
            value[key] = text
            return True
        if isinstance(item, (dict, list)) and _put_back(item, text):
            return True
    return False
