"""The language server's line storage: text in, the same text out, in less memory."""

import pickle
import sys

from hypothesis import given, strategies as st

from finetune_ls.core.encodings import get_encoding
from finetune_ls.lsp.documents.compact_lines import CompactLines, compact
from finetune_ls.lsp.documents.document import LineDocument

ASTRAL = '{"messages":[{"role":"user","content":"ok 😀 ' + "x" * 200 + '"}]}'
KOREAN = '{"messages":[{"role":"user","content":"선택적 ' + "y" * 200 + '"}]}'
LONE_SURROGATE = '{"content":"\ud800 😀' + "z" * 200 + '"}'
LATIN = "café " * 50  # one byte a character as text, more in UTF-8: kept as text


def test_lines_wider_than_utf8_are_kept_as_bytes_and_read_back_as_the_same_text():
    lines = CompactLines(["plain ascii", ASTRAL, KOREAN, LONE_SURROGATE, LATIN])
    assert [type(item) for item in lines.items] == [str, bytes, bytes, bytes, str]
    assert list(lines) == ["plain ascii", ASTRAL, KOREAN, LONE_SURROGATE, LATIN]
    assert lines[1] == ASTRAL and lines[-2] == LONE_SURROGATE
    assert lines[1:3] == [ASTRAL, KOREAN]
    assert sum(map(sys.getsizeof, lines.items)) < sum(map(sys.getsizeof, [ASTRAL, KOREAN, LONE_SURROGATE]))


def test_edits_through_the_sequence_interface():
    lines = CompactLines(["a", "b", "c"])
    lines[1:2] = [ASTRAL, "d"]
    lines[0] = KOREAN
    lines.insert(0, "first")
    lines.append("last")
    del lines[2]
    assert list(lines) == ["first", KOREAN, "d", "c", "last"]
    copy = lines.copy()
    copy[0] = "changed"
    assert lines[0] == "first" and copy == ["changed", KOREAN, "d", "c", "last"]


@given(st.lists(st.text()))
def test_any_text_round_trips(texts):
    assert list(CompactLines(texts)) == texts
    assert all(isinstance(compact(text), (str, bytes)) for text in texts)


def test_a_document_edits_a_line_kept_as_bytes_in_place():
    from lsprotocol import types

    document = LineDocument("file:///t.jsonl", ASTRAL + "\n" + KOREAN + "\n")
    position = types.Position(0, len('{"messages":[{"role":"user","content":"ok 😀 '.encode("utf-16-le")) // 2)
    document.apply_change(types.TextDocumentContentChangePartial(
        range=types.Range(position, position), text="NEW"))
    assert document.contents[0] == ASTRAL.replace("😀 ", "😀 NEW")
    assert document.source == ASTRAL.replace("😀 ", "😀 NEW") + "\n" + KOREAN + "\n"


def test_the_encoding_without_its_python_ranks_still_counts_and_pickles():
    encoding = get_encoding("o200k_base")
    assert encoding._mergeable_ranks is None  # released: 28 MB in the server and every worker
    assert encoding.encode("hello 😀") == pickle.loads(pickle.dumps(encoding)).encode("hello 😀")
    assert len(encoding.encode("hello world")) == 2
