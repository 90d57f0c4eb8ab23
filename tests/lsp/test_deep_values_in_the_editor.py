"""Lines nested 300, 600 and 999 levels deep (which check accepts) and 1,001+ (which it
reports as nesting-too-deep), open in the editor: every feature answers, none fails
with an internal error (-32603), as orjson writes at most 254 levels and Python
recurses about 1,000."""

from __future__ import annotations

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp.session import apply_text_edits, command, diagnostics, edits_of, open_document, take_edits

pytestmark = pytest.mark.asyncio(loop_scope="function")

GOOD = ['{"messages": [{"role": "user", "content": "q%d"}, {"role": "assistant", "content": "a%d"}]}' % (n, n)
        for n in range(10)]


def in_tools(levels: int) -> str:
    """A chat example (with spaces, so formatting compacts it) whose tool's parameters
    schema holds a value nesting the whole line `levels` deep."""
    deep = "[" * (levels - 5) + "]" * (levels - 5)
    return ('{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "ok"}], '
            '"tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", '
            '"properties": {}, "x": ' + deep + '}}}]}')


def in_content(levels: int) -> str:
    """A chat example with an extra key inside a content part, nesting the line `levels` deep."""
    deep = "[" * (levels - 5) + "]" * (levels - 5)
    return ('{"messages": [{"role": "user", "content": [{"type": "text", "text": "hi", "extra": ' + deep
            + '}]}, {"role": "assistant", "content": "ok"}]}')


def with_trailing_comma(line: str) -> str:
    """A syntax error with a safe fix (fix-all takes it), on a deep line (of its own: a
    duplicate once fixed would be deleted)."""
    return line.replace('"hi"', '"hello"')[:-1] + ",}"


DEPTHS = [300, 600, 999, 1001, 1030]
DEEP_LINES = [make(levels) for levels in DEPTHS for make in (in_tools, in_content)]
BROKEN = [with_trailing_comma(in_tools(levels)) for levels in (300, 999)]
TEXT = "".join(line + "\n" for line in GOOD + DEEP_LINES + BROKEN)
FIRST_DEEP = len(GOOD)


def _identifier(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)


async def test_every_feature_answers_on_deep_lines(client: LanguageClient):
    take_edits(client)
    uri = await open_document(client, "deep.jsonl", TEXT)
    found = await diagnostics(client, uri, timeout=60)
    too_deep = sorted(d.range.start.line for d in found if d.code == "nesting-too-deep")
    assert too_deep == list(range(FIRST_DEEP + 6, FIRST_DEEP + 10)), too_deep
    whole = types.Range(types.Position(0, 0), types.Position(len(GOOD) + len(DEEP_LINES) + len(BROKEN), 0))

    breakdowns = {}
    for line in range(FIRST_DEEP, FIRST_DEEP + len(DEEP_LINES) + len(BROKEN)):
        shown = await client.text_document_hover_async(types.HoverParams(text_document=_identifier(uri),
                                                                         position=types.Position(line, 1)))
        assert (shown is not None) == (line < FIRST_DEEP + 6), line  # tokens of an accepted (unbroken) line
        if shown is not None:
            breakdowns[line] = shown.contents.value
        on_line = [d for d in found if d.range.start.line == line]
        await client.text_document_code_action_async(types.CodeActionParams(
            text_document=_identifier(uri), range=types.Range(types.Position(line, 0), types.Position(line, 1)),
            context=types.CodeActionContext(diagnostics=on_line)))
    hints = await client.text_document_inlay_hint_async(types.InlayHintParams(text_document=_identifier(uri),
                                                                              range=whole))
    hinted = {hint.position.line: hint.label for hint in hints}
    for line, label in hinted.items():  # the hover counts as the hint does (tools not left out)
        if line in breakdowns:
            assert breakdowns[line].startswith(f"**Example on line {line + 1}: {label.split()[0]} tokens**"), \
                (line, label, breakdowns[line][:80])
    assert set(range(FIRST_DEEP, FIRST_DEEP + 6)) <= set(hinted), hinted  # the accepted deep lines are counted
    [fix_all] = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=_identifier(uri), range=whole,
        context=types.CodeActionContext(diagnostics=found, only=["source.fixAll.finetune"])))
    fixed = apply_text_edits(TEXT, edits_of(fix_all.edit)).splitlines()
    assert fixed[-2:] == [line.replace(",}", "}") for line in BROKEN]  # the commas are gone
    edits = await client.text_document_formatting_async(types.DocumentFormattingParams(
        text_document=_identifier(uri), options=types.FormattingOptions(tab_size=2, insert_spaces=True)))
    formatted = {edit.range.start.line: edit.new_text for edit in edits}
    for line in range(FIRST_DEEP, FIRST_DEEP + 6):  # compacted, and still the same value
        assert formatted[line] == DEEP_LINES[line - FIRST_DEEP].replace(", ", ",").replace(": ", ":"), line
    symbols = await client.text_document_document_symbol_async(types.DocumentSymbolParams(
        text_document=_identifier(uri)))
    assert len(symbols) >= len(GOOD) + 6

    accepted = await open_document(client, "accepted.jsonl", "".join(line + "\n" for line in GOOD + DEEP_LINES[:6]))
    for document in (accepted, uri):
        for name, arguments in (("finetune.dedupeFile", [document]), ("finetune.splitFile", [document, 0.25, 5]),
                                ("finetune.redactFile", [document]), ("finetune.stats", [document])):
            answer = await command(client, name, *arguments)  # an internal error would raise here
            if document == accepted:
                assert answer and "error" not in answer, (name, answer)
            else:  # refused, as not valid JSON, or done
                assert answer and ("JSON" in answer["error"] if "error" in answer else True), (name, answer)
    # The server keeps running through a failing handler, but tells the user: it must not have.
    failures = [m.message for m in client.messages if "failed while" in m.message]
    assert not failures, failures


async def test_the_depth_diagnostic_sits_on_the_crossing_bracket_after_wide_characters(client: LanguageClient):
    """An astral emoji (two UTF-16 units, four UTF-8 bytes) and an é (one unit, two bytes)
    before the bracket: the range is in the client's position encoding, not code points."""
    wide = ["\U0001F600 \u00e9", "\U0001F600\U0001F600"]
    lines = [in_tools(levels).replace('"hi"', f'"{user}"') for levels in (1001, 1030) for user in wide]
    # Broken, and 1,001 deep once repaired (a '}' inserted before the ']'): where it crosses.
    repaired_prefix = ('{"messages": [{"role": "user", "content": "\U0001F600"}, {"role": "assistant", "content": '
                       '"ok"}], "x": [{"y": 1], "tools": [{"type": "function", "function": {"name": "f", '
                       '"parameters": {"type": "object", "properties": {}, "x": ')
    lines.append(repaired_prefix + "[" * 996 + "]" * 996 + "}}}]}")
    uri = await open_document(client, "wide.jsonl", "".join(line + "\n" for line in GOOD + lines))
    found = await diagnostics(client, uri, timeout=60)
    encoding = client.initialize_result.capabilities.position_encoding or types.PositionEncodingKind.Utf16
    got, expected = [], []
    for number, line in enumerate(lines, start=len(GOOD)):
        crossing = line.index("[[[") + (1000 - 5)  # the schema's value starts at level 6; this opens 1,001
        if line.startswith(repaired_prefix):
            crossing = len(repaired_prefix) + (1000 - 5)  # the '[' before "y" is closed once repaired
        before = line[:crossing]
        expected.append((number, len(before.encode("utf-8")) if encoding == types.PositionEncodingKind.Utf8
                         else len(before.encode("utf-16-le")) // 2))
        got += [(d.range.start.line, d.range.start.character) for d in found
                if d.code == "nesting-too-deep" and d.range.start.line == number]
    assert got == expected, (encoding, got, expected)


async def test_inline_completion_and_try_model_read_deep_examples(client: LanguageClient):
    """The cursor in the assistant's content after a user message nested 999 levels: the
    inline completion reads the messages before it (no model is set: no suggestion), and
    tryModel reads the example (then answers that no API key is set), neither failing."""
    line = in_content(999)
    uri = await open_document(client, "inline.jsonl", "".join(text + "\n" for text in GOOD + [line]))
    await diagnostics(client, uri, timeout=60)
    cursor = types.Position(len(GOOD), line.index('"ok"') + 2)
    suggested = await client.text_document_inline_completion_async(types.InlineCompletionParams(
        text_document=_identifier(uri), position=cursor,
        context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked)))
    assert suggested is None
    answer = await command(client, "finetune.tryModel", uri, len(GOOD))
    assert answer.get("error", "").startswith("No API key"), answer  # read, and only then refused
    failures = [m.message for m in client.messages if "failed while" in m.message]
    assert not failures, failures
