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


def list_fine_tuned(client: openai.OpenAI, catalog: ModelCatalog) -> list[FineTunedModel]:
    found = []
    for model in answers.listed(lambda: client.models.list(), "the model list"):
        if not model.id.startswith("ft:"):
            continue
        base = base_model(model.id)
        info = catalog.resolve(base)
        shutdown = getattr(model, "shutdown_date", None) or (info.shutdown.isoformat() if info and info.shutdown else None)
        found.append(FineTunedModel(model.id, base, model.created, model.owned_by, shutdown))
    return sorted(found, key=lambda model: model.created, reverse=True)


def delete_model(client: openai.OpenAI, model_id: str, ledger: Ledger) -> bool:
    deleted = answers.made(lambda: client.models.delete(model_id), "the model delete").deleted
    if deleted:
        ledger.record("model-deleted", model_id)
    return deleted
