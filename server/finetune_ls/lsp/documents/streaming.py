"""A big document checked by the workers while the client is still sending it.

Reading a 100 MB didOpen takes the server about 1.6 s; the CLI's workers are busy
from its first tenth of a second. So messages.py hands over every CHUNK_LINES
complete lines as they are decoded, and they go to the workers at once, for the
whole check (structure and tokens, one parse per line, as the CLI does). When the
didOpen is handled, load.py takes the results of the chunks that are still the
document's lines and sends only the rest.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from pygls.uris import to_fs_path

from finetune_ls.core.analysis import FileContext
from finetune_ls.core.document import DocumentCheck
from finetune_ls.lsp.documents.compact_lines import CompactLines
from finetune_ls.lsp.documents.workers import CHUNK_LINES, entries_of, pool, submit


@dataclass
class StreamedCheck:
    uri: str
    context: FileContext
    size_limit: int  # characters past which a document's tokens are not counted
    size: int = 0
    # chunk start -> (the items sent, the future of their entries)
    chunks: dict[int, tuple[list, asyncio.Future]] = field(default_factory=dict)

    def cancel(self) -> None:
        for _, future in self.chunks.values():
            future.cancel()
        self.chunks.clear()


_streaming: StreamedCheck | None = None


def lines_arrived(ls, uri: str, language_id: str | None, start: int, items: list) -> None:
    """CHUNK_LINES complete lines of a big didOpen, from line `start` (messages.py calls
    this for each chunk in order, as it is read)."""
    global _streaming
    with ls.guard("checking lines as they arrive"):
        if start == 0:
            _drop()
            _streaming = _begin(ls, uri, language_id, items)
        stream = _streaming
        if stream is None or stream.uri != uri or start % CHUNK_LINES or len(items) != CHUNK_LINES:
            return  # load.py sends the workers chunks of CHUNK_LINES from line 0: only those can be taken
        stream.size += sum(map(len, items))
        if stream.size > stream.size_limit:
            _drop()  # too big to count its tokens: load.py checks its structure only
            return
        stream.chunks[start] = (items, submit(entries_of, (items, stream.context)))


def _begin(ls, uri: str, language_id: str | None, head: list) -> StreamedCheck | None:
    path = to_fs_path(uri) or uri
    if pool() is None or not ls.serves_path(path, language_id):
        return None
    settings = ls._check_settings(ls.role_of(path))
    if not settings.count_tokens:
        return None  # the structure alone: load.py's first chunk in the server is as quick
    check = DocumentCheck(path, settings)
    check.open(CompactLines.of_items(head), entries=[])
    return StreamedCheck(uri, check.plan.context, ls.settings.max_file_mb * 1_000_000)


def take(uri: str, context: FileContext, items: list) -> dict[int, asyncio.Future]:
    """The futures of the streamed chunks whose lines are still `items[start:start +
    CHUNK_LINES]` (the very same objects: an edit made since makes new ones) and were
    checked for `context`; the others are cancelled."""
    global _streaming
    stream, _streaming = _streaming, None
    if stream is None or stream.uri != uri:
        if stream is not None:
            stream.cancel()
        return {}
    ready = {}
    for start, (sent, future) in stream.chunks.items():
        now = items[start:start + CHUNK_LINES]
        if stream.context == context and len(now) == len(sent) and all(a is b for a, b in zip(now, sent)):
            ready[start] = future
        else:
            future.cancel()
    return ready


def _drop() -> None:
    global _streaming
    if _streaming is not None:
        _streaming.cancel()
        _streaming = None


def forget() -> None:
    """The document being streamed is checked otherwise (it is not big after all, or
    not served): stop its chunks."""
    _drop()
