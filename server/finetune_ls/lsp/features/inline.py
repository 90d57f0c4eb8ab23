"""Ghost text from the fine-tuned model (LSP 3.18 `textDocument/inlineCompletion`): with
the cursor in an assistant message's content, the conversation before it goes to the
model and its answer is offered in place, JSON-escaped. Only when asked for (the
`inlineCompletion` setting: invoked, automatic or off); the call's cost is in the item's
command title and the log."""

from __future__ import annotations

import json
import logging
import re

from lsprotocol import types

from finetune_ls.core.catalog import base_model
from finetune_ls.core.depth import recursion_room
from finetune_ls.lsp.commands.deployments import deployment_to_call
from finetune_ls.lsp.documents.document import from_code_points, to_code_points
from finetune_ls.lsp.commands.operations import api_modules, failed, ledger_for, run_call
from finetune_ls.lsp.server import FinetuneServer, for_document, server

log = logging.getLogger("finetune_ls.lsp")
# The text before the cursor ends inside the content string of an assistant message.
_SLOT = re.compile(r'\{\s*"role"\s*:\s*"assistant"\s*,\s*"content"\s*:\s*"(?P<typed>(?:[^"\\]|\\.)*)$')


def assistant_slot(prefix: str) -> tuple[list[dict], str, int] | None:
    """(the messages before the assistant message, what is typed of its content (as JSON
    text), the column where the content starts), or None when the cursor is elsewhere."""
    match = _SLOT.search(prefix)
    if match is None:
        return None
    before = prefix[:match.start()].rstrip().rstrip(",")
    try:
        with recursion_room():  # the messages may nest as deep as check accepts
            value = json.loads(before.lstrip("\ufeff") + "]}")
    except (ValueError, RecursionError):
        return None
    messages = value.get("messages") if isinstance(value, dict) else None
    if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
        return None
    return messages, match.group("typed"), match.start("typed")


def _model(ls: FinetuneServer) -> str | None:
    if ls.settings.inline_model:
        return ls.settings.inline_model
    latest = ledger_for(ls).latest("model")
    return latest["id"] if latest else None


def cost_line(ls: FinetuneServer, model: str, prompt_tokens: int | None, completion_tokens: int | None) -> str:
    info = ls.catalog.resolve(base_model(model))
    prices = info.inference_price_per_1m if info else None
    tokens = f"{prompt_tokens or 0:,} in + {completion_tokens or 0:,} out tokens"
    if not prices or "input" not in prices or "output" not in prices:
        return f"{model}: {tokens}"
    cost = ((prompt_tokens or 0) * prices["input"] + (completion_tokens or 0) * prices["output"]) / 1e6
    return f"{model}: {tokens} ≈ ${cost:.5f}"


@server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
@for_document("suggesting the model's answer")
async def inline_completion(ls: FinetuneServer, state, params: types.InlineCompletionParams):
    mode = ls.settings.inline_completion
    if mode == "off" or (mode == "invoked" and params.context.trigger_kind != types.InlineCompletionTriggerKind.Invoked):
        return None
    line = params.position.line
    if line >= len(state.document.contents):
        return None
    text = state.document.contents[line]
    column = to_code_points(text, params.position.character, state.document.encoding)
    slot = assistant_slot(text[:column])
    model = _model(ls)
    if slot is None or model is None:
        return None
    messages, typed, start = slot
    example = {"messages": messages + [{"role": "assistant", "content": ""}]}
    deployment = await deployment_to_call(ls, model, quiet=True)
    if failed(deployment):
        log.info("inline completion: %s", deployment["error"])
        return None
    trial = await run_call(ls, lambda session: api_modules().complete.try_model(session.client, deployment, example))
    if failed(trial) or not trial.answer:
        return None
    cost = cost_line(ls, model, trial.prompt_tokens, trial.completion_tokens)
    log.info("inline completion from %s", cost)
    escaped = json.dumps(trial.answer, ensure_ascii=False)[1:-1]
    encoding = state.document.encoding
    where = types.Range(types.Position(line, from_code_points(text, start, encoding)), params.position)
    return types.InlineCompletionList(items=[types.InlineCompletionItem(
        insert_text=escaped, filter_text=typed, range=where, command=types.Command(title=cost, command=""))])
