"""finetune.convertFile over stdio with a real LSP client: the training file is created
next to the input through `workspace/applyEdit` (CreateFile, then its text) when the
editor can create files that way, written directly when it cannot, and never over an
existing file; rows that cannot be converted are reported, not lost."""

from __future__ import annotations

import json

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient
from pygls.exceptions import JsonRpcInvalidParams
from pygls.uris import to_fs_path

from lsp.conftest import CLIENTS, server_config
from lsp.session import answer_refreshes, capabilities_of

pytestmark = pytest.mark.asyncio(loop_scope="function")
ROWS = 12
CSV = "question,answer\n" + "".join(f'"Q{i}, really?","A\n{i}"\n' for i in range(ROWS))


def apply_as_an_editor(client: LanguageClient, params: types.ApplyWorkspaceEditParams):
    """Apply a workspace edit to disk as an editor does: create the file (refused when it
    exists), then insert the text; or refuse everything when the test says so."""
    client.edits.append(params)
    if client.refuse_edits:
        return types.ApplyWorkspaceEditResult(applied=False, failure_reason="the user said no")
    for change in params.edit.document_changes or []:
        if isinstance(change, types.CreateFile):
            path = to_fs_path(change.uri)
            with open(path, "x", encoding="utf-8"):
                pass
        elif isinstance(change, types.TextDocumentEdit):
            with open(to_fs_path(change.text_document.uri), "a", encoding="utf-8", newline="") as handle:
                for edit in change.edits:
                    handle.write(edit.new_text)  # every edit inserts at the start of the new file
    return types.ApplyWorkspaceEditResult(applied=True)


@pytest_lsp.fixture(config=server_config(), params=CLIENTS)
async def client(lsp_client: LanguageClient, request, tmp_path):
    answer_refreshes(lsp_client)
    lsp_client.edits, lsp_client.refuse_edits, lsp_client.editor = [], False, request.param
    lsp_client.feature(types.WORKSPACE_APPLY_EDIT)(lambda params: apply_as_an_editor(lsp_client, params))
    lsp_client.initialize_result = await lsp_client.initialize_session(types.InitializeParams(
        capabilities=capabilities_of(request.param), root_uri=tmp_path.as_uri(),
        initialization_options={"model": "gpt-4o-mini-2024-07-18"}))
    lsp_client.work_dir = tmp_path
    yield
    await lsp_client.shutdown_session()


async def convert(client: LanguageClient, *arguments):
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="finetune.convertFile", arguments=list(arguments)))


async def test_converts_next_to_the_input_and_never_over_an_existing_file(client):
    source = client.work_dir / "data.csv"
    source.write_text(CSV, encoding="utf-8")
    result = await convert(client, source.as_uri())
    output = client.work_dir / "data.chat.jsonl"
    assert result["uri"] == output.as_uri() and result["written"] and result["converted"] == ROWS
    assert result["detected"]["shape"] == "question-answer" and result["check"]["errors"] == 0
    lines = output.read_text(encoding="utf-8").splitlines()
    assert len(lines) == ROWS and json.loads(lines[1])["messages"] == [
        {"role": "user", "content": "Q1, really?"}, {"role": "assistant", "content": "A\n1"}]
    if client.editor == "visual-studio-code":  # it announces file creation in workspace edits
        assert result["viaEdit"] is True and len(client.edits) == 1
        kinds = [type(change).__name__ for change in client.edits[0].edit.document_changes]
        assert kinds == ["CreateFile", "TextDocumentEdit"]
        assert client.edits[0].edit.document_changes[0].options.overwrite is False
    else:  # Neovim's recorded capabilities lack documentChanges: the server writes the file
        assert result["viaEdit"] is False and client.edits == []
    assert any("detected shape: question-answer" in m.message for m in client.messages)

    before = output.read_text(encoding="utf-8")
    again = await convert(client, source.as_uri())
    assert "data.chat.jsonl exists" in again["error"] and output.read_text(encoding="utf-8") == before
    assert any("exists" in m.message and m.type == types.MessageType.Error for m in client.messages)


async def test_bad_rows_are_reported_and_left_out_only_when_asked(client):
    source = client.work_dir / "pairs.jsonl"
    rows = [json.dumps({"prompt": f"p{i} ->", "completion": f" c{i} END"}) for i in range(ROWS)]
    rows[4] = '{"prompt": "p4 ->"}'
    source.write_text("\n".join(rows) + "\n", encoding="utf-8")
    refused = await convert(client, source.as_uri())
    assert "pairs.jsonl: 1 rows cannot be converted (the first: row 5, not-convertible)" in refused["error"]
    assert "skipBad" in refused["error"]  # the error names the row; the report says why (it may quote the row)
    assert refused["report"]["problems"][0] == {"row": 5, "code": "not-convertible", "severity": "error",
                                                "message": "the row has no 'completion'"}
    assert not (client.work_dir / "pairs.chat.jsonl").exists()

    result = await convert(client, {"uri": source.as_uri(), "skipBad": True, "output": "clean.jsonl",
                                    "system": "Be brief."})
    written = (client.work_dir / "clean.jsonl").read_text(encoding="utf-8").splitlines()
    assert result["skipped"] == [5] and len(written) == ROWS - 1
    assert json.loads(written[0])["messages"] == [{"role": "system", "content": "Be brief."},
                                                  {"role": "user", "content": "p0"},
                                                  {"role": "assistant", "content": "c0"}]


async def test_unclear_input_and_a_refused_edit(client):
    source = client.work_dir / "mixed.csv"
    source.write_text("prompt,completion,text,label\na,b,c,d\n", encoding="utf-8")
    unclear = await convert(client, source.as_uri())
    assert "more than one shape fits the 4 columns of the input" in unclear["error"]
    assert "prompt, completion, text, label" not in unclear["error"]  # an error never quotes the file
    with pytest.raises(JsonRpcInvalidParams, match="to must be one of chat, preference, prompt-completion"):
        await convert(client, source.as_uri(), {"to": "sideways"})

    if client.editor == "visual-studio-code":
        client.refuse_edits = True
        (client.work_dir / "qa.csv").write_text(CSV, encoding="utf-8")
        refused = await convert(client, (client.work_dir / "qa.csv").as_uri())
        assert "did not create" in refused["error"] and "the user said no" in refused["error"]
        assert not (client.work_dir / "qa.chat.jsonl").exists()


async def test_an_open_document_is_converted_as_the_editor_shows_it(client):
    source = client.work_dir / "draft.jsonl"
    source.write_text('{"question": "only on disk"}\n', encoding="utf-8")  # saved: one bad row
    shown = "".join(json.dumps({"question": f"q{i}", "answer": f"a{i}"}) + "\n" for i in range(ROWS))
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=source.as_uri(), language_id="jsonl", version=1, text=shown)))
    result = await convert(client, source.as_uri())
    assert result["converted"] == ROWS and not result["problems"]
    assert (client.work_dir / "draft.chat.jsonl").read_text(encoding="utf-8").count("\n") == ROWS
