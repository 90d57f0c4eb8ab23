"""Big documents: checked in the background (worker processes, the first lines' findings
first, then every line with its tokens, streamed to the workers as it arrives) with
progress, still answering; files checked from disk on request."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from finetune_ls.core.document import DocumentCheck
from finetune_ls.core.engine import CheckSettings, check_path, check_text
from finetune_ls.core.entries import entry_tokens
from finetune_ls.core.parallel import chunk_ranges, default_jobs
from lsp.conftest import SENTINEL_CACHE
from lsp.session import answer_refreshes, capabilities_of, change, diagnostics, end_session, open_document

pytestmark = pytest.mark.asyncio(loop_scope="function")
OK = '{"messages":[{"role":"user","content":"q%d"},{"role":"assistant","content":"a%d"}]}'


@pytest_lsp.fixture(config=ClientServerConfig(
    server_command=[sys.executable, "-m", "finetune_ls", "serve"],
    # "Big" from 500 lines, and messages read in pieces from 64 KB, to test them fast.
    server_env={**os.environ, **SENTINEL_CACHE, "FINETUNE_LS_LARGE_LINES": "500", "FINETUNE_LS_BIG_MESSAGE": "65536"}))
async def big_client(lsp_client: LanguageClient, tmp_path):
    answer_refreshes(lsp_client)
    lsp_client.initialize_result = await lsp_client.initialize_session(types.InitializeParams(
        capabilities=capabilities_of("visual-studio-code"), root_uri=tmp_path.as_uri(),
        initialization_options={"model": "gpt-4o-mini-2024-07-18"}))
    lsp_client.work_dir = tmp_path
    yield
    if not getattr(lsp_client, "shut_down", False):  # a test may have ended the session itself
        await lsp_client.shutdown_session()


def _text(lines: int) -> str:
    rows = [OK % (i, i) for i in range(lines)]
    rows[7] = rows[7].replace('"assistant"', '"model"')
    rows[lines - 3] = rows[lines - 3].replace('"user"', '"human"')
    return "\n".join(rows) + "\n"


async def _summary(client, uri):
    return await client.protocol.send_request_async("finetune/summary", {"uri": uri})


async def test_a_big_document_is_checked_in_the_background_with_progress(big_client):
    text = _text(6000)
    uri = await open_document(big_client, "big.jsonl", text)
    items = await diagnostics(big_client, uri)
    assert ("unknown-role", 7) in {(d.code, d.range.start.line) for d in items}
    for _ in range(300):  # the whole check, with the tokens, follows
        summary = await _summary(big_client, uri)
        if summary is not None and summary.tokens:
            break
        await asyncio.sleep(0.1)
    expected = check_text(text, CheckSettings(model="gpt-4o-mini-2024-07-18")).summary
    assert summary.tokens == expected["tokens"] and summary.examples == 6000
    final = await diagnostics(big_client, uri)
    assert {(d.code, d.range.start.line) for d in final} >= {("unknown-role", 7), ("unknown-role", 5997)}
    kinds = [getattr(report, "kind", None) for report in big_client.progress_reports.values() for report in report]
    assert "begin" in kinds and "end" in kinds


async def test_a_big_document_with_a_byte_order_mark_gets_the_findings_of_check(big_client):
    """Its lines are checked by the workers, which do not know which line is the first: the
    mark is still reported once, as a warning, the first example is not broken by it, and
    the first line's findings are at the columns of the text, early and at the end."""
    rows = _text(6000).split("\n")
    rows[0] = rows[0].replace('"user"', '"human"')
    text = "\ufeff" + "\n".join(rows)
    uri = await open_document(big_client, "bom.jsonl", text)
    first = await diagnostics(big_client, uri)  # the first lines', pushed while the rest is read
    early = [(d.code, d.range.start.character, d.range.end.character) for d in first if d.range.start.line == 0]
    summary = None
    for _ in range(300):
        summary = await _summary(big_client, uri)
        if summary is not None and summary.tokens:
            break
        await asyncio.sleep(0.1)
    assert summary is not None and summary.tokens, "the summary never had the tokens"
    expected = check_text(text, CheckSettings(model="gpt-4o-mini-2024-07-18"))
    assert summary.examples == expected.summary["examples"] == 6000
    assert summary.tokens == expected.summary["tokens"]
    final = await diagnostics(big_client, uri)
    assert sorted((d.code, d.range.start.line, d.range.start.character, d.range.end.character) for d in final) == \
        sorted((f.code, f.line, f.column_utf16, f.end_column_utf16) for f in expected.findings)
    unknown = next(f for f in expected.findings if f.code == "unknown-role" and f.line == 0)
    assert early == [("unknown-role", unknown.column_utf16, unknown.end_column_utf16)]  # the mark is a file's finding: later
    assert ("byte-order-mark", 0) in {(d.code, d.range.start.line) for d in final}


async def test_edits_during_the_first_check_are_kept(big_client):
    text = _text(6000)
    uri = await open_document(big_client, "big.jsonl", text)
    change(big_client, uri, 2, (0, 0), (0, 0), '{"messages":[{"role":"bot","content":"x"}]}\n')
    for _ in range(300):
        summary = await _summary(big_client, uri)
        if summary is not None and not summary.loading and summary.tokens:
            break
        await asyncio.sleep(0.1)
    items = await diagnostics(big_client, uri)
    lines = {(d.code, d.range.start.line) for d in items}
    assert ("unknown-role", 0) in lines and ("unknown-role", 8) in lines  # the edit, and the shifted line 7
    assert summary.examples == 6001


def _varied_rows(count: int = 20_000) -> list[str]:
    """Examples of different lengths, so that a line's count tells which line it is, and long
    enough that the workers are still counting them for seconds after the text is read."""
    filler = "lorem ipsum dolor sit amet " * 40
    return ['{"messages":[{"role":"user","content":"%s %s"},{"role":"assistant","content":"ok"}]}'
            % (" ".join(["word"] * (1 + number % 23)), filler) for number in range(count)]


async def test_shutdown_while_a_big_document_loads_is_answered(big_client):
    uri = await open_document(big_client, "varied.jsonl", "\n".join(_varied_rows()) + "\n")
    summary = await _summary(big_client, uri)
    assert summary is not None and summary.loading  # the workers have tasks in hand
    started = time.monotonic()
    big_client.shut_down = True
    await end_session(big_client, 60)  # shutdown, exit, and the process ends
    assert time.monotonic() - started < 20
    assert big_client._server.returncode == 0


async def test_hints_and_hovers_wait_while_a_big_document_loads_then_follow_its_edits(big_client):
    rows = _varied_rows()
    uri = await open_document(big_client, "varied.jsonl", "\n".join(rows) + "\n")
    # Made while the document loads, so it waits: until the load ends, the lines the workers
    # checked are one off from the document's.
    change(big_client, uri, 2, (0, 0), (0, 0), rows[5] + "\n")
    document = types.TextDocumentIdentifier(uri=uri)
    top = types.Range(types.Position(0, 0), types.Position(20, 0))
    asked_while_loading = 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        hints = await asyncio.wait_for(
            big_client.text_document_inlay_hint_async(types.InlayHintParams(document, top)), 30)
        hover = await asyncio.wait_for(big_client.text_document_hover_async(
            types.HoverParams(document, types.Position(3, 5))), 30)
        summary = await _summary(big_client, uri)
        assert summary is not None  # opened before any of these were asked
        if summary.loading:  # so it was loading when the hints and hover were made too
            assert not hints and hover is None
            asked_while_loading += 1
        elif summary.tokens:
            break
        await asyncio.sleep(0.02)
    assert asked_while_loading  # the test asked while the document loaded
    assert not summary.loading and summary.tokens  # and it loaded in time

    final = [rows[5], *rows]
    check = DocumentCheck("varied.jsonl", CheckSettings(model="gpt-4o-mini-2024-07-18"))
    check.open(final)
    expected = {line: f"{entry_tokens(check.entries[line])[0]:,} tok" for line in range(21)}
    assert len(set(expected.values())) > 10  # the counts tell the lines apart
    hints = await big_client.text_document_inlay_hint_async(types.InlayHintParams(document, top))
    assert {hint.position.line: hint.label for hint in hints} == expected
    hover = await big_client.text_document_hover_async(types.HoverParams(document, types.Position(3, 5)))
    assert f"{expected[3].removesuffix(' tok')} tokens" in hover.contents.value


async def test_a_file_checked_from_disk(big_client):
    path = big_client.work_dir / "huge.jsonl"
    path.write_text(_text(800), encoding="utf-8")
    uri = path.as_uri()
    result = await big_client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="finetune.checkFile", arguments=[uri]))
    assert result["examples"] == 800
    for _ in range(100):
        if uri in big_client.diagnostics:
            break
        await asyncio.sleep(0.05)
    assert ("unknown-role", 797) in {(d.code, d.range.start.line) for d in big_client.diagnostics[uri]}
    # VS Code's capabilities allow file watchers: a change on disk checks the file again.
    assert any(r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES for r in big_client.registrations)
    path.write_text(_text(800).replace('"human"', '"user"'), encoding="utf-8")
    big_client.diagnostics.pop(uri, None)
    big_client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
        changes=[types.FileEvent(uri=uri, type=types.FileChangeType.Changed)]))
    for _ in range(200):
        if uri in big_client.diagnostics:
            break
        await asyncio.sleep(0.05)
    assert ("unknown-role", 797) not in {(d.code, d.range.start.line) for d in big_client.diagnostics[uri]}


async def _check_from_disk(client, uri):
    client.diagnostics.pop(uri, None)
    result = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="finetune.checkFile", arguments=[uri]))
    for _ in range(100):
        if uri in client.diagnostics:
            break
        await asyncio.sleep(0.05)
    return result, {(d.code, d.range.start.line) for d in client.diagnostics[uri]}


async def test_a_file_checked_from_disk_in_ranges_gets_the_findings_of_check(big_client):
    """Several megabytes: each worker checks a byte range of it (and keeps its shard of the
    line cache); duplicates across ranges, a byte-order mark and the last line are found as
    the CLI finds them, and so they are when the file changes and is checked again."""
    started = time.time()
    rows = _text(30000).split("\n")
    rows[29990] = rows[5]  # the same example as line 6, in another range
    path = big_client.work_dir / "ranges.jsonl"
    path.write_text("\ufeff" + "\n".join(rows), encoding="utf-8")
    uri = path.as_uri()
    settings = CheckSettings(model="gpt-4o-mini-2024-07-18", role="training")
    for _ in range(2):
        result, seen = await _check_from_disk(big_client, uri)
        expected = check_path(str(path), settings, use_cache=False)
        assert result["examples"] == expected.summary["examples"] and result["tokens"] == expected.summary["tokens"]
        assert seen == {(f.code, f.line) for f in expected.findings}
        assert {("duplicate-example", 29990), ("unknown-role", 7), ("byte-order-mark", 0)} <= seen
        rows[12000] = rows[12000].replace('"user"', '"human"')  # and again, with the change
        path.write_text("\ufeff" + "\n".join(rows), encoding="utf-8")
    shards = [shard for shard in Path(SENTINEL_CACHE["FINETUNE_LS_CACHE_DIR"]).glob("*/*.shard")
              if shard.stat().st_mtime >= started]
    # One per range of the worker pool's split (the one-process fallback splits in bigger ones).
    assert len(shards) == len(chunk_ranges(str(path), 3, path.stat().st_size, default_jobs())) > 2


async def test_the_same_bytes_again_are_served_whole(big_client):
    """A file checked from disk, unchanged since (by this server or by the CLI, which share the
    cache): its stored chunks, with no worker reading a range (so no shard is written)."""
    rows = _text(30000).split("\n")
    rows[29990] = rows[5]
    path = big_client.work_dir / "again.jsonl"
    path.write_text("\n".join(rows), encoding="utf-8")
    uri = path.as_uri()
    expected = check_path(str(path), CheckSettings(model="gpt-4o-mini-2024-07-18", role="training"), use_cache=False)
    cache = Path(SENTINEL_CACHE["FINETUNE_LS_CACHE_DIR"])
    first = await _check_from_disk(big_client, uri)
    written = {shard: shard.stat().st_mtime_ns for shard in cache.glob("*/*.shard")}
    assert written and list(cache.glob("*/file.result"))
    again = await _check_from_disk(big_client, uri)
    assert {shard: shard.stat().st_mtime_ns for shard in cache.glob("*/*.shard")} == written
    for result, seen in (first, again):
        assert result["examples"] == expected.summary["examples"] and result["tokens"] == expected.summary["tokens"]
        assert seen == {(f.code, f.line) for f in expected.findings} and ("duplicate-example", 29990) in seen


async def test_a_settings_change_during_the_first_check_starts_it_again(big_client):
    text = _text(6000)
    uri = await open_document(big_client, "big.jsonl", text)
    await asyncio.sleep(0.05)
    big_client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"finetune": {"model": "gpt-4.1-mini-2025-04-14", "epochs": 2}}))
    for _ in range(300):
        summary = await _summary(big_client, uri)
        if summary is not None and not summary.loading and summary.tokens:
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)  # a second check, had one been left running, would end by now
    summary = await _summary(big_client, uri)
    expected = check_text(text, CheckSettings(model="gpt-4.1-mini-2025-04-14", epochs=2)).summary
    assert (summary.model, summary.epochs, summary.tokens) == (expected["model"], 2, expected["tokens"])
    items = await diagnostics(big_client, uri)
    assert [d.range.start.line for d in items if d.code == "unknown-role"] == [7, 5997]
    begun = [r for reports in big_client.progress_reports.values() for r in reports if r.kind == "begin"]
    ended = [r for reports in big_client.progress_reports.values() for r in reports if r.kind == "end"]
    assert len(begun) == len(ended) >= 1


async def test_the_lens_shows_the_summary_once_a_file_over_the_size_limit_is_checked(big_client):
    big_client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"finetune": {"maxFileMb": 0.1}}))  # tokens are not counted in files over 0.1 MB
    uri = await open_document(big_client, "big.jsonl", _text(6000))
    lens = await big_client.text_document_code_lens_async(types.CodeLensParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    assert lens[0].command.title.startswith("finetune-ls: checking")
    for _ in range(300):
        if "codeLens" in big_client.refreshes:
            break
        await asyncio.sleep(0.05)
    assert "codeLens" in big_client.refreshes  # told to ask again once checked
    lens = await big_client.text_document_code_lens_async(types.CodeLensParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    assert lens[0].command.title.startswith("6,000 examples")


async def test_a_medium_document_is_checked_by_the_workers_and_then_edited_as_a_small_one(client):
    """Between 4,000 and 20,000 lines (the default limits, with both editors' capabilities): the
    open is checked in the background, so the server answers meanwhile; once loaded, an edit
    gets its file-level findings at once, as in a small document."""
    text = _text(5000)
    uri = await open_document(client, "medium.jsonl", text)
    answered = await asyncio.wait_for(_summary(client, uri), 5)
    assert answered is not None and answered.loading  # answered while the workers check it
    summary = None
    for _ in range(300):
        summary = await _summary(client, uri)
        if summary is not None and not summary.loading and summary.tokens:
            break
        await asyncio.sleep(0.1)
    assert summary is not None and summary.tokens, "the summary never had the tokens"
    expected = check_text(text, CheckSettings(model="gpt-4o-mini-2024-07-18"))
    assert (summary.examples, summary.tokens) == (expected.summary["examples"], expected.summary["tokens"])
    await asyncio.sleep(0.3)  # the full diagnostics, published (or pulled) after the load
    got = {(d.code, d.range.start.line) for d in await diagnostics(client, uri)}
    assert got == {(f.code, f.line) for f in expected.findings}
    change(client, uri, 2, (4999, 0), (4999, 0), OK % (0, 0) + "\n")  # line 0's example again
    seen = set()
    for _ in range(20):  # the line's own findings come at once, the file's with the report after the debounce
        seen = {(d.code, d.range.start.line) for d in await diagnostics(client, uri)}
        if ("duplicate-example", 4999) in seen:
            break
        await asyncio.sleep(0.1)
    assert ("duplicate-example", 4999) in seen and ("unknown-role", 4997) in seen
