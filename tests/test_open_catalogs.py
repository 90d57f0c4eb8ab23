"""The catalogs of open-weight targets as data: Together's fine-tunable models with their
price brackets (data/together.json) and the open models local trainers use
(data/open.json); and the cost each target's summary gives."""

from __future__ import annotations

import json
import re
from array import array
from datetime import date

import pytest

from finetune_ls.core.aggregate import FileStats
from finetune_ls.core.analysis import FileContext
from finetune_ls.core.catalog import bundled_catalog
from finetune_ls.core.costs import processed_tokens_per_epoch
from finetune_ls.core.filechecks import resolve_target, summarize
from finetune_ls.core.targets import target_info, training_setup

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TODAY = date(2026, 12, 4)


def test_every_together_price_has_a_date_and_a_source_or_is_null_with_a_note():
    """Numbers are only on together.ai/pricing (providers.md §3.3, UNCONFIRMED): a price the
    catalog gives must say when and where it was published; a missing one must say why."""
    catalog = bundled_catalog("together")
    assert catalog.price_brackets, "Together prices by model-size bracket"
    for bracket in catalog.price_brackets:
        assert set(bracket.prices) == {"sft_lora", "sft_full", "dpo_lora", "dpo_full"}, bracket.name
        for kind, price in bracket.prices.items():
            if price is None:
                assert bracket.note.strip(), (bracket.name, kind)
            else:
                assert DATE.match(bracket.price_as_of or ""), (bracket.name, kind)
                assert bracket.sources and all(s in json.loads(_document("together.json"))["sources"]
                                               for s in bracket.sources), (bracket.name, kind)


def test_together_models_are_found_by_their_hugging_face_ids_and_have_a_bracket():
    """Together names Llama 3.1 8B `meta-llama/Meta-Llama-3.1-8B-Instruct-Reference`
    (togethercomputer/skills supported-models.md); users write the Hugging Face id."""
    catalog = bundled_catalog("together")
    assert catalog.resolve("meta-llama/Llama-3.1-8B-Instruct").id == "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"
    assert catalog.resolve("Qwen/Qwen3-8B").training_kinds == ("lora", "full")
    gpt_oss = catalog.resolve("openai/gpt-oss-20b")
    # docs.together.ai/docs/fine-tuning-models: 16,384 (SFT), 8,192 (DPO) for LoRA.
    assert (gpt_oss.training_context, gpt_oss.training_context_dpo) == (16384, 8192)
    for info in catalog.models.values():
        assert catalog.bracket_for(info) is not None, info.id
        assert info.sources and info.provider == "together", info.id
    assert catalog.bracket_for(catalog.resolve("Qwen/Qwen3-14B")).name == "Up to 16B"
    assert catalog.bracket_for(catalog.resolve("Qwen/Qwen3-32B")).name == "16.1-69B"
    assert catalog.provider_name == "Together AI" and catalog.limits.min_examples == 1  # TG-PY1 MIN_SAMPLES = 1


def test_open_models_say_their_licence_and_whether_their_tokenizer_may_be_bundled():
    """providers.md §6: Qwen3 and gpt-oss are Apache-2.0 (may be bundled); Llama, Gemma and
    DeepSeek-V3 load from the user's folder only. No prices: the cost is compute time."""
    catalog = bundled_catalog("open")
    for info in catalog.models.values():
        assert info.license, info.id
        assert info.training_price_per_1m is None, info.id
    assert catalog.resolve("Qwen/Qwen3-0.6B").tokenizer_redistributable is True
    assert catalog.resolve("openai/gpt-oss-20b").tokenizer_redistributable is True
    for gated in ("meta-llama/Llama-3.1-8B-Instruct", "google/gemma-3-4b-it", "deepseek-ai/DeepSeek-V3"):
        assert catalog.resolve(gated).tokenizer_redistributable is False, gated
    assert not catalog.price_brackets


@pytest.mark.parametrize("target, catalog", [("together", "together"), ("trl", "open"), ("axolotl", "open"),
                                             ("unsloth", "open"), ("openai", "openai"), ("azure", "azure")])
def test_each_target_takes_its_catalog(target, catalog):
    assert target_info(target).catalog == catalog
    assert bundled_catalog(catalog).models


def test_together_bills_each_example_as_max_seq_length_when_packing_is_off():
    """docs.together.ai fine-tuning pricing: 'If packing is disabled, tokens per training
    dataset will be calculated as (dataset_length x max_seq_length)'."""
    assert processed_tokens_per_epoch([10, 20, 5000], 4096, packing=True) == 10 + 20 + 4096
    assert processed_tokens_per_epoch([10, 20, 5000], 4096, packing=False) == 3 * 4096
    assert processed_tokens_per_epoch([10, 20], None, packing=False) == 30  # no length known: own tokens


def _stats(tokens: list[int]) -> FileStats:
    return FileStats(lines=len(tokens), examples=len(tokens), tokens=sum(tokens), trained=sum(tokens),
                     example_tokens=array("q", tokens))


def _summary(target: str, catalog, model: str, tokens: list[int], epochs=None, packing=None, role="training"):
    info = target_info(target)
    resolved = resolve_target("chat", model, None, target, catalog)
    context_limit = resolved.info.training_context if resolved.info else None
    training = training_setup(target, None, None, None, None, packing, context_limit)
    context = FileContext("chat", "hf:test", training.max_seq_length, model, target=info.id, training=training)
    return summarize(_stats(tokens), "chat", resolved, catalog, TODAY, epochs, "hf:test", role, None, context)


def test_a_together_price_given_by_a_catalog_file_prices_the_job(tmp_path):
    """Together: epochs x training tokens at the bracket's SFT LoRA rate (LoRA is its
    default, TG-OAS), with the price's date in cost_note. The price here is the user's own
    (the bundled catalog has none that could be sourced)."""
    extra = tmp_path / "prices.json"
    extra.write_text(json.dumps({"price_brackets": [
        {"name": "Up to 16B", "max_parameters_b": 16, "price_as_of": "2026-12-01", "sources": ["my invoice"],
         "prices": {"sft_lora": 2.0, "sft_full": None, "dpo_lora": None, "dpo_full": None}}]}), encoding="utf-8")
    catalog = bundled_catalog("together").with_file(extra)
    summary = _summary("together", catalog, "Qwen/Qwen3-8B", [400_000, 100_000], epochs=3)
    assert summary["target"] == "together" and summary["packing"] is True
    assert summary["billed_tokens"] == 3 * 500_000 and summary["price_per_1m_tokens"] == 2.0
    assert summary["estimated_cost_usd"] == 3.0 and "2026-12-01" in summary["cost_note"]
    assert summary["epochs_source"] == "given"
    default = _summary("together", catalog, "Qwen/Qwen3-8B", [400_000, 100_000])
    assert default["epochs"] == 1 and "n_epochs 1" in default["epochs_source"]  # TG-OAS n_epochs default 1


def test_the_bundled_together_catalog_gives_no_price_and_says_why():
    summary = _summary("together", bundled_catalog("together"), "openai/gpt-oss-20b", [1000, 2000], packing=False)
    assert summary["price_per_1m_tokens"] is None and summary["estimated_cost_usd"] is None
    assert "together.ai/pricing" in summary["cost_note"] and "packing off" in summary["cost_note"]
    assert summary["billed_tokens"] == 2 * 16384  # packing off: each example as max_seq_length
    assert summary["max_seq_length"] == 16384 and summary["price_bracket"] == "16.1-69B"  # 21B parameters


@pytest.mark.parametrize("target", ["trl", "axolotl", "unsloth"])
def test_local_trainers_have_no_price_and_say_the_cost_is_compute_time(target):
    summary = _summary(target, bundled_catalog("open"), "Qwen/Qwen3-8B", [1000])
    assert summary["price_per_1m_tokens"] is None and summary["billed_tokens"] is None
    assert "compute time" in summary["cost_note"] and target_info(target).name in summary["cost_note"]
    assert summary["max_seq_length"] == target_info(target).max_seq_length
    assert summary["overflow"] == target_info(target).overflow


def _document(name: str) -> str:
    from importlib import resources

    return (resources.files("finetune_ls") / "data" / name).read_text(encoding="utf-8")
