"""Fine-tuned models: listed with their base model and dates, deleted only by name."""

from __future__ import annotations

from dataclasses import dataclass

import openai

from finetune_ls.api import answers
from finetune_ls.api.ledger import Ledger
from finetune_ls.core.catalog import ModelCatalog, base_model


@dataclass
class FineTunedModel:
    id: str
    base: str
    created: int
    owned_by: str
    shutdown_date: str | None  # from the API when it says, else the catalog's date for the base model


# Azure names a fine-tuned model `gpt-4.1-2025-04-14.ft-<32 hex>` (providers.md §1.4), OpenAI `ft:...`.
_AZURE_FINE_TUNED = ".ft-"


def fine_tuned_base(model_id: str) -> str | None:
    """The base model of a fine-tuned model's id (OpenAI's or Azure's), None for a base model."""
    if model_id.startswith("ft:"):
        return base_model(model_id)
    if _AZURE_FINE_TUNED in model_id:
        return model_id.split(_AZURE_FINE_TUNED, 1)[0]
    return None


def list_fine_tuned(client: openai.OpenAI, catalog: ModelCatalog) -> list[FineTunedModel]:
    found = []
    for model in answers.listed(lambda: client.models.list(), "the model list"):
        base = fine_tuned_base(model.id)
        if base is None:
            continue
        info = catalog.resolve(base)
        shutdown = getattr(model, "shutdown_date", None) or (info.shutdown.isoformat() if info and info.shutdown else None)
        extra = model.model_extra or {}
        created = model.created if isinstance(model.created, int) else extra.get("created_at")  # Azure's name
        found.append(FineTunedModel(model.id, base, created if isinstance(created, int) else 0,
                                    model.owned_by or "", shutdown))
    return sorted(found, key=lambda model: model.created, reverse=True)


def delete_model(client: openai.OpenAI, model_id: str, ledger: Ledger) -> bool:
    deleted = answers.made(lambda: client.models.delete(model_id), "the model delete").deleted
    if deleted:
        ledger.record("model-deleted", model_id)
    return deleted
