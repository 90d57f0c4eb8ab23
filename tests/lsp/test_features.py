"""Token hints, hover, the cost lens, quick fixes and fix-all, completion, symbols,
formatting and settings, each through a real client over stdio."""

from __future__ import annotations

import asyncio
import re

import pytest
from lsprotocol import types

from finetune_ls.core.engine import CheckSettings, check_text
from lsp.session import apply_text_edits, diagnostics, edits_of, open_document, pulls, replace_all

pytestmark = pytest.mark.asyncio(loop_scope="function")
OK = '{"messages":[{"role":"user","content":"q%d"},{"role":"assistant","content":"a%d"}]}'
GOOD = "".join(OK % (i, i) + "\n" for i in range(12))
WEIGHTED = ('{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Paris.","weight":0},'
            '{"role":"user","content":"Again"},{"role":"assistant","content":"Paris, obviously.","weight":1}]}\n')


def _id(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)


async def test_inlay_hints_show_tokens_at_the_end_of_each_example(client):
    uri = await open_document(client, "t.jsonl", GOOD + WEIGHTED)
    await diagnostics(client, uri)
    hints = await client.text_document_inlay_hint_async(types.InlayHintParams(
        text_document=_id(uri), range=types.Range(types.Position(0, 0), types.Position(13, 0))))
    assert len(hints) == 13
    report = check_text(GOOD + WEIGHTED, CheckSettings(model="gpt-4o-mini-2024-07-18"))
    assert re.fullmatch(r"[\d,]+ tok", hints[0].label), hints[0].label
    assert hints[0].position == types.Position(0, len(OK % (0, 0)))
    assert "trained" in hints[12].label and "trained" not in hints[0].label
    total = sum(int(hint.label.split()[0].replace(",", "")) for hint in hints)
    assert total == report.summary["tokens"]


async def test_hover_breaks_an_example_down_per_message(client):
    uri = await open_document(client, "t.jsonl", GOOD + WEIGHTED)
    await diagnostics(client, uri)
    hover = await client.text_document_hover_async(types.HoverParams(text_document=_id(uri),
                                                                     position=types.Position(12, 5)))
    text = hover.contents.value
    assert "tokens" in text and "trained" in text and "o200k_base" in text
    assert text.count("| message") == 4
    # A line of another format in a chat file: its tokens are not counted, so no hover.
    replace_all(client, uri, 2, GOOD + '{"prompt":"p","completion":"c"}\n')
    await diagnostics(client, uri)
    assert await client.text_document_hover_async(types.HoverParams(
        text_document=_id(uri), position=types.Position(12, 3))) is None


async def test_cost_lens_summary_request_and_switching_model(client):
    uri = await open_document(client, "t.jsonl", GOOD)
    await diagnostics(client, uri)
    lenses = await client.text_document_code_lens_async(types.CodeLensParams(text_document=_id(uri)))
    titles = [lens.command.title for lens in lenses]
    assert re.fullmatch(r"12 examples · [\d.,k]+ tokens · gpt-4o-mini × 8 epochs ≈ \$\d+\.\d\d", titles[0]), titles
    assert titles[1] == "Model: gpt-4o-mini" and titles[2] == "Target: OpenAI" and titles[3] == "Epochs: 8"
    summary = await client.protocol.send_request_async("finetune/summary", {"uri": uri})
    assert summary.examples == 12 and summary.model == "gpt-4o-mini-2024-07-18"  # the client makes objects of it
    same = await client.protocol.send_request_async("finetune/summary", {"textDocument": {"uri": uri}})
    assert same.examples == 12 and same.line == summary.line
    await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="finetune.selectModel", arguments=[uri, "gpt-4.1-2025-04-14"]))
    await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="finetune.selectEpochs", arguments=[uri, 2]))
    summary = await client.protocol.send_request_async("finetune/summary", {"uri": uri})
    assert summary.model == "gpt-4.1-2025-04-14" and summary.epochs == 2
    workspace = client.capabilities.workspace
    if workspace.code_lens and workspace.code_lens.refresh_support:
        assert "codeLens" in client.refreshes


async def test_quick_fix_from_diagnostic_data(client):
    text = GOOD + '{"messages":[{"role":"user","content":"q"},{"role":"model","content":"x"}]}\n'
    uri = await open_document(client, "t.jsonl", text)
    items = await diagnostics(client, uri)
    role = next(d for d in items if d.code == "unknown-role")
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=_id(uri), range=role.range, context=types.CodeActionContext(diagnostics=[role])))
    fix = next(a for a in actions if a.kind == types.CodeActionKind.QuickFix)
    assert fix.title == 'Change the role to "assistant"'
    fixed = apply_text_edits(text, edits_of(fix.edit))
    assert '"role":"assistant","content":"x"' in fixed
    replace_all(client, uri, 2, fixed)
    assert "unknown-role" not in {d.code for d in await diagnostics(client, uri)}


async def test_fix_all_applies_every_safe_fix(client):
    broken = (GOOD + '{"messages":[{"role":"user","content":"q"},{"role":"bot","content":"x","weight":1.0}],}\n'
              + "\n" + OK % (1, 1) + "\n")
    uri = await open_document(client, "t.jsonl", broken)
    await diagnostics(client, uri)
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=_id(uri), range=types.Range(types.Position(0, 0), types.Position(0, 0)),
        context=types.CodeActionContext(diagnostics=[], only=[types.CodeActionKind.SourceFixAll])))
    fix_all = next(a for a in actions if a.kind == "source.fixAll.finetune")
    fixed = apply_text_edits(broken, edits_of(fix_all.edit))
    remaining = check_text(fixed, CheckSettings(model="gpt-4o-mini-2024-07-18"))
    assert not [f for f in remaining.findings if f.fix and f.fix.safe], [f.code for f in remaining.findings]
    assert '"role":"assistant"' in fixed and '"weight":1}' in fixed


async def test_completion_of_roles_keys_and_a_whole_example(client):
    text = GOOD + '{"messages":[{"role":"\n\n'
    uri = await open_document(client, "t.jsonl", text)
    await diagnostics(client, uri)
    roles = await client.text_document_completion_async(types.CompletionParams(
        text_document=_id(uri), position=types.Position(12, len('{"messages":[{"role":"'))))
    assert {"assistant", "user", "system"} <= {item.label for item in roles.items}
    blank = await client.text_document_completion_async(types.CompletionParams(
        text_document=_id(uri), position=types.Position(13, 0)))
    assert blank.items[0].insert_text_format == types.InsertTextFormat.Snippet
    assert '"messages"' in blank.items[0].text_edit.new_text


async def test_symbols_one_per_example(client):
    uri = await open_document(client, "t.jsonl", GOOD)
    await diagnostics(client, uri)
    symbols = await client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=_id(uri)))
    assert [s.name for s in symbols][:2] == ["Example 1", "Example 2"] and len(symbols) == 12
    assert symbols[3].detail == "q3"


async def test_formatting_makes_lines_compact_without_changing_values(client):
    text = '{ "messages": [ {"role": "user", "content": "é 1.0"}, {"role": "assistant", "content": "x", "weight": 1} ] }\n'
    uri = await open_document(client, "t.jsonl", text)
    await diagnostics(client, uri)
    edits = await client.text_document_formatting_async(types.DocumentFormattingParams(
        text_document=_id(uri), options=types.FormattingOptions(tab_size=2, insert_spaces=True)))
    formatted = apply_text_edits(text, edits)
    assert formatted == '{"messages":[{"role":"user","content":"é 1.0"},{"role":"assistant","content":"x","weight":1}]}\n'


async def test_formatting_leaves_lines_it_cannot_rewrite_faithfully(client):
    kept = ['{ "a": 1e400 }',  # would become Infinity, which is not JSON
            '{ "a": "\\ud800" }',  # a lone surrogate cannot be written as UTF-8
            '{ "a": 1, "a": 2 }',  # compacting would drop the first value
            '{ "a": NaN }']
    text = "\n".join(kept + ['{ "b": 2 }']) + "\n"
    uri = await open_document(client, "t.jsonl", text)
    await diagnostics(client, uri)
    edits = await client.text_document_formatting_async(types.DocumentFormattingParams(
        text_document=_id(uri), options=types.FormattingOptions(tab_size=2, insert_spaces=True)))
    assert apply_text_edits(text, edits) == "\n".join(kept + ['{"b":2}']) + "\n"


async def test_settings_change_rechecks_open_files(client):
    uri = await open_document(client, "t.jsonl", GOOD)
    await diagnostics(client, uri)
    client.diagnostics.pop(uri, None)
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"finetune": {"model": "gpt-3.5-turbo-0125"}}))
    items = await diagnostics(client, uri)
    assert "model-not-trainable" in {d.code for d in items}


async def test_training_and_validation_files_flag_their_overlap(client):
    train = await open_document(client, "data.jsonl", GOOD)
    await diagnostics(client, train)
    valid = await open_document(client, "data.valid.jsonl", OK % (3, 3) + "\n" + OK % (99, 99) + "\n")
    client.diagnostics.pop(train, None)  # the training file is published again, now with the overlap
    train_items = await diagnostics(client, train)
    valid_items = await diagnostics(client, valid)
    assert [d.range.start.line for d in train_items if d.code == "validation-overlap"] == [3]
    assert [d.range.start.line for d in valid_items if d.code == "validation-overlap"] == [0]
    assert "too-few-examples" not in {d.code for d in valid_items}


async def test_a_validation_file_opened_before_its_training_file_keeps_its_role(client):
    valid_text = OK % (3, 3) + "\n" + OK % (99, 99) + "\n"
    (client.work_dir / "data.valid.jsonl").write_text(valid_text, encoding="utf-8")
    valid = await open_document(client, "data.valid.jsonl", valid_text)
    assert "too-few-examples" in {d.code for d in await diagnostics(client, valid)}  # alone, it is one file
    client.diagnostics.pop(valid, None)
    train = await open_document(client, "data.jsonl", GOOD)
    train_items = await diagnostics(client, train)
    valid_items = await diagnostics(client, valid)
    assert [d.range.start.line for d in train_items if d.code == "validation-overlap"] == [3]
    assert [d.range.start.line for d in valid_items if d.code == "validation-overlap"] == [0]
    assert "too-few-examples" not in {d.code for d in valid_items}
    client.diagnostics.pop(valid, None)
    client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=_id(train)))
    await asyncio.sleep(0.2)
    assert "validation-overlap" not in {d.code for d in await diagnostics(client, valid)}


async def test_fix_all_is_resolved_later_only_for_clients_that_resolve_edits(client):
    broken = GOOD + '{"messages":[{"role":"user","content":"q"},{"role":"bot","content":"x"}]}\n'
    uri = await open_document(client, "t.jsonl", broken)
    items = await diagnostics(client, uri)
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=_id(uri), range=items[0].range, context=types.CodeActionContext(diagnostics=items)))
    fix_all = next(a for a in actions if a.kind == "source.fixAll.finetune")
    resolves = client.capabilities.text_document.code_action.resolve_support
    if resolves and "edit" in resolves.properties:
        assert fix_all.edit is None
        fix_all = await client.code_action_resolve_async(fix_all)
    assert '"role":"assistant"' in apply_text_edits(broken, edits_of(fix_all.edit))


async def test_a_client_that_announces_nothing_gets_diagnostics_and_fixes(bare_client):
    client = bare_client
    broken = GOOD + '{"messages":[{"role":"user","content":"q"},{"role":"bot","content":"x"}]}\n'
    uri = await open_document(client, "t.jsonl", broken)
    items = await diagnostics(client, uri)
    assert not pulls(client) and "unknown-role" in {d.code for d in items}
    items = [d for d in items if d.code == "unknown-role"]
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=_id(uri), range=items[0].range, context=types.CodeActionContext(diagnostics=items)))
    fix_all = next(a for a in actions if a.kind == "source.fixAll.finetune")
    assert '"role":"assistant"' in apply_text_edits(broken, edits_of(fix_all.edit))


async def test_diagnostics_are_pulled_only_by_clients_that_can_be_told_to_pull_again(client):
    workspace = client.capabilities.workspace
    can_refresh = bool(workspace.diagnostics and workspace.diagnostics.refresh_support)
    assert pulls(client) == can_refresh
    uri = await open_document(client, "t.jsonl", GOOD + '{"messages":[]}\n')
    await diagnostics(client, uri)
    if not can_refresh:  # Neovim announces pulls but no refreshes: it is pushed to
        assert client.diagnostics[uri]


async def test_binary_content_gives_one_diagnostic(client):
    uri = await open_document(client, "b.jsonl", "\x00\x01 binary \x00")
    items = await diagnostics(client, uri)
    assert [d.code for d in items] == ["binary-file"]
