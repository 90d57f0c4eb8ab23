"""The editor commands' arguments, over stdio with a real LSP client: a wrong one (null
where a value is needed, the wrong kind, "inf", a list) is answered with InvalidParams
(-32602) naming the argument, never an internal error (-32603) with a traceback; and the
files the server makes stay inside the workspace folders the client announced (beside
the input when it announced none), with no error quoting what a file holds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.uris import to_fs_path
from pytest_lsp import LanguageClient

from lsp.conftest import CLIENTS, server_config
from lsp.session import answer_refreshes, capabilities_of

pytestmark = pytest.mark.asyncio(loop_scope="function")
SENTINEL_KEY = "sk-test-sentinel-never-shown-0123456789"
SECRET_LINE = "root-secret-line:x:0:0:do-not-show:/root:/bin/sh"
EXAMPLES = "".join(json.dumps({"messages": [{"role": "user", "content": f"question {i}"},
                                            {"role": "assistant", "content": f"answer {i}"}]}) + "\n"
                   for i in range(20))
CSV = "question,answer\n" + "".join(f"q{i},a{i}\n" for i in range(12))


def apply_as_an_editor(client: LanguageClient, params: types.ApplyWorkspaceEditParams):
    """Create each file and insert its text, as an editor does; keep the edit for the test."""
    client.edits.append(params.edit)
    for change in params.edit.document_changes or []:
        if isinstance(change, types.CreateFile):
            Path(to_fs_path(change.uri)).parent.mkdir(parents=True, exist_ok=True)
            with open(to_fs_path(change.uri), "w" if change.options.overwrite else "x", encoding="utf-8"):
                pass
        elif isinstance(change, types.TextDocumentEdit):
            with open(to_fs_path(change.text_document.uri), "a", encoding="utf-8", newline="") as handle:
                handle.write("".join(edit.new_text for edit in change.edits))
    return types.ApplyWorkspaceEditResult(applied=True)


async def start(lsp_client: LanguageClient, editor: str, root: Path, folders: list[Path] | None) -> None:
    """Initialize as `editor`, announcing `folders` as the workspace (None: no folder, no root)."""
    answer_refreshes(lsp_client)
    lsp_client.edits, lsp_client.editor = [], editor
    lsp_client.feature(types.WORKSPACE_APPLY_EDIT)(lambda params: apply_as_an_editor(lsp_client, params))
    lsp_client.initialize_result = await lsp_client.initialize_session(types.InitializeParams(
        capabilities=capabilities_of(editor),
        root_uri=folders[0].as_uri() if folders else None,
        workspace_folders=[types.WorkspaceFolder(uri=f.as_uri(), name=f.name) for f in folders] if folders else None,
        initialization_options={"model": "gpt-4o-mini-2024-07-18"}))
    lsp_client.root = root


@pytest_lsp.fixture(config=server_config(), params=CLIENTS)
async def client(lsp_client: LanguageClient, request, tmp_path):
    """Two workspace folders, work and work2, and a folder outside them."""
    for name in ("work", "work2", "outside"):
        (tmp_path / name).mkdir()
    await start(lsp_client, request.param, tmp_path, [tmp_path / "work", tmp_path / "work2"])
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=server_config(), params=CLIENTS)
async def folderless(lsp_client: LanguageClient, request, tmp_path):
    """A client that announced no workspace folder (a single file opened in the editor)."""
    (tmp_path / "here").mkdir()
    await start(lsp_client, request.param, tmp_path, None)
    yield
    await lsp_client.shutdown_session()


async def run(client: LanguageClient, command: str, *arguments):
    return await client.workspace_execute_command_async(types.ExecuteCommandParams(command=command,
                                                                                   arguments=list(arguments)))


async def refused(client: LanguageClient, command: str, *arguments) -> str:
    """The message of the InvalidParams error the command must answer with."""
    with pytest.raises(JsonRpcException) as caught:
        await run(client, command, *arguments)
    error = caught.value
    assert isinstance(error, JsonRpcInvalidParams) and error.code == -32602, (command, arguments, error.code, error)
    assert "Traceback" not in error.message and SENTINEL_KEY not in error.message
    assert error.message.startswith(f"{command}: ")
    return error.message


def data_file(client: LanguageClient, folder: str = "work", name: str = "data.jsonl", text: str = EXAMPLES) -> Path:
    path = client.root / folder / name
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- 14: every argument checked
async def test_every_command_refuses_arguments_of_the_wrong_kind(client):
    """Every command the server announces, with a list where its first argument goes and
    with an argument it does not take: InvalidParams, not a crash or a silent default."""
    commands = client.initialize_result.capabilities.execute_command_provider.commands
    assert len(commands) >= 20
    for command in commands:
        message = await refused(client, command, [])
        assert "must be" in message or "takes at most" in message, message
        message = await refused(client, command, {"no-such-argument": 1})
        assert "unknown argument 'no-such-argument'" in message


SPLIT_CASES = [
    (["inf"], "valid must be a fraction between 0 and 1, or a whole count of examples, not text"),
    ([1.5], "valid must be a fraction between 0 and 1, or a whole count of examples, not 1.5"),
    ([0], "valid must be a fraction between 0 and 1"),
    ([0.2, []], "seed must be a whole number, not a list"),
    ([0.2, 1.5], "seed must be a whole number, not 1.5"),
    ([0.2, "7"], "seed must be a whole number, not text"),
    ([0.2, 7, "no"], "stratify must be true or false, not text"),
    ([0.2, 7, True, 1], "force must be true or false, not 1"),
]


async def test_split_names_a_wrong_argument(client):
    uri = data_file(client).as_uri()
    for arguments, named in SPLIT_CASES:
        assert named in await refused(client, "finetune.splitFile", uri, *arguments), arguments
    assert client.edits == []


async def test_split_takes_null_as_not_given(client):
    uri = data_file(client).as_uri()
    answer = await run(client, "finetune.splitFile", {"uri": uri, "valid": None, "seed": None})
    assert answer["applied"] is True and answer["valid"]["examples"] == 2 and answer["train"]["examples"] == 18


async def test_the_other_commands_name_a_wrong_argument(client):
    uri = data_file(client).as_uri()
    cases = [
        ("finetune.splitFile", [None], "uri must be a document URI (text), not null"),
        ("finetune.dedupeFile", [uri, "yes"], "exact must be true or false, not text"),
        ("finetune.redactFile", [{"uri": 7}], "uri must be a document URI (text), not 7"),
        ("finetune.stats", [uri, ["gpt-4o"]], "model must be text, not a list"),
        ("finetune.checkFile", [None], "uri must be a document URI (text), not null"),
        ("finetune.checkFile", [], "the argument uri is missing"),
        ("finetune.selectModel", [uri, 4], "model must be text, not 4"),
        ("finetune.selectEpochs", [uri, "ten"], 'epochs must be a whole number from 1 to 50, or "auto", not text'),
        ("finetune.selectEpochs", [uri, 0], 'epochs must be a whole number from 1 to 50, or "auto", not 0'),
        ("finetune.convertFile", [uri, {"skipBad": "yes"}], "skipBad must be true or false, not text"),
        ("finetune.convertFile", [uri, {"roles": {"bot": 1}}], "roles must be an object of speaker names to roles"),
        ("finetune.convertFile", [uri, {"output": []}], "output must be text, not a list"),
        ("finetune.convertFile", [uri, {"from": "inf"}], "from must be one of csv, tsv, json, jsonl, xlsx, not text"),
        ("finetune.convertFile", [uri, "csv"], "the options must be an object"),
        ("finetune.setApiKey", [{"key": {"nested": SENTINEL_KEY}}],
         "key must be text, or null to forget it, not an object"),
        ("finetune.upload", [uri, "inf"], "force must be true or false, not text"),
        ("finetune.deleteFile", [None], "id must be text, not null"),
        ("finetune.createJob", [{"model": "gpt-4o-mini-2024-07-18"}], "the argument trainingFile is missing"),
        ("finetune.createJob", [{"trainingFile": "file-1", "seed": "inf"}],
         "seed must be a whole number from 0 to 2147483647, not text"),
        ("finetune.createJob", [{"trainingFile": "file-1", "hyperparameters": []}], "hyperparameters must be an object"),
        ("finetune.createJob", [{"trainingFile": "file-1", "hyperparameters": {"n_epochs": [3]}}],
         "hyperparameters must be an object of numbers or text"),
        ("finetune.createJob", [{"trainingFile": "file-1", "seed": -1}], "seed must be a whole number from 0 to"),
        ("finetune.trainableModels", [{"format": 3}], "format must be text, not 3"),
        ("finetune.followJob", [[]], "id must be text, not a list"),
        ("finetune.cancelJob", [""], "id must be text, not empty text"),
        ("finetune.jobEvents", [{"id": None}], "id must be text, not null"),
        ("finetune.deleteModel", [], "the argument id is missing"),
        ("finetune.tryModel", [uri, "3"], "line must be a whole number from 0, not text"),
        ("finetune.tryModel", [uri, -1], "line must be a whole number from 0, not -1"),
        ("finetune.listJobs", [1], "takes at most 0 argument(s)"),
    ]
    for command, arguments, named in cases:
        assert named in await refused(client, command, *arguments), (command, arguments)
    assert client.edits == [] and sorted(p.name for p in (client.root / "work").iterdir()) == ["data.jsonl"]


# ---------------------------------------------------------------- 15: outputs stay in the workspace
async def test_convert_never_writes_outside_the_workspace(client):
    source = data_file(client, name="qa.csv", text=CSV)
    (client.root / "work" / "link").symlink_to(client.root / "outside")  # inside, leading out
    escaped = client.root.parent / "escaped.jsonl"
    try:
        for output in ("../../escaped.jsonl", "../outside/escaped.jsonl", str(client.root / "outside" / "escaped.jsonl"),
                       (client.root / "outside" / "escaped.jsonl").as_uri(), "link/escaped.jsonl"):
            answer = await run(client, "finetune.convertFile", source.as_uri(), {"output": output})
            assert "is outside the workspace folders" in answer["error"], (output, answer)
            assert client.edits == [] and list((client.root / "outside").iterdir()) == [] and not escaped.exists()
    finally:  # what a server that let it out wrote above the test's folder
        escaped.unlink(missing_ok=True)


async def test_convert_writes_in_any_announced_folder(client):
    source = data_file(client, name="qa.csv", text=CSV)
    answer = await run(client, "finetune.convertFile", source.as_uri(), {"output": "../work2/qa.chat.jsonl"})
    assert answer.get("written") is True, answer
    assert len((client.root / "work2" / "qa.chat.jsonl").read_text(encoding="utf-8").splitlines()) == 12


async def test_split_of_a_file_outside_the_workspace_is_refused(client):
    source = data_file(client, folder="outside")
    answer = await run(client, "finetune.splitFile", source.as_uri())
    assert "is outside the workspace folders" in answer["error"]
    assert client.edits == [] and [p.name for p in (client.root / "outside").iterdir()] == ["data.jsonl"]


async def test_without_a_workspace_folder_outputs_stay_beside_the_input(folderless):
    source = data_file(folderless, folder="here", name="qa.csv", text=CSV)
    (folderless.root / "here" / "sub").mkdir()
    for output in ("sub/qa.chat.jsonl", "../qa.chat.jsonl"):
        answer = await run(folderless, "finetune.convertFile", source.as_uri(), {"output": output})
        assert "is not beside qa.csv" in answer["error"], answer
    assert folderless.edits == [] and sorted(p.name for p in (folderless.root / "here").rglob("*")) == ["qa.csv", "sub"]
    answer = await run(folderless, "finetune.convertFile", source.as_uri(), {"output": "mine.jsonl"})
    assert answer.get("written") is True and (folderless.root / "here" / "mine.jsonl").is_file()


async def test_an_error_never_quotes_the_file(client):
    """A file that is not training data, read as CSV: its first line is its header, and the
    errors name columns by number, never by what they hold."""
    secret = data_file(client, folder="outside", name="passwd", text=SECRET_LINE + "\nsecond:line\n")
    answers = [await run(client, "finetune.convertFile", secret.as_uri(), {"from": "csv"}),
               await run(client, "finetune.convertFile", secret.as_uri(), {"from": "csv", "shape": "question-answer"}),
               await run(client, "finetune.convertFile", secret.as_uri(), {"from": "csv", "promptColumn": "p"})]
    duplicated = data_file(client, name="twice.csv", text=f"{SECRET_LINE},{SECRET_LINE}\n1,2\n")
    answers.append(await run(client, "finetune.convertFile", duplicated.as_uri()))
    for answer in answers:
        assert set(answer) == {"error"} and "root-secret-line" not in answer["error"], answer
    assert "no known shape in the one column of the input" in answers[0]["error"]
    assert "columns 1 and 2 of the header have the same name" in answers[3]["error"]
    assert not any("root-secret-line" in message.message for message in client.messages)
