"""The distributions to look at before paying for a job: examples, messages and tokens
per example, tokens per role, trained tokens, the longest examples and the system-prompt
variants. Tokens are counted as `check` counts them (the model's tokenizer, docs/tokens.md;
for an open-weight target its own tokenizer and chat template, docs/open-weight.md)."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field, replace

from finetune_ls.core.analysis import FileContext, counter_for
from finetune_ls.core.engine import CheckSettings, plan_check
from finetune_ls.core.hf_tokenizer import source_phrase
from finetune_ls.core.shapes import PREFERENCE, PROMPT_COMPLETION
from finetune_ls.core.tokens import ExampleTokens
from finetune_ls.prep.source import Line

LONGEST_SHOWN = 5
VARIANTS_SHOWN = 5
PREVIEW_CHARS = 60


@dataclass
class Distribution:
    count: int
    minimum: float
    median: float
    mean: float
    p90: float
    maximum: float

    @classmethod
    def of(cls, values: list[int]) -> Distribution:
        if not values:
            return cls(0, 0, 0, 0, 0, 0)
        ordered = sorted(values)
        p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
        return cls(len(ordered), ordered[0], statistics.median(ordered), round(statistics.fmean(ordered), 1), p90,
                   ordered[-1])


@dataclass
class Stats:
    format: str
    model: str | None
    encoding: str | None
    examples: int
    messages: Distribution
    tokens: Distribution
    tokens_by_role: dict[str, int]
    total_tokens: int
    trained_tokens: int
    longest: list[tuple[int, int]]  # (line number, tokens), longest first
    system_prompts: int  # distinct system prompts
    system_variants: list[tuple[int, str]] = field(default_factory=list)  # (examples, preview), most used first
    per_example_tokens: list[int] = field(default_factory=list, repr=False)  # for the histogram
    target: str = "openai"
    tokenizer: dict | None = None  # open-weight targets: {"model", "source", "where"}
    max_seq_length: int | None = None  # open-weight targets: the trainer's sequence length
    over_limit: int = 0  # examples longer than max_seq_length (open-weight targets)
    failed: list[tuple[int, str]] = field(default_factory=list)  # (line, why) the chat template refused


def _messages(value: dict, fmt: str) -> list:
    if fmt == PREFERENCE:
        source = value.get("input")
        inner = source.get("messages") if isinstance(source, dict) else None
        return (inner if isinstance(inner, list) else []) + list(value.get("preferred_output") or [])[:1]
    messages = value.get("messages")
    return messages if isinstance(messages, list) else []


def _count(value: dict, context: FileContext) -> ExampleTokens:
    """The tokens of an example exactly as `check` counts them (core/analysis.counter_for)."""
    return counter_for(context).count(value, context.format, detail=True)


def _role_at(value: dict, path: tuple) -> str:
    """The role of the message a token count's path points at (prompt/completion: the key)."""
    node: object = value
    for step in path:
        try:
            node = node[step]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            return "other"
    if isinstance(node, dict):
        role = node.get("role")
        return role if isinstance(role, str) else "other"
    return str(path[-1]) if path else "other"


def _system_prompt(messages: list) -> str | None:
    first = messages[0] if messages else None
    if isinstance(first, dict) and first.get("role") in ("system", "developer") and isinstance(first.get("content"), str):
        return first["content"]
    return None


def compute_stats(lines: list[Line], model: str | None = None, settings: CheckSettings | None = None) -> Stats:
    """The numbers of a file; `settings` (check's) say where it is trained and whose tokens count."""
    settings = replace(settings or CheckSettings(), model=model or (settings.model if settings else None))
    plan = plan_check([line.content for line in lines[:1000]], settings)
    context = plan.context
    fmt, encoding = context.format, context.encoding
    limit = context.context_limit if context.training else None
    message_counts, token_counts, numbers = [], [], []
    by_role: Counter[str] = Counter()
    trained = 0
    failed: list[tuple[int, str]] = []
    prompts: Counter[str] = Counter()
    for line in lines:
        messages = _messages(line.value, fmt)
        message_counts.append(len(messages) if fmt != PROMPT_COMPLETION else 2)
        system = _system_prompt(messages)
        if system is not None:
            prompts[system] += 1
        if encoding is None:
            continue
        tokens = _count(line.value, context)
        if getattr(tokens, "error", None):
            failed.append((line.number, tokens.error))
            continue
        token_counts.append(tokens.total)
        numbers.append(line.number)
        trained += tokens.trained
        for path, count in tokens.messages:
            by_role[_role_at(line.value, path)] += count
        by_role["template and tools" if context.tokenizer else "overhead and tools"] += \
            tokens.total - sum(count for _, count in tokens.messages)
    longest = sorted(zip(numbers, token_counts), key=lambda pair: (-pair[1], pair[0]))
    variants = [(count, text if len(text) <= PREVIEW_CHARS else text[:PREVIEW_CHARS - 1] + "…")
                for text, count in prompts.most_common(VARIANTS_SHOWN)]
    tokenizer = context.tokenizer
    return Stats(fmt, plan.target.model, encoding, len(lines), Distribution.of(message_counts),
                 Distribution.of(token_counts), dict(by_role.most_common()), sum(token_counts), trained,
                 longest[:LONGEST_SHOWN], len(prompts), variants, token_counts, context.target,
                 {"model": tokenizer.model, "source": tokenizer.source, "where": tokenizer.where} if tokenizer else None,
                 limit, sum(1 for count in token_counts if limit and count > limit), failed)


def stats_table(stats: Stats, path: str) -> str:
    """The stats as aligned text, for the terminal."""
    def row(name: str, value: str) -> str:
        return f"  {name:<22} {value}"

    def spread(d: Distribution) -> str:
        return f"min {d.minimum:,g} · median {d.median:,g} · mean {d.mean:,g} · p90 {d.p90:,g} · max {d.maximum:,g}"

    rows = [row("file", path), row("format", stats.format), row("examples", f"{stats.examples:,}"),
            row("messages per example", spread(stats.messages))]
    if stats.target != "openai":
        rows.append(row("target", stats.target))
    if stats.encoding:
        tokenizer = stats.tokenizer
        rows += [row("tokenizer", f"{stats.model}'s own, from {source_phrase(tokenizer['source'], tokenizer['where'])}"
                     if tokenizer else f"{stats.encoding} ({stats.model})"),
                 row("tokens per example", spread(stats.tokens)),
                 row("tokens", f"{stats.total_tokens:,} (trained {stats.trained_tokens:,})")]
        rows += [row(f"  {role}", f"{count:,}") for role, count in stats.tokens_by_role.items()]
        rows.append(row("longest examples", ", ".join(f"line {n} ({t:,})" for n, t in stats.longest)))
        if stats.max_seq_length:
            rows.append(row("over max_seq_length", f"{stats.over_limit:,} (max_seq_length {stats.max_seq_length:,})"))
        if stats.failed:
            rows.append(row("template refused", ", ".join(f"line {n}" for n, _ in stats.failed[:LONGEST_SHOWN])
                            + (" …" if len(stats.failed) > LONGEST_SHOWN else "")))
    rows.append(row("system prompts", f"{stats.system_prompts:,} distinct"))
    rows += [row(f"  {count:,} ×", repr(text)) for count, text in stats.system_variants]
    return "\n".join(rows) + "\n"


def stats_json(stats: Stats) -> dict:
    return {
        "format": stats.format, "model": stats.model, "encoding": stats.encoding, "examples": stats.examples,
        "messages_per_example": stats.messages.__dict__, "tokens_per_example": stats.tokens.__dict__,
        "tokens_by_role": stats.tokens_by_role, "tokens": stats.total_tokens, "trained_tokens": stats.trained_tokens,
        "longest_examples": [{"line": n, "tokens": t} for n, t in stats.longest],
        "system_prompts": stats.system_prompts,
        "system_prompt_variants": [{"examples": c, "preview": t} for c, t in stats.system_variants],
        "target": stats.target, "tokenizer": stats.tokenizer, "max_seq_length": stats.max_seq_length,
        "over_limit": stats.over_limit,
        "template_errors": [{"line": n, "message": why} for n, why in stats.failed],
    }
