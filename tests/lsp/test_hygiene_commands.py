"""Dataset preparation in the editor, over stdio with a real LSP client: the privacy quick
fix, and the split, dedupe, redact and stats commands, whose changes reach the editor as
workspace/applyEdit (new files created and filled; documents edited, never written)."""

from __future__ import annotations

import json

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp.session import apply_text_edits, command, diagnostics, edits_of, open_document, take_edits

pytestmark = pytest.mark.asyncio(loop_scope="function")


def _line(user: str, answer: str) -> str:
    return json.dumps({"messages": [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]})


TEXT = "".join(_line(f"Question {n}", ["yes", "no"][n % 2]) + "\n" for n in range(20))


async def test_privacy_quick_fix_replaces_the_address(client: LanguageClient):
    text = TEXT + _line("Mail jane.roe@fastmail.fm, Café", "no") + "\n"
    uri = await open_document(client, "private.jsonl", text)
    found = [d for d in await diagnostics(client, uri) if d.code == "email-in-text"]
    assert len(found) == 1 and found[0].severity == types.DiagnosticSeverity.Warning
    assert found[0].range.start.line == 20
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=found[0].range,
        context=types.CodeActionContext(diagnostics=found, only=[types.CodeActionKind.QuickFix])))
    [action] = [a for a in actions if a.kind == types.CodeActionKind.QuickFix]
    assert "[EMAIL]" in action.title
    fixed = apply_text_edits(text, edits_of(action.edit))
    assert json.loads(fixed.splitlines()[20])["messages"][0]["content"] == "Mail [EMAIL], Café"


async def test_privacy_setting_turns_it_off(client: LanguageClient):
    client.set_configuration({"privacy": False}, section="finetune")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"finetune": {
        "privacy": False}}))
    uri = await open_document(client, "quiet.jsonl", TEXT + _line("Mail jane.roe@fastmail.fm", "no") + "\n")
    assert not [d for d in await diagnostics(client, uri) if d.code == "email-in-text"]


async def test_split_creates_two_files_through_the_editor(client: LanguageClient):
    applied = take_edits(client)
    uri = await open_document(client, "data.jsonl", TEXT)
    answer = await command(client, "finetune.splitFile", uri, 0.25, 5)
    assert answer["applied"] is True
    assert answer["train"]["examples"] == 15 and answer["valid"]["examples"] == 5
    assert answer["labels"] == {"no": [8, 2], "yes": [7, 3]} or answer["labels"] == {"no": [7, 3], "yes": [8, 2]}
    [edit] = applied
    created = [c for c in edit.document_changes if isinstance(c, types.CreateFile)]
    filled = [c for c in edit.document_changes if isinstance(c, types.TextDocumentEdit)]
    assert [c.uri for c in created] == [answer["train"]["uri"], answer["valid"]["uri"]]
    assert all(not c.options.overwrite for c in created)
    texts = [f.edits[0].new_text for f in filled]
    assert sorted("".join(texts).splitlines()) == sorted(TEXT.splitlines())  # nothing lost, nothing doubled
    assert not (client.work_dir / "data.train.jsonl").exists()  # the editor writes files, not the server


async def test_dedupe_edits_the_document(client: LanguageClient):
    applied = take_edits(client)
    text = TEXT + TEXT.splitlines(keepends=True)[3] + _line("QUESTION 4!", "yes")
    uri = await open_document(client, "dupes.jsonl", text)
    answer = await command(client, "finetune.dedupeFile", {"uri": uri})
    assert answer["removed"] == [{"line": 21, "duplicateOf": 4, "kind": "exact"},
                                 {"line": 22, "duplicateOf": 5, "kind": "near"}]
    [edit] = applied
    assert edit.document_changes[0].text_document.uri == uri
    assert apply_text_edits(text, edits_of(edit)) == TEXT


async def test_redact_and_stats(client: LanguageClient):
    applied = take_edits(client)
    text = TEXT + _line("Call +44 20 7946 0958", "no") + "\n"
    uri = await open_document(client, "calls.jsonl", text)
    answer = await command(client, "finetune.redactFile", uri)
    assert answer["replacements"] == [{"line": 21, "column": 49, "code": "phone-in-text"}]
    assert "[PHONE]" in apply_text_edits(text, edits_of(applied[0])).splitlines()[20]
    numbers = await command(client, "finetune.stats", uri)
    assert numbers["examples"] == 21 and numbers["tokens"] > 0
    assert numbers["histogram"].startswith("<svg") and "examples" in numbers["table"]


async def test_a_broken_file_is_refused_in_one_message(client: LanguageClient):
    uri = await open_document(client, "broken.jsonl", TEXT + '{"messages": [\n')
    answer = await command(client, "finetune.dedupeFile", uri)
    assert "line 21" in answer["error"]
