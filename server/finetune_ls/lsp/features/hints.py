"""Tokens and costs in the editor: inlay hints per example, a hover with the breakdown
per message, the summary code lens with lenses to switch model or epochs, and the
`finetune/summary` request for the client's status bar."""

from __future__ import annotations

import orjson
from lsprotocol import types

from finetune_ls.core.analysis import counter_for
from finetune_ls.core.catalog import base_model
from finetune_ls.core.depth import as_checked
from finetune_ls.core.entries import entry_tokens, is_clean
from finetune_ls.core.places import describe
from finetune_ls.core.shapes import CHAT, line_shape, shape_format
from finetune_ls.core.targets import OPEN_WEIGHT, TARGETS, target_info
from finetune_ls.lsp.wire.arguments import Arguments, is_number
from finetune_ls.lsp.documents.document import from_code_points
from finetune_ls.lsp.server import FinetuneServer, command_document, for_document, guarded, server
from finetune_ls.lsp.documents.state import OpenDocument

SUMMARY_REQUEST = "finetune/summary"
SELECT_MODEL = "finetune.selectModel"
SELECT_EPOCHS = "finetune.selectEpochs"
SELECT_TARGET = "finetune.selectTarget"
EPOCH_CHOICES = ["auto", "1", "2", "3", "4", "5", "8", "10"]


def _example_tokens(state: OpenDocument, line: int) -> tuple[int, int] | None:
    """(tokens, trained) of the example on a line, or None when the line is not one (or not
    known yet: while a big document loads, edits wait, so its lines may have moved)."""
    check = state.check
    if state.loading or line >= len(check.entries) or check.plan is None or check.plan.context.encoding is None:
        return None
    entry = check.entries[line]
    if not is_clean(entry) and entry[1] is None:  # an encoded result with no format: not an example
        return None
    return entry_tokens(entry)


def _uses_weights(text: str) -> bool:
    return '"weight"' in text


def short_number(value: float) -> str:
    for size, unit in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.2f}{unit}" if value / size < 100 else f"{value / size:.0f}{unit}"
    return f"{value:,.0f}"


# ---------------------------------------------------------------- inlay hints
@server.feature(types.TEXT_DOCUMENT_INLAY_HINT, types.InlayHintOptions(resolve_provider=False))
@for_document("computing token hints", default=[])
def inlay_hints(ls: FinetuneServer, state: OpenDocument, params: types.InlayHintParams) -> list[types.InlayHint]:
    contents = state.document.contents
    hints = []
    last = min(params.range.end.line, len(contents) - 1)
    for line in range(max(0, params.range.start.line), last + 1):
        counted = _example_tokens(state, line)
        if counted is None or not counted[0]:
            continue
        text = contents[line]
        tokens, trained = counted
        label = f"{tokens:,} tok" + (f" · {trained:,} trained" if _uses_weights(text) else "")
        hints.append(types.InlayHint(
            position=types.Position(line, from_code_points(text, len(text), state.document.encoding)),
            label=label, kind=types.InlayHintKind.Type, padding_left=True,
            tooltip=_counted_with(state.check.plan.context, "Tokens of this example, counted")))
    return hints


def _counted_with(context, prefix: str) -> str:
    """How a count was made: tiktoken's encoding, or the model's own template and tokenizer."""
    tokenizer = context.tokenizer
    if tokenizer is None:
        return f"{prefix} with the model's tokenizer (finetune-ls)."
    return (f"{prefix}: rendered with {tokenizer.model}'s chat template ({tokenizer.source}: {tokenizer.where}) "
            f"and its tokenizer, as {target_info(context.target).name} sees it (finetune-ls).")


# ---------------------------------------------------------------- hover
@server.feature(types.TEXT_DOCUMENT_HOVER)
@for_document("computing a hover")
def hover(ls: FinetuneServer, state: OpenDocument, params: types.HoverParams) -> types.Hover | None:
    line = params.position.line
    if _example_tokens(state, line) is None:
        return None
    text = state.document.contents[line]
    try:
        value = orjson.loads(text.lstrip("\ufeff"))
    except orjson.JSONDecodeError:
        return None
    value = as_checked(value, text)  # deeper than the token counter follows (orjson writes 254 levels)
    fmt, target = state.check.plan.context.format, state.check.plan.context.target
    if not isinstance(value, dict) or shape_format(line_shape(value, target), fmt, target) != fmt:
        return None  # not an example of the file's format: its tokens are not counted
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown,
                                                    value=breakdown(state, line, value)))


def breakdown(state: OpenDocument, line: int, value: dict) -> str:
    """Markdown: tokens per message, trained tokens, encoding, and where a long example is cut."""
    context = state.check.plan.context
    counted = counter_for(context).count(value, context.format, detail=True)
    rows = ["| | part | tokens |", "| --- | --- | ---: |"]
    for index, (path, count) in enumerate(counted.messages, 1):
        rows.append(f"| {index} | {describe(value, path)} | {count:,} |")
    lines = [f"**Example on line {line + 1}: {counted.total:,} tokens**, {counted.trained:,} trained", "", *rows, ""]
    rest = counted.total - sum(count for _, count in counted.messages)
    if rest:
        lines.append(f"Plus {rest:,} tokens of the chat template's own (start, system preamble) and tools."
                     if context.tokenizer is not None else f"Plus {rest:,} tokens of overhead and tools definitions.")
    if context.tokenizer is not None:
        if counted.error:  # as the diagnostic says it (analysis._template_refused)
            lines.append(f"The chat template refused this example: {counted.error}" if counted.refused_by_template
                         else f"{target_info(context.target).name} cannot prepare this example: {counted.error}")
        lines.append(f"Rendered with `{context.tokenizer.model}`'s chat template ({context.tokenizer.source}: "
                     f"`{context.tokenizer.where}`), as {target_info(context.target).name} sees it"
                     + (f"; max_seq_length {context.context_limit:,}" if context.context_limit else "") + ".")
    else:
        lines.append(f"Counted with `{context.encoding}` for `{context.model}`"
                     + (" (estimated: images or tools)" if counted.estimated else "") + ".")
    too_long = next((f for f in state.check.line_result(line).findings if f.code == "example-too-long"), None)
    if too_long is not None:
        lines += ["", f"⚠ {too_long.message}"]
    return "\n".join(lines)


# ---------------------------------------------------------------- code lens and summary
@server.feature(types.TEXT_DOCUMENT_CODE_LENS, types.CodeLensOptions(resolve_provider=False))
@for_document("computing the summary lens", default=[])
def code_lens(ls: FinetuneServer, state: OpenDocument, params: types.CodeLensParams) -> list[types.CodeLens]:
    top = types.Range(types.Position(0, 0), types.Position(0, 0))
    if state.loading:
        return [types.CodeLens(range=top, command=types.Command(title=f"finetune-ls: checking {state.name}…",
                                                                command=""))]
    summary = state.current_report().summary
    model = summary.get("model") or "no model"
    lenses = [types.CodeLens(range=top, command=types.Command(title=summary_line(summary), command=""))]
    lenses.append(types.CodeLens(range=top, command=types.Command(
        title=f"Model: {short_model(model)}", command=SELECT_MODEL, arguments=[state.uri])))
    target = summary.get("target") or "openai"
    lenses.append(types.CodeLens(range=top, command=types.Command(
        title=f"Target: {target_info(target).name}", command=SELECT_TARGET, arguments=[state.uri])))
    if summary.get("epochs") is not None:
        lenses.append(types.CodeLens(range=top, command=types.Command(
            title=f"Epochs: {summary['epochs']}", command=SELECT_EPOCHS, arguments=[state.uri])))
    return lenses


def short_model(model: str) -> str:
    """gpt-4.1-mini-2025-04-14 -> gpt-4.1-mini (the snapshot date is noise in a lens)."""
    base = base_model(model)
    parts = base.rsplit("-", 3)
    if len(parts) == 4 and all(part.isdigit() for part in parts[1:]):
        return parts[0]
    return base


def summary_line(summary: dict) -> str:
    """1,204 examples · 2.31M tokens · gpt-4.1-mini × 3 epochs ≈ $34.60"""
    if summary.get("target") in OPEN_WEIGHT:
        return _open_weight_line(summary)
    pieces = [f"{summary.get('examples', 0):,} examples"]
    if summary.get("tokens") is not None:
        pieces.append(f"{short_number(summary['tokens'])} tokens")
    model = short_model(summary.get("model") or "")
    if summary.get("epochs") is not None:
        model += f" × {summary['epochs']} epochs"
    pieces.append(model)
    if summary.get("training_type"):  # Azure: the price follows the training type
        pieces.append(f"Azure {summary['training_type']}")
    text = " · ".join(piece for piece in pieces if piece)
    if summary.get("estimated_cost_usd") is not None:
        text += f" ≈ ${summary['estimated_cost_usd']:,.2f}"
        if summary.get("training_type"):
            text += f" at ${summary['price_per_1m_tokens']:g}/1M (unconfirmed)" \
                if "unconfirmed" in (summary.get("cost_note") or "") else f" at ${summary['price_per_1m_tokens']:g}/1M"
    elif summary.get("cost_note"):
        text += f" ({summary['cost_note']})"
    return text


def _open_weight_line(summary: dict) -> str:
    """1,204 examples · 2.31M tokens · Qwen/Qwen3-8B on TRL · max_length 1024 (· 3 over)"""
    trainer = target_info(summary["target"])
    pieces = [f"{summary.get('examples', 0):,} examples"]
    if summary.get("tokens") is not None:
        pieces.append(f"{short_number(summary['tokens'])} tokens")
    elif summary.get("tokenizer") is None:
        pieces.append("tokens not counted (no tokenizer)")
    pieces.append(f"{summary.get('model') or 'no model'} on {trainer.name}")
    length = summary.get("max_seq_length")
    setting = trainer.max_seq_length_setting or "max_seq_length"
    pieces.append(f"{setting} {length}" if length else f"{setting} unknown")
    if summary.get("over_limit"):
        pieces.append(f"{summary['over_limit']:,} over")
    if summary.get("epochs") is not None:
        pieces.append(f"× {summary['epochs']} epochs")
    text = " · ".join(pieces)
    if summary.get("estimated_cost_usd") is not None:
        text += f" ≈ ${summary['estimated_cost_usd']:,.2f}"
    elif trainer.kind == "hosted":
        text += " (no price in the catalog)"
    return text


@server.feature(SUMMARY_REQUEST)
@guarded("computing the summary")
def summary_request(ls: FinetuneServer, params) -> dict | None:
    uri = _uri_of(params)
    state = ls.documents.get(uri)
    if state is None:
        summary = ls.disk_summaries.get(uri)  # a file checked from disk
        return None if summary is None else {"uri": uri, "line": summary_line(summary), **summary}
    if state.loading:
        return {"uri": uri, "loading": True, "line": f"checking {state.name}…", "tokens": None}
    report = state.current_report()
    return {"uri": uri, "format": report.format, "line": summary_line(report.summary), "loading": state.loading,
            **report.summary}


def _uri_of(params) -> str | None:
    """The document of a custom request: {"uri": …} or, like LSP requests, {"textDocument": {"uri": …}}."""
    def field(value, *names):
        for name in names:
            found = value.get(name) if isinstance(value, dict) else getattr(value, name, None)
            if found is not None:
                return found
        return None

    uri = field(params, "uri")
    document = field(params, "textDocument", "text_document")
    return uri if isinstance(uri, str) else field(document, "uri") if document is not None else None


# ---------------------------------------------------------------- switching model and epochs
@server.command(SELECT_MODEL)
async def select_model(ls: FinetuneServer, *args) -> dict | None:
    """Arguments: uri, model (asked for when not given)."""
    given = Arguments(SELECT_MODEL, args, ("uri", "model"))
    uri, model = given.uri(), given.text("model", None)
    state = command_document(ls, SELECT_MODEL, uri)
    if isinstance(state, dict):
        return state
    if model is None:
        fmt = state.current_report().format
        catalog = state.check.settings.resolved_catalog()  # this file's target's (its lens may have changed it)
        choices = [m.id for m in catalog.trainable(fmt if fmt != "mixed" else CHAT, ls.settings.check_settings(
            catalog).resolved_today())] or sorted(catalog.models)
        # Buttons clip long ids ("gpt-4.1-mini-2…"): each model by its short name unless two share it.
        by_label = _short_labels(choices)
        chosen = await _choose(ls, "Estimate costs for which model?", list(by_label))
        if chosen is None:
            return None
        model = by_label.get(chosen, chosen)
    state.overrides["model"] = model
    ls.recheck(state)
    ls.refresh_views()
    return {"model": model}


def _short_labels(models: list[str]) -> dict[str, str]:
    """{label: model id}: gpt-4.1-mini for gpt-4.1-mini-2025-04-14, the full id where two would read the same."""
    shorts = [short_model(model) for model in models]
    return {short if shorts.count(short) == 1 else model: model for short, model in zip(shorts, models)}


@server.command(SELECT_TARGET)
async def select_target(ls: FinetuneServer, *args) -> dict | None:
    """Arguments: uri, target (asked for when not given). Sets this file's target, as the
    Model lens sets its model; the file is checked again for it."""
    given = Arguments(SELECT_TARGET, args, ("uri", "target"))
    uri, target = given.uri(), given.text("target", None, choices=TARGETS)
    state = command_document(ls, SELECT_TARGET, uri)
    if isinstance(state, dict):
        return state
    if target is None:
        by_name = {target_info(name).name: name for name in TARGETS}
        chosen = await _choose(ls, "Where will this file be trained?", list(by_name))
        if chosen is None:
            return None
        target = by_name.get(chosen, chosen)
    state.overrides["target"] = target
    ls.recheck(state)
    ls.refresh_views()
    return {"target": target}


@server.command(SELECT_EPOCHS)
async def select_epochs(ls: FinetuneServer, *args) -> dict | None:
    """Arguments: uri, epochs (1 to 50, or "auto"; asked for when not given)."""
    given = Arguments(SELECT_EPOCHS, args, ("uri", "epochs"))
    uri = given.uri()
    epochs = given.value("epochs", 'a whole number from 1 to 50, or "auto"',
                         lambda v: v == "auto" or (is_number(v) and v == int(v) and 1 <= v <= 50), None)
    state = command_document(ls, SELECT_EPOCHS, uri)
    if isinstance(state, dict):
        return state
    if epochs is None:
        epochs = await _choose(ls, "Estimate costs for how many epochs?", EPOCH_CHOICES)
        if epochs is None:
            return None
    value = None if str(epochs) == "auto" else _whole_number(epochs)
    if str(epochs) != "auto" and (value is None or not 1 <= value <= 50):
        ls.show("Epochs must be from 1 to 50, or auto.", types.MessageType.Warning)
        return {"error": f"epochs must be from 1 to 50, or auto, not {epochs!r}"}
    state.overrides["epochs"] = value
    ls.recheck(state)
    ls.refresh_views()
    return {"epochs": value}


def _whole_number(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


async def _choose(ls: FinetuneServer, question: str, choices: list[str]) -> str | None:
    """Ask through window/showMessageRequest, which every client can show."""
    answer = await ls.window_show_message_request_async(types.ShowMessageRequestParams(
        type=types.MessageType.Info, message=question,
        actions=[types.MessageActionItem(title=choice) for choice in choices]))
    return answer.title if answer else None
