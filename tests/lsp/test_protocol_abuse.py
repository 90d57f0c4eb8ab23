"""The server under messages no well-behaved client sends, written as raw bytes to its stdin:
broken frames, params that do not fit, requests out of order. Each is answered as LSP and
JSON-RPC say (or skipped), and the server keeps answering; it ends with the exit code LSP
gives, and with no traceback when the client goes away. And every command takes the
arguments its callers send: the lens's one, the VS Code client's, none from a palette."""

from __future__ import annotations

import asyncio
import json
import os
import sys

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pytest_lsp import ClientServerConfig, LanguageClient

from fake_openai import SENTINEL_KEY
from lsp.session import answer_refreshes, initialize_against, said_to, diagnostics, end_session, open_document
from raw_server import HOVER, RawServer, frame, notification, request

PARSE_ERROR, INVALID_REQUEST, INVALID_PARAMS, NOT_INITIALIZED = -32700, -32600, -32602, -32002


@pytest.fixture
def server(tmp_path):
    started = RawServer(str(tmp_path / "cache"))
    yield started
    started.close()


def _hover(request_id) -> bytes:
    return json.dumps(request(request_id, "textDocument/hover", HOVER)).encode()


def _still_answers(server: RawServer, request_id) -> None:
    server.send(frame(_hover(request_id)))
    assert server.answer(request_id) == {"jsonrpc": "2.0", "id": request_id, "result": None}


def test_header_names_in_any_case_are_read(server):
    server.initialize()
    body = _hover(1)
    server.send(b"content-length: %d\r\n\r\n" % len(body) + body)
    assert server.answer(1)["result"] is None
    server.send(b"CONTENT-LENGTH:%d\r\ncontent-type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n" % len(body)
                + _hover(2))
    assert server.answer(2)["result"] is None


@pytest.mark.parametrize("broken", [
    pytest.param(lambda body: b"Content-Length: abc\r\n\r\n" + body, id="length-not-a-number"),
    pytest.param(lambda body: b"Content-Length: %d\r\n\r\n" % (len(body) - 7) + body, id="length-too-short"),
    pytest.param(lambda body: b"Content-Length: %d\r\n\r\n" % (len(body) + 40) + body, id="length-too-long"),
    pytest.param(lambda body: b"Content-Length: 3\r\n\r\n", id="length-cuts-into-the-next-header"),
    pytest.param(lambda body: b"Content-Type: text/plain\r\n\r\n" + body, id="no-length"),
    pytest.param(lambda body: b"\x00\xff garbage {\r\n" + body[:9], id="garbage"),
])
def test_after_a_broken_frame_the_next_request_is_answered(server, broken):
    server.initialize()
    server.send(broken(_hover(1)))
    _still_answers(server, 2)
    _still_answers(server, 3)


def test_a_body_that_is_not_json_gets_a_parse_error_with_a_null_id(server):
    server.initialize()
    server.send(frame(b'{"jsonrpc": "2.0", "id": 4, "method": '))
    error = server.wait_for(lambda m: m.get("error", {}).get("code") == PARSE_ERROR, what="no parse error")
    assert "id" in error and error["id"] is None
    _still_answers(server, 5)


@pytest.mark.parametrize("params", ["x", None, 3, {"textDocument": "x"}])
def test_a_request_whose_params_do_not_fit_gets_invalid_params(server, params):
    server.initialize()
    server.send(frame(request(6, "textDocument/hover", params)))
    assert server.answer(6)["error"]["code"] == INVALID_PARAMS
    _still_answers(server, 7)


@pytest.mark.parametrize("message", [[1, 2], "text", {"jsonrpc": "1.0", "id": 8, "method": "textDocument/hover"},
                                     {"jsonrpc": "2.0", "id": 8, "method": 5}, {"jsonrpc": "2.0"}])
def test_what_is_not_a_json_rpc_message_gets_invalid_request(server, message):
    server.initialize()
    server.send(frame(message))
    error = server.wait_for(lambda m: m.get("error", {}).get("code") == INVALID_REQUEST, what="no invalid request")
    assert error["id"] in (8, None)
    _still_answers(server, 9)


def test_a_request_before_initialize_gets_server_not_initialized(server):
    server.send(frame(request(10, "textDocument/hover", HOVER)))
    assert server.answer(10)["error"]["code"] == NOT_INITIALIZED
    assert "capabilities" in server.initialize()["result"]
    _still_answers(server, 11)


def test_requests_after_shutdown_get_invalid_request_and_exit_then_ends_with_0(server):
    server.initialize()
    server.send(frame(request(12, "shutdown")))
    assert server.answer(12) == {"jsonrpc": "2.0", "id": 12, "result": None}
    server.send(frame(_hover(13)))
    assert server.answer(13)["error"]["code"] == INVALID_REQUEST
    server.send(frame(request(14, "shutdown")))
    assert server.answer(14)["error"]["code"] == INVALID_REQUEST
    server.send(frame(notification("exit")))
    assert server.exit_code() == 0


def test_exit_without_shutdown_ends_with_1(server):
    server.initialize()
    server.send(frame(notification("exit")))
    assert server.exit_code() == 1


def test_a_change_to_a_document_never_opened_is_ignored_without_an_error_shown(server):
    server.initialize()
    for method in ("textDocument/didChange", "textDocument/didClose"):
        server.send(frame(notification(method, {
            "textDocument": {"uri": "file:///nowhere/never-opened.jsonl", "version": 2},
            "contentChanges": [{"text": "{}"}]})))
    _still_answers(server, 15)
    shown = [m for m in server.seen if m.get("method") == "window/showMessage"]
    assert shown == []


def test_the_end_of_the_input_ends_the_server_with_a_line_and_no_traceback(server):
    server.initialize()  # also starts the worker pool in the background, which the end must stop cleanly
    server.send(b"Content-Length: 100\r\n\r\n{")  # and a message cut off by the end
    server.process.stdin.close()
    assert server.exit_code() == 1
    assert "Traceback" not in server.stderr
    assert "without shutdown and exit" in server.stderr


@pytest.mark.parametrize("busy", ["asking the user", "checking a big document in the workers"])
def test_the_end_of_the_input_while_the_server_is_busy_leaves_no_traceback(server, tmp_path, busy):
    server.initialize()
    uri = (tmp_path / "open.jsonl").as_uri()
    line = '{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"ok"}]}\n'
    text = line * (3 if busy == "asking the user" else 60_000)
    server.send(frame(notification("textDocument/didOpen", {
        "textDocument": {"uri": uri, "languageId": "jsonl", "version": 1, "text": text}})))
    if busy == "asking the user":
        server.send(frame(request(16, "workspace/executeCommand", {"command": "finetune.selectModel",
                                                                    "arguments": [uri]})))
        server.wait_for(lambda m: m.get("method") == "window/showMessageRequest", what="no question")
    else:
        server.wait_for(lambda m: m.get("method") == "$/progress" or m.get("method") == "window/workDoneProgress/create"
                        or m.get("method") == "textDocument/publishDiagnostics", what="no sign of the check")
    server.process.stdin.close()
    assert server.exit_code() == 1
    assert "Traceback" not in server.stderr and "Error" not in server.stderr, server.stderr


# ---------------------------------------------------------------- commands, as their callers send them
CHAT = '{"messages":[{"role":"user","content":"q%d"},{"role":"assistant","content":"a%d"}]}\n'
NEEDS_A_TARGET = {"finetune.selectModel", "finetune.selectEpochs", "finetune.checkFile", "finetune.upload",
                  "finetune.deleteFile", "finetune.followJob", "finetune.showJob", "finetune.cancelJob",
                  "finetune.pauseJob", "finetune.resumeJob", "finetune.jobEvents", "finetune.deleteModel",
                  "finetune.tryModel", "finetune.splitFile", "finetune.dedupeFile", "finetune.redactFile",
                  "finetune.stats", "finetune.convertFile", "finetune.selectTarget", "finetune.uploadedCopy"}


@pytest_lsp.fixture(config=ClientServerConfig(
    server_command=[sys.executable, "-m", "finetune_ls", "serve"],
    server_env={k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}))
async def editor(lsp_client: LanguageClient, tmp_path, fake_openai):
    """VS Code's capabilities, the fake OpenAI server behind it, and a user who answers every
    question with its first choice (and notes it in `asked`)."""
    answer_refreshes(lsp_client)
    lsp_client.asked = []

    @lsp_client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
    def _ask(params: types.ShowMessageRequestParams):
        lsp_client.asked.append(params.message)
        return (params.actions or [None])[0]

    @lsp_client.feature(types.WORKSPACE_APPLY_EDIT)
    def _apply(params):
        return types.ApplyWorkspaceEditResult(applied=False, failure_reason="not in this test")

    lsp_client.initialize_result = await initialize_against(lsp_client, tmp_path, fake_openai)
    yield
    await end_session(lsp_client)
    assert SENTINEL_KEY not in said_to(lsp_client, lsp_client.asked)


async def _execute(client: LanguageClient, command: str, arguments):
    """The command's answer; a JSON-RPC error (as pygls's -32602 for a lens's one argument) fails."""
    return await asyncio.wait_for(client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command, arguments=arguments)), 30)


@pytest.mark.asyncio(loop_scope="function")
async def test_the_model_and_epochs_lenses_work_when_clicked(editor):
    uri = await open_document(editor, "train.jsonl", "".join(CHAT % (i, i) for i in range(5)))
    await diagnostics(editor, uri)
    lenses = await editor.text_document_code_lens_async(types.CodeLensParams(types.TextDocumentIdentifier(uri)))
    clickable = {lens.command.command: lens.command for lens in lenses if lens.command.command}
    assert set(clickable) >= {"finetune.selectModel", "finetune.selectEpochs", "finetune.selectTarget"}
    for name, command in clickable.items():  # as the editor does when the lens is clicked
        editor.asked.clear()
        answer = await _execute(editor, command.command, command.arguments)
        assert len(editor.asked) == 1, name  # the lens gives the document; the value is asked for
        assert set(answer) == {{"finetune.selectModel": "model", "finetune.selectTarget": "target"}.get(name, "epochs")}, \
            (name, answer)


@pytest.mark.asyncio(loop_scope="function")
async def test_every_command_takes_the_arguments_its_callers_send(editor, fake_openai):
    uri = await open_document(editor, "train.jsonl", "".join(CHAT % (i, i) for i in range(12)))
    await diagnostics(editor, uri)
    table = editor.work_dir / "table.csv"
    table.write_text("prompt,completion\nhi,there\nbye,now\n", encoding="utf-8")
    assert (await _execute(editor, "finetune.setApiKey", [SENTINEL_KEY]))["hasKey"] is True
    calls = [("finetune.setApiKey", [SENTINEL_KEY]), ("finetune.upload", [uri])]
    file_id = (await _execute(editor, "finetune.upload", [uri]))["file"]["id"]
    # The VS Code client's calls (client-vscode/src), the lenses' and the README's.
    calls += [
        ("finetune.selectModel", [uri]), ("finetune.selectEpochs", [uri]),
        ("finetune.selectModel", [uri, "gpt-4.1-2025-04-14"]), ("finetune.selectEpochs", [uri, 2]),
        ("finetune.selectModel", [{"uri": uri, "model": "gpt-4.1-mini-2025-04-14"}]),
        ("finetune.selectTarget", [uri]), ("finetune.selectTarget", [uri, "openai"]),
        ("finetune.selectTarget", [{"uri": uri, "target": "openai"}]),
        ("finetune.checkFile", [uri]), ("finetune.trainableModels", [{"format": "chat"}]),
        ("finetune.uploadedCopy", [{"uri": uri}]),
        ("finetune.listJobs", []), ("finetune.listModels", []), ("finetune.listFiles", []),
        ("finetune.createJob", [{"trainingFile": file_id, "model": "gpt-4.1-mini-2025-04-14", "method": "supervised",
                                 "hyperparameters": {}}]),
    ]
    answers = {}
    for command, arguments in calls:
        answers[command] = await _execute(editor, command, arguments)
    job_id = answers["finetune.createJob"]["job"]["id"]
    for command in ("finetune.showJob", "finetune.jobEvents", "finetune.pauseJob", "finetune.resumeJob",
                    "finetune.cancelJob"):
        calls.append((command, [job_id]))
        answers[command] = await _execute(editor, command, [job_id])
    fake_openai.auto_advance = True
    more = [("finetune.followJob", [job_id]), ("finetune.tryModel", [uri, 0, "gpt-4.1-mini-2025-04-14"]),
            ("finetune.deleteModel", ["ft:gpt-4.1-mini:none:x:1"]), ("finetune.deleteFile", [file_id]),
            ("finetune.stats", [uri]), ("finetune.dedupeFile", [uri]), ("finetune.redactFile", [uri]),
            ("finetune.splitFile", [uri]), ("finetune.convertFile", [table.as_uri()]),
            # Azure's (client-vscode/src/views.ts, startJob.ts); on OpenAI each answers with a sentence.
            ("finetune.trainingTypes", [{"model": "gpt-4.1-mini-2025-04-14"}]), ("finetune.jobCheckpoints", [job_id]),
            ("finetune.copyCheckpoint", [{"job": job_id, "checkpoint": "ftchkpt-x", "destination": "/subscriptions/s",
                                          "region": "swedencentral"}]),
            ("finetune.deployments.skus", []), ("finetune.deployments.list", []),
            ("finetune.deployments.create", [{"model": "gpt-4.1-mini-2025-04-14.ft-x", "sku": "Developer"}]),
            ("finetune.deployments.delete", [{"name": "demo"}]), ("finetune.setApiKey", [None])]
    for command, arguments in more:
        calls.append((command, arguments))
        answers[command] = await _execute(editor, command, arguments)
    registered = set(editor.initialize_result.capabilities.execute_command_provider.commands)
    assert {command for command, _ in calls} == registered  # every command is called here
    assert answers["finetune.selectEpochs"] == {"epochs": 2}
    assert answers["finetune.checkFile"]["examples"] == 12
    assert answers["finetune.uploadedCopy"]["id"] == file_id
    assert answers["finetune.showJob"]["id"] == job_id
    assert answers["finetune.setApiKey"]["hasKey"] is False
    assert answers["finetune.trainingTypes"]["trainingTypes"] == [] and answers["finetune.deployments.skus"]["skus"]
    for command in ("finetune.copyCheckpoint", "finetune.deployments.create", "finetune.deployments.delete"):
        assert "Azure" in answers[command]["error"], (command, answers[command])


@pytest.mark.asyncio(loop_scope="function")
async def test_a_command_without_arguments_is_refused_naming_what_it_needs_and_asks_nothing(editor):
    registered = editor.initialize_result.capabilities.execute_command_provider.commands
    for command in registered:
        if command not in NEEDS_A_TARGET:
            continue
        for arguments in (None, []):  # a command palette sends none
            editor.asked.clear()
            # Refused as lsp/arguments.py refuses a missing argument: InvalidParams naming
            # the command and what it needs, never a question about "None".
            with pytest.raises(JsonRpcException) as refused:
                await _execute(editor, command, arguments)
            error = refused.value
            assert isinstance(error, JsonRpcInvalidParams) and command in str(error), (command, error)
            assert "missing" in str(error), (command, error)
            assert editor.asked == [], (command, editor.asked)
