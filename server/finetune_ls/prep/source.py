"""A JSONL file as the lines the preparation commands work on: each example's exact bytes
(kept as they are when the example is kept unchanged) and its parsed value."""

from __future__ import annotations

from dataclasses import dataclass

import orjson


class NotAnExample(ValueError):
    """A line that is not a JSON object: the commands refuse the file rather than guess."""


@dataclass(frozen=True, slots=True)
class Line:
    number: int  # 1-based, as people and `check` count them
    raw: bytes  # the line as in the file, with its line break when it had one
    value: dict

    @property
    def content(self) -> bytes:
        """The line without its break."""
        return self.raw.rstrip(b"\r\n")

    def terminated(self) -> bytes:
        """The line with a break, so that it can be followed by another one."""
        return self.raw if self.raw.endswith(b"\n") else self.raw + b"\n"


@dataclass
class Source:
    lines: list[Line]
    blank: list[int]  # numbers of the empty lines, which no output keeps


def read_source(data: bytes) -> Source:
    """Split a file's bytes into examples. Raises NotAnExample for the first line that is
    not a JSON object (run `finetune-ls check` for the whole picture)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    lines, blank = [], []
    for number, raw in enumerate(data.splitlines(keepends=True), 1):
        body = raw.rstrip(b"\r\n")
        if not body.strip():
            blank.append(number)
            continue
        try:
            value = orjson.loads(body)
        except orjson.JSONDecodeError as error:
            raise NotAnExample(f"line {number} is not valid JSON ({error}); run finetune-ls check and fix it first") \
                from None
        if not isinstance(value, dict):
            raise NotAnExample(f"line {number} is not a JSON object; run finetune-ls check and fix it first")
        lines.append(Line(number, raw, value))
    return Source(lines, blank)


def join(lines: list[Line]) -> bytes:
    return b"".join(line.terminated() for line in lines)
