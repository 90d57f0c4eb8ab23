"""A document's lines held in as little memory as their text allows.

CPython stores a string at 1, 2 or 4 bytes a character, by its widest character:
one emoji makes a whole line cost 4 bytes a character, and a line of mostly ASCII
with some Korean costs 2. Real training files are full of such lines (the 100 MB
bench file holds its lines in 169 MB as strings, 103 MB as UTF-8). So a line whose
UTF-8 form is smaller is kept as bytes, and decoded when it is read; the checker
(which parses bytes as readily as text) gets the stored items as they are.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, MutableSequence

_BYTES_OVERHEAD = sys.getsizeof(b"")
_LOSSLESS = "surrogatepass"  # lines may hold lone surrogates (a JSON "\ud800" decoded)


def compact(line: str) -> str | bytes:
    """The line as it is stored: its UTF-8 bytes when they take less memory."""
    if line.isascii():
        return line
    encoded = line.encode("utf-8", _LOSSLESS)
    return encoded if len(encoded) + _BYTES_OVERHEAD < sys.getsizeof(line) else line


def expand(item: str | bytes) -> str:
    """A stored line as text."""
    return item.decode("utf-8", _LOSSLESS) if isinstance(item, bytes) else item


class CompactLines(MutableSequence):
    """A list of lines that reads and writes text, and stores each line compactly."""

    __slots__ = ("items",)

    def __init__(self, lines: Iterable[str] = ()):
        self.items: list[str | bytes] = [compact(line) for line in lines]

    @classmethod
    def of_items(cls, items: list[str | bytes]) -> CompactLines:
        """Lines from items stored already (no copy)."""
        lines = cls()
        lines.items = items
        return lines

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [expand(item) for item in self.items[index]]
        return expand(self.items[index])

    def __setitem__(self, index, value) -> None:
        if isinstance(index, slice):
            self.items[index] = [compact(line) for line in value]
        else:
            self.items[index] = compact(value)

    def __delitem__(self, index) -> None:
        del self.items[index]

    def insert(self, index: int, value: str) -> None:
        self.items.insert(index, compact(value))

    def append(self, value: str) -> None:
        self.items.append(compact(value))

    def extend(self, values: Iterable[str]) -> None:
        self.items.extend(compact(value) for value in values)

    def __iter__(self) -> Iterator[str]:
        return map(expand, self.items)

    def __eq__(self, other) -> bool:
        if isinstance(other, CompactLines):
            return self.items == other.items
        return isinstance(other, list) and len(other) == len(self) and all(a == b for a, b in zip(self, other))

    __hash__ = None

    def copy(self) -> CompactLines:
        """A shallow copy: the lines themselves are shared (they are immutable)."""
        return CompactLines.of_items(list(self.items))

    def size(self) -> int:
        """About how many characters the lines hold (bytes for the lines kept as bytes)."""
        return sum(map(len, self.items))

    def __repr__(self) -> str:
        return f"CompactLines({len(self.items)} lines)"
