"""Issue 16: Try Model's answer beside the expected one, with the call's tokens and cost.
The language server over stdio (pytest-lsp) against the stateful fake OpenAI server: the
cost is the fake's usage at the catalog's inference prices of the fine-tuned model's base
(null, with a sentence saying why, when no price is known); a client that declares it
shows trials itself (VS Code's diff editor, through the experimental capability
{"finetune": {"showsTrials": true}}) gets no message, any other client gets the answer
as one; tool calls are shown as JSON rather than nothing."""

from __future__ import annotations

import json
import os
import sys

import pytest
import pytest_asyncio
from lsprotocol import types
from pytest_lsp import ClientServerConfig

from fake_openai import SENTINEL_KEY
from fake_openai.state import DEFAULT_ANSWER
from lsp.session import answer_refreshes, capabilities_of, command, diagnostics, open_document, said_to

pytestmark = pytest.mark.asyncio(loop_scope="function")
CHAT = '{"messages":[{"role":"user","content":"q%d"},{"role":"assistant","content":"a%d"}]}\n'
TEXT = "".join(CHAT % (i, i) for i in range(12))
MINI = "ft:gpt-4o-mini-2024-07-18:org::abc"  # $0.30 in, $1.20 out per 1M tokens (data/models.json)
# The fake counts words: line 3 ("q2") is 3 + 1 + 3 prompt tokens, its canned answer 10 words.
PROMPT_TOKENS, COMPLETION_TOKENS = 7, len(DEFAULT_ANSWER.split())
SHOWS_TRIALS = {"finetune": {"showsTrials": True}}


async def start(tmp_path, fake_openai, experimental=None, **settings):
    """A session as VS Code would start it (with `experimental` client capabilities), the
    key handed over, and a chat file open."""
    config = ClientServerConfig(server_command=[sys.executable, "-m", "finetune_ls", "serve"],
                                server_env={k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"})
    client = await config.start()
    answer_refreshes(client)
    capabilities = capabilities_of("visual-studio-code")
    capabilities.experimental = experimental
    client.initialize_result = await client.initialize_session(types.InitializeParams(
        capabilities=capabilities, root_uri=tmp_path.as_uri(),
        initialization_options={"baseUrl": fake_openai.base_url, "apiTimeout": 5, **settings}))
    client.work_dir = tmp_path
    assert (await command(client, "finetune.setApiKey", SENTINEL_KEY))["hasKey"] is True
    client.uri = await open_document(client, "data.jsonl", TEXT)
    await diagnostics(client, client.uri)
    return client


@pytest_asyncio.fixture(loop_scope="function")
async def sessions():
    """The sessions a test starts, ended after it; none said the key."""
    started = []
    yield started
    for client in started:
        await client.shutdown_session()
        await client.stop()
        assert SENTINEL_KEY not in said_to(client)


def answers_shown(client) -> list[str]:
    return [m.message for m in client.messages if DEFAULT_ANSWER in m.message or "expected:" in m.message]


async def test_the_cost_is_the_usage_at_the_base_models_prices_and_vscode_gets_no_message(tmp_path, fake_openai,
                                                                                          sessions):
    fake_openai.add_model(MINI)
    client = await start(tmp_path, fake_openai, SHOWS_TRIALS)
    sessions.append(client)
    trial = await command(client, "finetune.tryModel", client.uri, 2, MINI)
    assert (trial["line"], trial["model"], trial["expected"], trial["answer"]) == (3, MINI, "a2", DEFAULT_ANSWER)
    assert (trial["prompt_tokens"], trial["completion_tokens"]) == (PROMPT_TOKENS, COMPLETION_TOKENS) == (7, 10)
    assert trial["cost"] == 0.0000141 and trial["cost_note"] is None  # 7 x $0.30 + 10 x $1.20, per 1M tokens
    assert trial["expected_tool_calls"] is None and trial["answer_tool_calls"] is None
    assert answers_shown(client) == []  # the client shows it in a diff editor


async def test_other_editors_get_the_answer_as_a_message_with_tokens_and_cost(tmp_path, fake_openai, sessions):
    fake_openai.add_model(MINI)
    client = await start(tmp_path, fake_openai)  # no experimental capability: Neovim, Emacs
    sessions.append(client)
    trial = await command(client, "finetune.tryModel", client.uri, 2, MINI)
    assert trial["cost"] == 0.0000141
    shown = answers_shown(client)
    assert shown == [f"{MINI} on line 3:\nexpected: a2\nanswer: {DEFAULT_ANSWER}\n(7 in / 10 out tokens, $0.000014)"]
    assert client.messages[-1].type == types.MessageType.Info


async def test_a_model_without_a_price_has_a_null_cost_and_says_why(tmp_path, fake_openai, sessions):
    unpriced, unknown = "ft:gpt-4-0613:org::old", "ft:my-own-base:org::x"  # a null price; no catalog entry
    for model in (unpriced, unknown):
        fake_openai.add_model(model)
    client = await start(tmp_path, fake_openai, SHOWS_TRIALS)
    sessions.append(client)
    trial = await command(client, "finetune.tryModel", client.uri, 0, unpriced)
    assert trial["cost"] is None and trial["prompt_tokens"] == PROMPT_TOKENS
    assert trial["cost_note"] == "The cost is not known: the OpenAI catalog has no inference price for gpt-4-0613."
    trial = await command(client, "finetune.tryModel", client.uri, 0, unknown)
    assert trial["cost"] is None
    assert trial["cost_note"] == "The cost is not known: my-own-base is not in the OpenAI catalog."
    # A base model is not priced at the catalog's fine-tuned rates (about twice its own).
    fake_openai.add_model("gpt-4o-mini-2024-07-18")
    trial = await command(client, "finetune.tryModel", client.uri, 0, "gpt-4o-mini-2024-07-18")
    assert trial["cost"] is None and "not a fine-tuned model" in trial["cost_note"]
    assert answers_shown(client) == []


async def test_an_openai_compatible_service_has_no_price(tmp_path, fake_openai, sessions):
    fake_openai.add_model(MINI)
    client = await start(tmp_path, fake_openai, SHOWS_TRIALS, provider="compatible")
    sessions.append(client)
    trial = await command(client, "finetune.tryModel", client.uri, 0, MINI)
    assert trial["answer"] == DEFAULT_ANSWER and trial["cost"] is None
    assert "OpenAI-compatible service sets its own prices" in trial["cost_note"]


async def test_on_azure_the_azure_catalog_has_no_inference_price(tmp_path, fake_openai, sessions):
    model = "gpt-4o-mini-2024-07-18.ft-0123456789abcdef0123456789abcdef"  # priced on OpenAI, not in azure.json
    fake_openai.add_model("mini-deployment")
    client = await start(tmp_path, fake_openai, SHOWS_TRIALS, provider="azure", azureEndpoint=fake_openai.root_url,
                         azureDeployments={model: "mini-deployment"})
    sessions.append(client)
    trial = await command(client, "finetune.tryModel", client.uri, 0, model)
    assert trial["model"] == model and trial["answer"] == DEFAULT_ANSWER and trial["cost"] is None
    assert trial["cost_note"] == ("The cost is not known: the Azure OpenAI catalog has no inference price for "
                                  "gpt-4o-mini-2024-07-18.")
    assert fake_openai.requests_to("POST /v1/chat/completions")[-1].json["model"] == "mini-deployment"


TOOLS = [{"type": "function", "function": {"name": "weather", "parameters": {"type": "object"}}}]
CALL = {"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": "{\"city\": \"Oslo\"}"}}
TOOL_EXAMPLE = {"messages": [{"role": "user", "content": "Weather in Oslo?"},
                             {"role": "assistant", "content": None, "tool_calls": [CALL]}], "tools": TOOLS}
TOOL_ANSWER = {"id": "chatcmpl-t", "object": "chat.completion", "created": 1, "model": MINI,
               "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
                   "role": "assistant", "content": None, "refusal": None,
                   "tool_calls": [{"id": "call_9", "type": "function",
                                   "function": {"name": "weather", "arguments": "{\"city\":\"Oslo\"}"}}]}}],
               "usage": {"prompt_tokens": 40, "completion_tokens": 12, "total_tokens": 52}}


async def test_tool_calls_on_either_side_are_shown_as_json(tmp_path, fake_openai, sessions):
    fake_openai.add_model(MINI)
    client = await start(tmp_path, fake_openai)
    sessions.append(client)
    uri = await open_document(client, "tools.jsonl", json.dumps(TOOL_EXAMPLE) + "\n")
    await diagnostics(client, uri)
    fake_openai.answer_next("POST /v1/chat/completions", TOOL_ANSWER)
    trial = await command(client, "finetune.tryModel", uri, 0, MINI)
    assert trial["expected"] is None and trial["answer"] is None  # neither has text
    assert trial["expected_tool_calls"] == [CALL]
    assert trial["answer_tool_calls"] == TOOL_ANSWER["choices"][0]["message"]["tool_calls"]
    assert trial["cost"] == round((40 * 0.3 + 12 * 1.2) / 1e6, 10) == 0.0000264
    shown = [m.message for m in client.messages if m.message.startswith(f"{MINI} on line 1")]
    assert len(shown) == 1, client.messages
    expected_part, answer_part = shown[0].split("\nanswer: ")
    assert expected_part.endswith("expected: " + json.dumps([CALL], indent=2))
    assert answer_part.startswith(json.dumps(trial["answer_tool_calls"], indent=2) + "\n(40 in / 12 out tokens")


async def test_a_line_that_cannot_be_sent_is_an_error_message(tmp_path, fake_openai, sessions):
    client = await start(tmp_path, fake_openai, SHOWS_TRIALS)
    sessions.append(client)
    broken = await open_document(client, "broken.jsonl", "[1, 2]\n")
    refused = await command(client, "finetune.tryModel", broken, 0, MINI)
    assert refused == {"error": "Line 1 cannot be sent: not a JSON object."}
    assert client.messages[-1].type == types.MessageType.Error
    assert client.messages[-1].message == "finetune-ls: Line 1 cannot be sent: not a JSON object."
