"""Positions in the encoding the client chose: UTF-16 (VS Code) or UTF-8 (Neovim 0.11)."""

from __future__ import annotations

import pytest
from lsprotocol import types

from lsp.session import change, diagnostics, open_document, units_in

pytestmark = pytest.mark.asyncio(loop_scope="function")
LINE = '{"messages":[{"role":"user","content":"é😀漢"},{"role":"bot","content":"x"}]}'


async def test_ranges_and_edits_use_the_negotiated_encoding(client):
    encoding = client.initialize_result.capabilities.position_encoding or types.PositionEncodingKind.Utf16
    uri = await open_document(client, "t.jsonl", LINE + "\n")
    items = await diagnostics(client, uri)
    role = next(d for d in items if d.code == "unknown-role")
    start = LINE.index('"bot"')
    assert role.range.start.character == units_in(LINE[:start], encoding)
    assert role.range.end.character == units_in(LINE[:start + 5], encoding)
    # Type before the emoji (a position in the client's units) and see the finding move.
    at = units_in(LINE[:LINE.index("😀")], encoding)
    change(client, uri, 2, (0, at), (0, at), "ü")
    moved = next(d for d in await diagnostics(client, uri) if d.code == "unknown-role")
    assert moved.range.start.character == units_in(LINE[:start], encoding) + units_in("ü", encoding)
