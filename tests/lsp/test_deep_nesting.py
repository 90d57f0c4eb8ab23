"""A document nesting more than 1,000 levels, open in the editor: the server does not
crash, and the diagnostic sits on the bracket that opened level 1,001, whether orjson
took the line (up to 1,024 levels: the schema step failed on it) or refused it."""

from __future__ import annotations

import pytest

from lsp.session import diagnostics, open_document

PREFIX = '{"messages":[{"role":"user","content":'  # content is at level 4
ANSWER = '},{"role":"assistant","content":"ok"}]}'
GOOD = ['{"messages":[{"role":"user","content":"q%d"},{"role":"assistant","content":"a%d"}]}' % (n, n)
        for n in range(10)]


def nested_content(levels: int) -> str:
    return PREFIX + "[" * levels + '"x"' + "]" * levels + ANSWER


@pytest.mark.asyncio(loop_scope="function")
async def test_too_deep_lines_get_the_depth_diagnostic_at_the_crossing_bracket(client):
    text = "".join(line + "\n" for line in GOOD + [nested_content(1010), nested_content(1500), nested_content(500)])
    uri = await open_document(client, "deep.jsonl", text)
    items = await diagnostics(client, uri, timeout=60)
    line_items = sorted((d.code, d.range.start.line, d.range.start.character) for d in items
                        if d.code not in ("too-few-examples", "model-retiring"))
    crossing = len(PREFIX) + (1001 - 4)  # level 4 is the content's first bracket
    assert line_items == [("nesting-too-deep", 10, crossing), ("nesting-too-deep", 11, crossing),
                          ("wrong-type", 12, len(PREFIX) + 1)], line_items
