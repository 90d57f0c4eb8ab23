"""The model catalog is data: bundled, extendable, and strict about its own shape."""

from __future__ import annotations

import json
from datetime import date

import pytest

from finetune_ls.core.catalog import PROVIDER_CATALOGS, CatalogError, base_model, bundled_catalog
from finetune_ls.core.costs import billed_tokens_per_epoch, cost_usd, default_epochs


def test_aliases_and_fine_tuned_names_resolve():
    catalog = bundled_catalog()
    assert catalog.resolve("gpt-4o-mini").id == "gpt-4o-mini-2024-07-18"
    assert catalog.resolve("ft:gpt-4o-mini-2024-07-18:org:suf:id:ckpt-step-90").id == "gpt-4o-mini-2024-07-18"
    assert base_model("ft:davinci-002:org::x") == "davinci-002"
    assert catalog.resolve("nope") is None


def test_what_can_still_be_trained_depends_on_the_date():
    catalog = bundled_catalog()
    late_2026 = {m.id for m in catalog.trainable("chat", date(2026, 11, 26))}
    assert late_2026 == {"gpt-4.1-2025-04-14", "gpt-4.1-mini-2025-04-14", "gpt-4o-2024-08-06", "gpt-4o-mini-2024-07-18"}
    assert catalog.trainable("chat", date(2027, 1, 6)) == []
    assert catalog.trainable("prompt-completion", date(2024, 10, 27))


def test_a_user_catalog_extends_and_overrides(tmp_path):
    extra = tmp_path / "models.json"
    extra.write_text(json.dumps({"models": [
        {"id": "my-llama", "encoding": "cl100k_base", "training_context": 8192, "training_price_per_1m": 1.0,
         "methods": ["supervised"]},
        {"id": "gpt-4o-mini-2024-07-18", "encoding": "o200k_base", "training_price_per_1m": 2.5,
         "methods": ["supervised"], "training_ends": "2027-06-01"}]}))
    catalog = bundled_catalog().with_file(extra)
    assert catalog.resolve("my-llama").training_context == 8192
    assert catalog.encoding_for("my-llama") == "cl100k_base"
    assert catalog.resolve("gpt-4o-mini").training_price_per_1m == 2.5


@pytest.mark.parametrize("content, message", [
    ("{", "not valid JSON"),
    ('{"models": {}}', "models"),
    ('{"models": [{"name": "x"}]}', "id"),
    ('{"models": [{"id": "x", "training_ends": "soon"}]}', "training_ends"),
    ('{"models": [{"id": "x", "training_context": "big"}]}', "training_context"),
    ('{"models": [{"id": "x", "encoding": "p50k_base"}]}', "encoding"),
    ('{"defaults": ["x"]}', "defaults"),
    ('{"encoding_prefixes": [["a"]]}', "encoding_prefixes"),
    ('{"models": [{"id": "x", "methods": "supervised"}]}', "methods"),
])
def test_a_broken_catalog_names_the_problem(tmp_path, content, message):
    extra = tmp_path / "bad.json"
    extra.write_text(content)
    with pytest.raises(CatalogError, match=message):
        bundled_catalog().with_file(extra)


@pytest.mark.parametrize("examples, epochs", [(1, 25), (5, 20), (10, 10), (33, 3), (34, 3), (8333, 3), (8334, 2),
                                              (30000, 1), (0, 3)])
def test_default_epochs_heuristic(examples, epochs):
    assert default_epochs(examples) == epochs


def test_billing_caps_each_example_at_the_context():
    assert billed_tokens_per_epoch([10, 100_000, 70_000], 65_536) == 10 + 65_536 + 65_536
    assert billed_tokens_per_epoch([10, 20], None) == 30
    assert cost_usd(2_000_000, 3.0) == 6.0 and cost_usd(10, None) is None


@pytest.mark.parametrize("name", ["models.json", *PROVIDER_CATALOGS.values()])
def test_bundled_catalogs_match_their_schema(name):
    """Loading them does not validate them (bundled=True): this test does."""
    from finetune_ls.core.catalog import _catalog_validator
    from importlib import resources
    document = json.loads((resources.files("finetune_ls") / "data" / name).read_text())
    assert document.get("models") and list(_catalog_validator().iter_errors(document)) == []
