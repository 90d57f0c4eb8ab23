"""Chunks checked while a big didOpen streams in are taken only while they are still the
document's lines, for the same check."""

import asyncio

from finetune_ls.core.analysis import FileContext
from finetune_ls.lsp.documents import streaming
from finetune_ls.lsp.documents.workers import CHUNK_LINES


def _stream(items, context):
    loop = asyncio.new_event_loop()
    chunks = {}
    for start in range(0, len(items) - CHUNK_LINES + 1, CHUNK_LINES):
        future = loop.create_future()
        chunks[start] = (items[start:start + CHUNK_LINES], future)
    streaming._streaming = streaming.StreamedCheck("file:///big.jsonl", context, 10**9, chunks=chunks)
    return {start: future for start, (_, future) in chunks.items()}, loop


def test_only_chunks_whose_lines_are_unchanged_are_taken():
    items = [f'{{"n":{n}}}' for n in range(3 * CHUNK_LINES + 5)]
    context = FileContext("chat", "o200k_base", 128000, "gpt-4o-mini")
    futures, loop = _stream(items, context)
    edited = list(items)
    edited[CHUNK_LINES + 7] = '{"n":"edited"}'  # a new object: an edit made the line again
    ready = streaming.take("file:///big.jsonl", context, edited)
    assert ready == {0: futures[0], 2 * CHUNK_LINES: futures[2 * CHUNK_LINES]}
    assert futures[CHUNK_LINES].cancelled() and not futures[0].cancelled()
    assert streaming._streaming is None  # taken once
    loop.close()


def test_a_line_inserted_before_a_chunk_moves_it_and_nothing_after_is_taken():
    items = [f'{{"n":{n}}}' for n in range(2 * CHUNK_LINES + 1)]
    context = FileContext("chat", "o200k_base", 128000, "gpt-4o-mini")
    futures, loop = _stream(items, context)
    ready = streaming.take("file:///big.jsonl", context, ['{"new":1}', *items])
    assert ready == {} and all(future.cancelled() for future in futures.values())
    loop.close()


def test_chunks_checked_for_other_settings_or_another_document_are_not_taken():
    items = [f'{{"n":{n}}}' for n in range(CHUNK_LINES + 1)]
    context = FileContext("chat", "o200k_base", 128000, "gpt-4o-mini")
    futures, loop = _stream(items, context)
    assert streaming.take("file:///big.jsonl", FileContext("chat", None), items) == {}
    futures, _ = _stream(items, context)
    assert streaming.take("file:///other.jsonl", context, items) == {}
    assert futures[0].cancelled()
    loop.close()
