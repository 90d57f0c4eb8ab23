"""Epochs, billed tokens and cost estimates.

Billed tokens = sum over examples of min(training context, tokens) x epochs,
as OpenAI bills trained tokens (validation files are not billed). Default
epochs follow the heuristic of OpenAI's data-preparation notebook: 3, raised
for small files (100 // examples) and lowered for big ones (25000 // examples),
with epochs in [1, 25]; its integer division keeps examples x epochs near
[100, 25000], not always inside (33 examples: 3 epochs).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

TARGET_EPOCHS = 3
MIN_TARGET_EXAMPLES = 100
MAX_TARGET_EXAMPLES = 25_000
MIN_DEFAULT_EPOCHS = 1
MAX_DEFAULT_EPOCHS = 25


def default_epochs(examples: int) -> int:
    epochs = TARGET_EPOCHS
    if examples <= 0:
        return epochs
    if examples * epochs < MIN_TARGET_EXAMPLES:
        epochs = min(MAX_DEFAULT_EPOCHS, MIN_TARGET_EXAMPLES // examples)
    elif examples * epochs > MAX_TARGET_EXAMPLES:
        epochs = max(MIN_DEFAULT_EPOCHS, MAX_TARGET_EXAMPLES // examples)
    return epochs


def billed_tokens_per_epoch(example_tokens: Sequence[int], context: int | None) -> int:
    """Tokens billed for one epoch: an example over the context is cut to it. (The cost
    comparison asks this for every model, over every example: built-ins, not a loop.)"""
    if not context or not example_tokens or max(example_tokens) <= context:
        return sum(example_tokens)
    return sum(map(min, example_tokens, itertools.repeat(context)))


def cost_usd(billed_tokens: int, price_per_1m: float | None) -> float | None:
    if price_per_1m is None:
        return None
    return round(billed_tokens / 1_000_000 * price_per_1m, 2)


def processed_tokens_per_epoch(example_tokens: Sequence[int], max_seq_length: int | None, packing: bool) -> int:
    """Tokens Together processes in one epoch: with packing (its default) the examples' own
    tokens, each cut at max_seq_length; without packing every example fills a whole
    sequence, so examples x max_seq_length (docs.together.ai fine-tuning pricing)."""
    if not packing and max_seq_length:
        return len(example_tokens) * max_seq_length
    return billed_tokens_per_epoch(example_tokens, max_seq_length)
