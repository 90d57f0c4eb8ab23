"""Findings about the file as a whole (example counts, the target model and its
dates, the method) and the summary with tokens and costs."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from finetune_ls.core import rules as R
from finetune_ls.core.aggregate import FileStats
from finetune_ls.core.catalog import ModelCatalog, ModelInfo
from finetune_ls.core.costs import billed_tokens_per_epoch, cost_usd, default_epochs, processed_tokens_per_epoch
from finetune_ls.core.findings import Finding, Severity, file_finding
from finetune_ls.core.shapes import (
    CHAT, CHOSEN_REJECTED, FORMAT_METHOD, METHOD_FORMATS, PREFERENCE, PROMPT_COMPLETION, REINFORCEMENT, TEXT, UNKNOWN,
)
from finetune_ls.core.targets import OPEN_WEIGHT, TrainingSetup, target_info

TOGETHER_DEFAULT_EPOCHS = 1  # n_epochs when a job does not give it (Together's OpenAPI spec, TG-OAS)

MIN_EXAMPLES = 10
MAX_REINFORCEMENT_EXAMPLES = 50_000
MAX_IMAGE_EXAMPLES = 50_000
RETIRING_NOTICE_DAYS = 120
_FORMAT_WORDS = {CHAT: "chat", PREFERENCE: "preference (DPO)", REINFORCEMENT: "reinforcement (RFT)",
                 PROMPT_COMPLETION: "prompt/completion", UNKNOWN: "an unknown format",
                 CHOSEN_REJECTED: "preference (prompt/chosen/rejected)", TEXT: "text"}
_METHOD_DATA = {"supervised": 'chat data ({"messages": [...]})',
                "dpo": 'preference data ({"input": ..., "preferred_output": [...], "non_preferred_output": [...]})',
                "reinforcement": 'reinforcement data ({"messages": [...], plus reference fields for the grader})'}


@dataclass(frozen=True)
class Target:
    """The model and method a file is checked for."""

    model: str
    info: ModelInfo | None
    method: str
    explicit_model: bool
    provider: str


def resolve_target(fmt: str, model: str | None, method: str | None, provider: str, catalog: ModelCatalog) -> Target:
    chosen = model or catalog.default_model(fmt if fmt != UNKNOWN else CHAT) or ""
    return Target(chosen, catalog.resolve(chosen), method or FORMAT_METHOD.get(fmt, "supervised"), bool(model), provider)


def file_findings(stats: FileStats, fmt: str, target: Target, catalog: ModelCatalog, today: date,
                  role: str = "training", explicit_method: bool = False, size: int | None = None,
                  epochs: int | None = None, training: TrainingSetup | None = None) -> list[Finding]:
    """`training`: the open-weight target's setup (None for OpenAI and Azure). For those
    targets OpenAI's own file rules (10 examples, its model dates, its method/format
    pairs) do not apply: core/target_filechecks.py has theirs."""
    if training is not None:
        return _open_weight_findings(stats, fmt, target, catalog, today, role, training)
    findings: list[Finding] = []
    limits, provider = catalog.limits, catalog.provider_name
    if role == "training" and stats.examples < limits.min_examples and provider == "OpenAI":
        findings.append(file_finding(
            R.TOO_FEW_EXAMPLES.code, Severity.ERROR,
            f"The file has {stats.examples} example(s); OpenAI refuses a job with fewer than {MIN_EXAMPLES} "
            f"(\"Training file has {stats.examples} example(s), but must have at least 10 examples\")."))
    elif role == "training" and stats.examples < limits.min_examples:
        findings.append(file_finding(
            R.TOO_FEW_EXAMPLES.code, Severity.ERROR,
            f"The file has {stats.examples} example(s); {provider} needs at least {limits.min_examples} "
            "examples for a fine-tuning job."))
    if fmt == REINFORCEMENT and stats.examples > MAX_REINFORCEMENT_EXAMPLES and role == "training":
        findings.append(file_finding(R.TOO_MANY_EXAMPLES.code, Severity.ERROR,
                                     f"{stats.examples:,} examples; reinforcement training files take at most "
                                     f"{MAX_REINFORCEMENT_EXAMPLES:,}."))
    if stats.examples_with_images > limits.max_image_examples:
        findings.append(file_finding(R.TOO_MANY_EXAMPLES.code, Severity.ERROR,
                                     f"{stats.examples_with_images:,} examples with images; {provider} takes at most "
                                     f"{limits.max_image_examples:,}."))
    if explicit_method and fmt in FORMAT_METHOD and fmt not in METHOD_FORMATS.get(target.method, (fmt,)):
        findings.append(file_finding(
            R.FORMAT_METHOD_MISMATCH.code, Severity.ERROR,
            f"The file holds {_FORMAT_WORDS[fmt]} data, but the {target.method} method needs "
            f"{_METHOD_DATA.get(target.method, 'another format')}; OpenAI rejects the job (\"is in the fine-tune-"
            f"{'chat' if fmt == CHAT else fmt} format, but the specified fine-tuning job is not using "
            f"'{FORMAT_METHOD[fmt]}'\"). Use method {FORMAT_METHOD[fmt]}, or convert the data."))
    findings.extend(_model_findings(stats, fmt, target, catalog, today))
    if role == "training":
        findings.extend(_quota_findings(stats, fmt, target, limits, provider, size, epochs))
    if stats.estimated:
        findings.append(file_finding(
            R.TOKENS_ESTIMATED.code, Severity.INFORMATION,
            "Some token counts are estimates: "
            + (f"{stats.images} image(s), whose size is unknown without downloading them (85 tokens at detail low); "
               if stats.images else "")
            + "tools and functions definitions, where present, are counted as their JSON. See docs/tokens.md."))
    return findings


def _open_weight_findings(stats: FileStats, fmt: str, target: Target, catalog: ModelCatalog, today: date,
                          role: str, training: TrainingSetup) -> list[Finding]:
    from finetune_ls.core.target_filechecks import target_file_findings

    findings = target_file_findings(stats, training, role, fmt)
    findings.extend(_model_findings(stats, fmt, replace(target, provider=training.target), catalog, today))
    if stats.estimated:
        findings.append(file_finding(R.TOKENS_ESTIMATED.code, Severity.INFORMATION,
                                     "Some token counts are estimates; see docs/tokens.md."))
    return findings


def _model_findings(stats: FileStats, fmt: str, target: Target, catalog: ModelCatalog, today: date) -> list[Finding]:
    info = target.info
    if fmt == UNKNOWN:
        return []
    if target.provider in OPEN_WEIGHT:
        return _open_model_findings(fmt, target, catalog, today)
    if info is None:
        severity = Severity.WARNING if target.provider in ("openai", "azure") else Severity.INFORMATION
        whose = "the model catalog" if catalog.provider_name == "OpenAI" else \
            f"the {catalog.provider_name} model catalog (the models {catalog.provider_name} fine-tunes)"
        return [file_finding(R.UNKNOWN_MODEL.code, severity,
                             f"\"{target.model}\" is not in {whose}, so its training context, price and "
                             f"dates are unknown; tokens are counted with {catalog.encoding_for(target.model)}. Check "
                             "the name, or add the model with --catalog.")]
    if target.provider == "azure":
        return _azure_model_findings(stats, fmt, target, catalog, today)
    findings = []
    openai = target.provider == "openai"
    if not info.supports(fmt) or target.method not in info.methods:
        findings.append(file_finding(
            R.MODEL_NOT_TRAINABLE.code, Severity.ERROR,
            f"{info.id} cannot be fine-tuned on {_FORMAT_WORDS[fmt]} data with the {target.method} method (it takes: "
            f"{', '.join(info.methods)}). {_alternatives(fmt, catalog, today)}"))
    elif openai and not info.can_train(today):
        findings.append(file_finding(
            R.MODEL_NOT_TRAINABLE.code, Severity.ERROR,
            f"{info.id} can no longer be fine-tuned: OpenAI stopped new training on {info.training_ends}. "
            f"{_alternatives(fmt, catalog, today)}"))
    elif openai and info.training_ends and (info.training_ends - today).days <= RETIRING_NOTICE_DAYS:
        days = (info.training_ends - today).days
        shutdown = (f" The model shuts down on {info.shutdown}; models fine-tuned from it stop working then."
                    if info.shutdown else "")
        findings.append(file_finding(
            R.MODEL_RETIRING.code, Severity.INFORMATION,
            f"New fine-tuning jobs on {info.id} end on {info.training_ends} ({days} days left). "
            f"{catalog.platform_notice}{shutdown}"))
    if stats.examples_with_images and info.vision is not True:
        findings.append(file_finding(
            R.VISION_MODEL.code, Severity.WARNING,
            f"{stats.examples_with_images} example(s) hold images, but {info.id} is not documented to accept images "
            "for fine-tuning; gpt-4o-2024-08-06 is."))
    return findings


def _open_model_findings(fmt: str, target: Target, catalog: ModelCatalog, today: date) -> list[Finding]:
    """Open-weight targets: no OpenAI dates or vision wording. Local trainers train any
    Hugging Face model (an unknown one is information); Together only its own list."""
    trainer = target_info(target.provider)
    info = target.info
    if info is None and trainer.kind == "local":
        return [file_finding(R.UNKNOWN_MODEL.code, Severity.INFORMATION,
                             f"\"{target.model}\" is not among the open models finetune-ls lists, so its context "
                             f"length and licence are not shown; {trainer.name} trains any Hugging Face model, and its "
                             "tokens are counted with that model's own tokenizer and chat template.")]
    if info is None:
        return [file_finding(R.UNKNOWN_MODEL.code, Severity.WARNING,
                             f"\"{target.model}\" is not in the {trainer.name} catalog (the models it lists as "
                             "fine-tunable), so its context limit and price are unknown; Together trains other "
                             "Hugging Face models only as 'bring your own model' (from_hf_model). Check the name, or "
                             "add the model with --catalog.")]
    if trainer.kind == "hosted" and (not info.supports(fmt) or target.method not in info.methods):
        return [file_finding(
            R.MODEL_NOT_TRAINABLE.code, Severity.ERROR,
            f"{info.id} cannot be fine-tuned on {_FORMAT_WORDS.get(fmt, fmt)} data with the {target.method} method on "
            f"{trainer.name} (it takes: {', '.join(info.methods)}). {_alternatives(fmt, catalog, today)}")]
    return []


def _azure_model_findings(stats: FileStats, fmt: str, target: Target, catalog: ModelCatalog,
                          today: date) -> list[Finding]:
    """As for OpenAI, with Azure's dates and words: training retires (for existing customers
    only; for others when the base model retires), and deployments serve until the shutdown."""
    info = target.info
    findings = []
    serving = (f" Deployments of models fine-tuned from it serve until {info.shutdown}." if info.shutdown else "")
    customers = ""
    if info.retirement_note:
        base = f" ({info.base_retires})" if info.base_retires else ""
        customers = (f" Azure's training date holds for existing customers only; for others training ends when the "
                     f"base model retires{base}.")
    if not info.supports(fmt) or target.method not in info.methods:
        findings.append(file_finding(
            R.MODEL_NOT_TRAINABLE.code, Severity.ERROR,
            f"{info.id} cannot be fine-tuned on {_FORMAT_WORDS[fmt]} data with the {target.method} method on Azure "
            f"OpenAI (it takes: {', '.join(info.methods)}). {_alternatives(fmt, catalog, today)}"))
    elif not info.can_train(today):
        findings.append(file_finding(
            R.MODEL_NOT_TRAINABLE.code, Severity.ERROR,
            f"{info.id} can no longer be fine-tuned on Azure OpenAI: Azure retired its training on "
            f"{info.training_ends}.{serving} {_alternatives(fmt, catalog, today)}"))
    elif info.training_ends and ((info.training_ends - today).days <= RETIRING_NOTICE_DAYS
                                 or (info.base_retires is not None and info.base_retires <= today)):
        days = (info.training_ends - today).days
        findings.append(file_finding(
            R.MODEL_RETIRING.code, Severity.INFORMATION,
            f"Azure OpenAI retires training on {info.id} no earlier than {info.training_ends} ({days} days left)."
            f"{customers}{serving}"))
    if stats.examples_with_images and info.vision is not True:
        takers = " and ".join(m.id for m in catalog.models.values() if m.vision) or "no model in the catalog"
        findings.append(file_finding(
            R.VISION_MODEL.code, Severity.WARNING,
            f"{stats.examples_with_images} example(s) hold images, but Azure OpenAI does not document {info.id} as "
            f"accepting images for fine-tuning; {takers} do."))
    return findings


def _quota_findings(stats: FileStats, fmt: str, target: Target, limits, provider: str, size: int | None,
                    epochs: int | None) -> list[Finding]:
    """The provider's per-file and per-job quotas, where its catalog gives them (Azure)."""
    findings = []
    if limits.max_file_bytes and size is not None and size >= limits.max_file_bytes:
        findings.append(file_finding(
            R.JOB_TOO_LARGE.code, Severity.ERROR,
            f"The file is {size / 1024 / 1024:,.0f} MB; {provider} takes training files under "
            f"{limits.max_file_bytes / 1024 / 1024:,.0f} MB through its API. Split the data, or sample from it."))
    if limits.max_job_tokens and fmt != REINFORCEMENT and stats.tokens:
        epochs_used = epochs or default_epochs(stats.examples)
        total = billed_tokens_per_epoch(stats.example_tokens, target.info.training_context if target.info else None) \
            * epochs_used
        if total > limits.max_job_tokens:
            findings.append(file_finding(
                R.JOB_TOO_LARGE.code, Severity.ERROR,
                f"The job would train about {total:,} tokens ({epochs_used} epochs); {provider} allows at most "
                f"{limits.max_job_tokens:,} training tokens x epochs per job. Use fewer epochs or less data."))
    return findings


def _alternatives(fmt: str, catalog: ModelCatalog, today: date) -> str:
    models = catalog.trainable(fmt, today)
    if catalog.provider_name != "OpenAI":
        return _provider_alternatives(fmt, catalog, models)
    if models:
        ends = min((m.training_ends for m in models if m.training_ends), default=None)
        until = f" (until {ends})" if ends else ""
        return "Models that can still be trained on this data: " + ", ".join(m.id for m in models) + until + "."
    if fmt == PROMPT_COMPLETION:
        return "No OpenAI model trains on prompt/completion data any more: convert the file to chat (each line has a quick fix)."
    if fmt == REINFORCEMENT:
        return "OpenAI no longer offers reinforcement fine-tuning (o4-mini, its only model, shut down on 2026-10-23)."
    return "No OpenAI model can still be fine-tuned on this data."


def _provider_alternatives(fmt: str, catalog: ModelCatalog, models: list[ModelInfo]) -> str:
    provider = catalog.provider_name
    if models:
        return f"Models {provider} can still train on this data: " + ", ".join(m.id for m in models) + "."
    if fmt == PROMPT_COMPLETION:
        return (f"{provider} trains no model on prompt/completion data: convert the file to chat (each line has a "
                "quick fix).")
    return f"No model in the {provider} catalog can still be fine-tuned on this data."


def summarize(stats: FileStats, fmt: str, target: Target, catalog: ModelCatalog, today: date,
              epochs: int | None, encoding: str | None, role: str = "training",
              training_type: str | None = None, context=None) -> dict:
    """The file's numbers. Every summary names its `target`; an open-weight target's also
    gives the tokenizer, the sequence length and what the trainer does past it, and its
    costs (Together's formula; none for local trainers)."""
    target_id = getattr(context, "target", None) or ("azure" if target.provider == "azure" else "openai")
    if target_id in OPEN_WEIGHT:
        summary = _open_summary(stats, fmt, target, catalog, epochs, encoding, role, context)
    else:
        summary = _hosted_summary(stats, fmt, target, catalog, today, epochs, encoding, role, training_type)
    return {"target": target_id, **summary}


def _hosted_summary(stats: FileStats, fmt: str, target: Target, catalog: ModelCatalog, today: date,
                    epochs: int | None, encoding: str | None, role: str, training_type: str | None) -> dict:
    info = target.info
    epochs_used = epochs or default_epochs(stats.examples)
    context = info.training_context if info else None
    per_epoch = billed_tokens_per_epoch(stats.example_tokens, context)
    price = info.training_price_per_1m if info else None
    # Validation files are not billed, and reinforcement is billed per hour of training.
    billed = role == "training" and fmt != REINFORCEMENT and encoding is not None
    azure = target.provider == "azure"
    if azure:
        price, note, training_type = _azure_price(info, training_type, fmt, role, catalog)
    elif role != "training":
        note = "validation files are not billed"
    elif info and info.training_price_note:
        note = info.training_price_note
    else:
        published = f" ({info.price_as_of})" if info and info.price_as_of else ""
        note = f"USD at OpenAI's last published list price{published}; tokens are estimates where noted"
    summary = {
        "format": fmt,
        "lines": stats.lines,
        "examples": stats.examples,
        "tokens": stats.tokens if encoding else None,
        "trained_tokens": stats.trained if encoding else None,
        "longest_example": {"line": stats.longest_line + 1, "tokens": stats.longest_tokens}
        if stats.longest_line is not None and encoding else None,
        "over_limit": stats.over_limit,
        "images": stats.images,
        "model": target.model,
        "method": target.method,
        "encoding": encoding,
        "training_context": context,
        "epochs": epochs_used if billed else None,
        "epochs_source": ("given" if epochs else "default heuristic") if billed else None,
        "billed_tokens": per_epoch * epochs_used if billed else None,
        "price_per_1m_tokens": price,
        "estimated_cost_usd": cost_usd(per_epoch * epochs_used, price) if billed else None,
        "cost_note": note,
        "token_counts_estimated": stats.estimated,
        "cost_comparison": _comparison(stats, fmt, target, catalog, today, epochs_used, encoding) if billed else [],
    }
    if azure:
        summary["training_type"] = training_type
        if billed:
            summary["cost_comparison"] = _azure_comparison(stats, fmt, target, catalog, today, epochs_used, encoding,
                                                           training_type)
    return summary


def _counts(stats: FileStats, encoding: str | None) -> dict:
    """The token numbers every summary shares (None where tokens are not counted)."""
    return {
        "tokens": stats.tokens if encoding else None,
        "trained_tokens": stats.trained if encoding else None,
        "longest_example": {"line": stats.longest_line + 1, "tokens": stats.longest_tokens}
        if stats.longest_line is not None and encoding else None,
    }


def _open_summary(stats: FileStats, fmt: str, target: Target, catalog: ModelCatalog, epochs: int | None,
                  encoding: str | None, role: str, context) -> dict:
    trainer = target_info(target.provider)
    training = getattr(context, "training", None)
    tokenizer = getattr(context, "tokenizer", None)
    length = training.max_seq_length if training else None
    packing = training.packing if training else trainer.packing
    summary = {
        "format": fmt, "lines": stats.lines, "examples": stats.examples, **_counts(stats, encoding),
        "over_limit": stats.over_limit, "images": stats.images, "model": target.model, "method": target.method,
        "encoding": encoding,
        "tokenizer": {"model": tokenizer.model, "source": tokenizer.source, "where": tokenizer.where}
        if tokenizer else None,
        "max_seq_length": length,
        "overflow": training.overflow if training else trainer.overflow,
        "packing": packing,
        "training_context": target.info.training_context if target.info else None,
        "token_counts_estimated": stats.estimated,
        "cost_comparison": [],
    }
    if trainer.kind == "local":
        return {**summary, "epochs": None, "epochs_source": None, "billed_tokens": None, "price_per_1m_tokens": None,
                "estimated_cost_usd": None,
                "cost_note": f"{trainer.name} trains on your own GPUs: no price per token; the cost is compute time, "
                             "which finetune-ls does not estimate"}
    return {**summary, **_together_cost(stats, fmt, target, catalog, epochs, encoding, role, length, packing)}


def _together_cost(stats: FileStats, fmt: str, target: Target, catalog: ModelCatalog, epochs: int | None,
                   encoding: str | None, role: str, length: int | None, packing: bool) -> dict:
    """Together bills tokens processed: epochs x training tokens (+ n_evals x validation
    tokens), at the rate of the model's size bracket, SFT or DPO, LoRA or full (LoRA is
    its default and is assumed)."""
    epochs_used = epochs or TOGETHER_DEFAULT_EPOCHS
    counted = role == "training" and encoding is not None
    per_epoch = processed_tokens_per_epoch(stats.example_tokens, length, packing) if counted else None
    bracket = catalog.bracket_for(target.info)
    method = "dpo" if target.method == "dpo" else "sft"
    price = bracket.price(method, "lora") if bracket else None
    assumed = (f"packing on: each example's own tokens, cut at max_seq_length {length:,}" if packing and length
               else "packing on: each example's own tokens" if packing
               else f"packing off: every example billed as max_seq_length ({length:,}) tokens" if length
               else "packing off, but no max_seq_length is known: each example's own tokens")
    if role != "training":
        note = ("Together bills a validation file's tokens once per evaluation (n_evals, 0 unless the job sets it); "
                "the training file's summary has the job's cost")
    elif bracket is None:
        note = f"no price: {target.model} has no size bracket in the Together catalog; {assumed}"
    elif price is None:
        note = f"no price for the {bracket.name} bracket ({method.upper()}, LoRA): {bracket.note} Tokens: {assumed}"
    else:
        published = bracket.price_as_of or "undated"
        note = (f"USD at Together's {bracket.name} {method.upper()} LoRA rate ({published}; "
                f"{', '.join(bracket.sources) or 'no source given'}); {assumed}; validation tokens are billed "
                "n_evals times on top")
    billed = per_epoch * epochs_used if per_epoch is not None else None
    return {"epochs": epochs_used if counted else None,
            "epochs_source": ("given" if epochs else "Together's default (n_epochs 1)") if counted else None,
            "billed_tokens": billed, "price_per_1m_tokens": price,
            "estimated_cost_usd": cost_usd(billed, price) if billed is not None else None,
            "price_bracket": bracket.name if bracket else None,
            "cost_note": note}


def _azure_price(info: ModelInfo | None, wanted: str | None, fmt: str, role: str,
                 catalog: ModelCatalog) -> tuple[float | None, str, str | None]:
    """(price per 1M tokens, cost note, training type) on Azure: the price follows the
    training type (the model's default when none is set), and says how sure it is."""
    if info is None:
        return None, "Azure OpenAI: no price for a model not in its catalog", wanted
    kind = info.training_type(wanted)
    name = kind.name if kind else (wanted or info.default_training_type)
    tokens = f"; {info.tokenizer_note}" if info.tokenizer_note else "; tokens are estimates where noted"
    if role != "training":
        return None, "validation files are not billed", name
    if fmt == REINFORCEMENT:
        return None, (f"Azure OpenAI bills reinforcement fine-tuning per hour of training, not per token: "
                      f"{info.training_price_note or 'no hourly rate published'}"), name
    if kind is None:
        offered = ", ".join(t.name for t in info.training_types) or "none listed"
        return None, f"Azure OpenAI offers no {name} training for {info.id} (it offers: {offered})", name
    published = f" ({info.price_as_of})" if info.price_as_of else ""
    if kind.price_per_1m is None:
        return None, f"Azure OpenAI, {kind.name} training: no published price per token{published}{tokens}", name
    sure = "confirmed" if kind.price_confirmed else "unconfirmed"
    return kind.price_per_1m, (f"USD on Azure OpenAI, {kind.name} training, price {sure}{published}: "
                               f"{kind.note}{tokens}"), name


def _azure_comparison(stats: FileStats, fmt: str, target: Target, catalog: ModelCatalog, today: date, epochs: int,
                      encoding: str | None, training_type: str | None) -> list[dict]:
    """A row per Azure model and training type with a price (the same tokenizer, so the same counts)."""
    if not encoding:
        return []
    candidates = catalog.trainable(fmt, today)
    if target.info and target.info not in candidates:
        candidates.append(target.info)
    rows = []
    for model in candidates:
        if model.encoding != encoding:
            continue
        billed = billed_tokens_per_epoch(stats.example_tokens, model.training_context) * epochs
        for kind in model.training_types:
            if kind.price_per_1m is None:
                continue
            rows.append({"model": model.id, "training_type": kind.name, "billed_tokens": billed,
                         "price_per_1m_tokens": kind.price_per_1m, "price_confirmed": kind.price_confirmed,
                         "estimated_cost_usd": cost_usd(billed, kind.price_per_1m),
                         "target": model is target.info and kind.name == training_type})
    return sorted(rows, key=lambda row: row["estimated_cost_usd"] or 0)


def _comparison(stats: FileStats, fmt: str, target: Target, catalog: ModelCatalog, today: date, epochs: int,
                encoding: str | None) -> list[dict]:
    """The same data on the other models that can still train it (same tokenizer, so the same counts)."""
    if not encoding:
        return []
    rows = []
    candidates = catalog.trainable(fmt, today)
    if target.info and target.info not in candidates:
        candidates.append(target.info)
    for model in candidates:
        if model.encoding != encoding or model.training_price_per_1m is None:
            continue
        billed = billed_tokens_per_epoch(stats.example_tokens, model.training_context) * epochs
        rows.append({"model": model.id, "billed_tokens": billed, "price_per_1m_tokens": model.training_price_per_1m,
                     "estimated_cost_usd": cost_usd(billed, model.training_price_per_1m),
                     "target": model.id == (target.info.id if target.info else None)})
    return sorted(rows, key=lambda row: row["estimated_cost_usd"] or 0)
