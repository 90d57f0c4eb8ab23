"""The client's byte stream cut into messages (`Content-Length` framing), that finds its way
back after a broken frame instead of going deaf.

pygls reads a header only when it is exactly `Content-Length: N\\r\\n`, and then trusts N: a
lowercase name (header names are case-insensitive), a length that is not a number, or
one that is wrong, and every later message was read as part of a body or skipped as a
header, for good. Here:

- a header line is found wherever it is in a line (after what is left of a broken
  message), its name in any case; the last one before the blank line counts;
- a body stops where a header line turns up in it (a length too long would otherwise
  swallow the messages after it): a `Content-Length: N` line ending in a raw line
  break is never inside valid JSON (unquoted, or a raw line break in a string);
- so a body that is not JSON can hold no more than the start of the next header, at
  its end (a length too short cut into it): its last bytes are read again as headers.
"""

from __future__ import annotations

import asyncio
import re

CHUNK = 1 << 20  # at most this much is asked for at once; a read returns what the pipe holds
LINE_KEEP = 4096  # of an overlong line read for headers only its end is kept: a header is short
BAD = -1  # next_length: a header block whose length cannot be read
_NAME = re.compile(rb"content-length", re.I)
_VALUE = re.compile(rb"[ \t]*:[ \t]*(\d{1,15})[ \t]*\r?\n?")
_HEADER_LINE = re.compile(rb"content-length[ \t]*:[ \t]*\d+[ \t]*\r?\n", re.I)
HEADER_REACH = 64  # a header line in a body is looked for this far before each line break


def _chunk_reader(reader):
    """A function reading what has arrived, up to n bytes (b"" at the end): an asyncio
    StreamReader's `read`, or `read1` of the stdin of pygls's StdinAsyncReader, in its
    threads (a `read` of n bytes would wait for all n)."""
    if isinstance(reader, asyncio.StreamReader):
        return reader.read
    stdin = reader.stdin

    def read(count: int):
        return asyncio.get_running_loop().run_in_executor(reader.executor, stdin.read1, count)
    return read


class Frames:
    """Reads headers and bodies from a reader, with what was read but not used kept for
    the next read."""

    def __init__(self, reader):
        self._read = _chunk_reader(reader)
        self._buffer = bytearray()
        self.eof = False  # the client closed its end
        self.cut = False  # the body being read stopped at a header line: it reads as empty until reset
        self.body_tail = b""  # the last bytes of the body read since next_length

    async def _fill(self) -> bool:
        """Read what has arrived into the buffer; False at the end of the input."""
        if self.eof:
            return False
        chunk = await self._read(CHUNK)
        if not chunk:
            self.eof = True
            return False
        self._buffer += chunk
        return True

    def unread_tail(self) -> None:
        """Put the end of the body just read back in front, to be read again as headers: the
        body was not JSON, and may end with the start of the next message's header."""
        self._buffer[:0] = self.body_tail
        self.body_tail = b""

    async def readline(self) -> bytes:
        """The next line with its line break (the end of an overlong one), or what is left
        at the end of the input (b"" when nothing is)."""
        searched = 0
        while True:
            end = self._buffer.find(b"\n", searched)
            if end >= 0:
                line = bytes(self._buffer[:end + 1])
                del self._buffer[:end + 1]
                return line[-LINE_KEEP:]
            if len(self._buffer) > LINE_KEEP:
                del self._buffer[:len(self._buffer) - LINE_KEEP]
            searched = len(self._buffer)
            if not await self._fill():
                line = bytes(self._buffer)
                self._buffer.clear()
                return line

    async def next_length(self) -> int | None:
        """The Content-Length of the next message, once its header block has ended (a blank
        line); BAD if the block had none that can be read; None at the end of the input.
        Blank lines between messages are skipped; other lines are other headers."""
        length, in_block = None, False
        self.cut, self.body_tail = False, b""
        while True:
            line = await self.readline()
            if not line:
                return None
            if not line.strip():
                if in_block:
                    return BAD if length is None else length
                continue
            in_block = True
            name = None
            for name in _NAME.finditer(line):
                pass  # the last one: a broken message's rest may come before it on its line
            if name is not None:
                value = _VALUE.fullmatch(line, name.end())
                length = int(value.group(1)) if value else None

    async def readexactly(self, count: int) -> bytes:
        """Up to `count` bytes of a body: fewer at the end of the input, or when a header line
        turns up in them; then that header is left to be read next and, until `next_length`,
        reads give nothing (`cut`)."""
        if self.cut:
            return b""
        scanned = 0
        while True:
            end = min(count, len(self._buffer))
            header = self._header_in(scanned, end)
            if header is not None or end == count or not await self._fill():
                end = header if header is not None else min(count, len(self._buffer))
                self.cut = header is not None
                piece = bytes(self._buffer[:end])
                del self._buffer[:end]
                self.body_tail = (self.body_tail + piece[-HEADER_REACH:])[-HEADER_REACH:]
                return piece
            scanned = end

    def _header_in(self, start: int, end: int) -> int | None:
        """Where a header line that ends in buffer[start:end] starts."""
        newline = self._buffer.find(b"\n", start, end)
        while newline >= 0:
            match = _HEADER_LINE.search(self._buffer, max(0, newline - HEADER_REACH), newline + 1)
            if match is not None:
                return match.start()
            newline = self._buffer.find(b"\n", newline + 1, end)
        return None
