"""Issue 13 item 13 in the editor: finetune.tryModel given a malformed answer by the
stateful fake OpenAI server over HTTP is one sentence (a result with `error`, and an error
message shown), never an internal error; the server goes on answering."""

from __future__ import annotations

import os
import sys

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from fake_openai import SENTINEL_KEY
from lsp.session import answer_refreshes, command, diagnostics, initialize_against, open_document, said_to

pytestmark = pytest.mark.asyncio(loop_scope="function")
CHAT = '{"messages":[{"role":"user","content":"q%d"},{"role":"assistant","content":"a%d"}]}\n'
PROMPT = '{"prompt":"p%d","completion":"c%d"}\n'
MODEL = "gpt-4.1-mini-2025-04-14"


@pytest_lsp.fixture(config=ClientServerConfig(
    server_command=[sys.executable, "-m", "finetune_ls", "serve"],
    server_env={k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}))
async def client(lsp_client: LanguageClient, tmp_path, fake_openai):
    answer_refreshes(lsp_client)
    lsp_client.initialize_result = await initialize_against(lsp_client, tmp_path, fake_openai, MODEL)
    yield
    await lsp_client.shutdown_session()
    assert SENTINEL_KEY not in said_to(lsp_client)


JSON = "application/json"
CHAT_ROUTE, PROMPT_ROUTE = "POST /v1/chat/completions", "POST /v1/completions"
MALFORMED = [
    (CHAT_ROUTE, [], JSON, "is not a JSON object but a list"),
    (CHAT_ROUTE, {"choices": None}, JSON, "has no list of choices"),
    (CHAT_ROUTE, {"choices": []}, JSON, "has no choices"),
    (CHAT_ROUTE, {"choices": [{"index": 0, "message": {"role": "assistant", "content": None}}]}, JSON,
     "a message without content"),
    (CHAT_ROUTE, b"<html>Sign in to the proxy</html>", JSON, "is not JSON"),
    (PROMPT_ROUTE, {"choices": [{"index": 0, "text": None}]}, JSON, "a choice without text"),
]


@pytest.mark.parametrize("route, body, content_type, expected", MALFORMED,
                         ids=["list", "choices-null", "choices-empty", "no-content", "not-json", "prompt-no-text"])
async def test_try_model_given_a_malformed_answer_is_one_sentence(client, fake_openai, route, body, content_type,
                                                                  expected):
    assert (await command(client, "finetune.setApiKey", SENTINEL_KEY))["hasKey"] is True
    text = "".join((CHAT if route == CHAT_ROUTE else PROMPT) % (i, i) for i in range(12))
    uri = await open_document(client, "data.jsonl", text)
    await diagnostics(client, uri)
    fake_openai.answer_next(route, body, content_type=content_type)
    result = await command(client, "finetune.tryModel", uri, 2, MODEL)  # an internal error would raise here
    assert set(result) == {"error"} and expected in result["error"] and "OpenAI-compatible" in result["error"], result
    shown = [m.message for m in client.messages if m.type == types.MessageType.Error]
    assert any(expected in message for message in shown), shown
    again = await command(client, "finetune.tryModel", uri, 2, MODEL)  # the fault was one answer
    assert again["expected"] in ("a2", "c2") and isinstance(again["answer"], str), again
