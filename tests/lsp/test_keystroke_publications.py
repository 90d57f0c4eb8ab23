"""What a keystroke publishes, over stdio, is what a fresh open of the same text publishes.

The server keeps each diagnostic's JSON from one publication to the next and encodes again
only the diagnostics an edit made or moved (sending.py's EncodedDiagnostics). Every kind of
edit here (text typed into a line, lines inserted and deleted above diagnostics, a line
broken and fixed) is followed by two publications: the keystroke's own at once (the old
diagnostics moved, the edited lines' replaced) and the full report after a pause. Both must
hold the same diagnostics as a fresh open of the text, the full one in the same order too.
(A line split in two is left out: the full report finds the record split over two lines,
which the keystroke's checks of single lines do not.)
"""

from __future__ import annotations

import asyncio

import pytest
import pytest_lsp
from lsprotocol import converters, types
from pytest_lsp import LanguageClient, client_capabilities

from lsp.conftest import server_config
from lsp.session import answer_refreshes, change, open_document

_CONVERTER = converters.get_converter()


def _line(i: int) -> str:
    """Every other line mails a real address (a warning with a fix), every third line has an
    unknown role (an error with a fix): fixes carry line numbers in their data."""
    user = f"write to user{i}@fastmail.fm" if i % 2 == 0 else f"question {i}"
    role = "model" if i % 3 == 0 else "assistant"
    return ('{"messages":[{"role":"user","content":"%s"},{"role":"%s","content":"answer %d"}]}'
            % (user, role, i))


def _quiet(k: int) -> str:
    """A line without findings (and unlike any other: a duplicate is found by the full report only)."""
    return '{"messages":[{"role":"user","content":"hi %d"},{"role":"assistant","content":"ok"}]}' % k


TEXT = "".join(_line(i) + "\n" for i in range(60))


class Publications(dict):
    """The client's diagnostics by uri, with every publication kept in order."""

    def __init__(self):
        super().__init__()
        self.all: list[tuple[str, list]] = []

    def __setitem__(self, uri, diagnostics):
        self.all.append((uri, list(diagnostics)))
        super().__setitem__(uri, diagnostics)


@pytest_lsp.fixture(config=server_config())
async def pushed_to(lsp_client: LanguageClient, tmp_path):
    """VS Code's capabilities as pytest-lsp has them (no diagnostic refresh, as the bench's
    client): the server pushes its diagnostics."""
    answer_refreshes(lsp_client)
    lsp_client.set_configuration({}, section="finetune")
    lsp_client.diagnostics = Publications()
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"), root_uri=tmp_path.as_uri(),
        initialization_options={"model": "gpt-4o-mini-2024-07-18"}))
    lsp_client.work_dir = tmp_path
    yield
    await lsp_client.shutdown_session()


def _json(diagnostics: list, uri: str) -> list:
    """As sent on the wire, the document's own uri (in related information) left out."""
    out = []
    for diagnostic in diagnostics:
        value = _CONVERTER.unstructure(diagnostic)
        for info in value.get("relatedInformation", ()):
            assert info["location"]["uri"] == uri
            info["location"]["uri"] = "this document"
        out.append(value)
    return out


async def _publications(client: LanguageClient, uri: str, count: int, since: int) -> list[list]:
    """The first `count` publications for `uri` after the first `since` of all."""
    for _ in range(500):
        got = [diagnostics for at, diagnostics in client.diagnostics.all[since:] if at == uri]
        if len(got) >= count:
            return got[:count]
        await asyncio.sleep(0.02)
    raise AssertionError(f"{len(got)} of {count} publications for {uri}")


async def _fresh(client: LanguageClient, text: str, name: str) -> list:
    """What a fresh open of `text` publishes, once its full report is in."""
    since = len(client.diagnostics.all)
    uri = await open_document(client, name, text)
    [published] = await _publications(client, uri, 1, since)
    await asyncio.sleep(0.2)  # nothing else follows (a small file's report comes at once)
    assert [d for at, d in client.diagnostics.all[since + 1:] if at == uri] == []
    return _json(published, uri)


def _apply(text: str, start: tuple[int, int], end: tuple[int, int], new: str) -> str:
    lines = text.split("\n")
    offset = [sum(len(line) + 1 for line in lines[:n]) for n in range(len(lines) + 1)]
    return text[:offset[start[0]] + start[1]] + new + text[offset[end[0]] + end[1]:]


def _ordered(items: list) -> list:
    return sorted(items, key=lambda d: repr(sorted(d.items())))


EDITS = [  # (start, end, new text), applied one after the other
    ((10, 39), (10, 39), "x"),                          # typed into a line (no line moves)
    ((4, 0), (4, 0), _line(100) + "\n"),                # a line with findings inserted above others
    ((2, 0), (2, 0), "".join(_quiet(k) + "\n" for k in range(3))),  # three lines inserted
    ((1, 0), (3, 0), ""),                               # two lines deleted
    ((20, 1), (20, 1), ","),                            # a line broken: {,"messages": ...
    ((20, 1), (20, 2), ""),                             # and fixed
    ((7, 5), (9, 3), ""),                               # lines joined (a broken line from three)
    ((30, 0), (30, 0), _line(101) + "\n" + _line(102) + "\n" + _line(103) + "\n"),
    ((40, 0), (41, 0), ""),                             # a line with findings deleted
    ((50, 0), (52, 0), _line(104) + "\n"),              # two lines replaced by one
    ((12, 39), (12, 39), "my "),                        # typed before a finding in its line
]


@pytest.mark.asyncio(loop_scope="function")
async def test_each_edit_publishes_what_a_fresh_open_of_its_text_publishes(pushed_to):
    client = pushed_to
    since = len(client.diagnostics.all)
    uri = await open_document(client, "train.jsonl", TEXT)
    await _publications(client, uri, 1, since)
    await asyncio.sleep(0.2)
    text = TEXT
    for version, (start, end, new) in enumerate(EDITS, start=2):
        since = len(client.diagnostics.all)
        change(client, uri, version, start, end, new)
        text = _apply(text, start, end, new)
        at_once, full = await _publications(client, uri, 2, since)
        expected = await _fresh(client, text, f"fresh{version}.jsonl")
        assert len(expected) > 20
        assert _json(full, uri) == expected, f"edit {version}: the full report"
        # The keystroke's own publication: the same diagnostics, the edited lines' last
        got = _json(at_once, uri)
        extra = [d for d in got if d not in expected]
        missing = [d for d in expected if d not in got]
        assert (extra, missing) == ([], []), f"edit {version}: at once"
        assert _ordered(got) == _ordered(expected), f"edit {version}: at once"
