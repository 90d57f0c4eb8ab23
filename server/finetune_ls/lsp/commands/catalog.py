"""What the provider's catalog says about a model, as editor commands: the training types
Azure offers for it (the Start Job flow picks one), with the price per 1M training tokens
where one is known and the regions that offer it."""

from __future__ import annotations

from finetune_ls.lsp.wire.arguments import Arguments
from finetune_ls.lsp.server import FinetuneServer, server

TRAINING_TYPES = "finetune.trainingTypes"


@server.command(TRAINING_TYPES)
def training_types(ls: FinetuneServer, *args) -> dict:
    """Argument: model (default: the finetune.model setting, else the catalog's chat model).
    Only Azure has training types; for another provider the list is empty and the note says why."""
    given = Arguments(TRAINING_TYPES, args, ("model",))
    model = given.text("model", None) or ls.settings.model or ls.catalog.default_model("chat") or ""
    if ls.settings.provider != "azure":
        return {"model": model, "trainingTypes": [],
                "note": f"Training types are Azure OpenAI's; the provider is {ls.settings.provider}."}
    info = ls.catalog.resolve(model)
    if info is None:
        return {"model": model, "trainingTypes": [],
                "note": f"{model} is not in the Azure OpenAI catalog (the models Azure fine-tunes), so its training "
                        "types are unknown."}
    kinds = [{"name": kind.name, "pricePer1m": kind.price_per_1m, "regions": list(kind.regions), "note": kind.note}
             for kind in info.training_types]
    prices = f"Prices as of {info.price_as_of}, " if info.price_as_of else "Prices "
    prices += "confirmed." if any(k.price_confirmed for k in info.training_types) else \
        "unconfirmed: Azure's price list could not be read; a null price is unknown, not free."
    note = " ".join(part for part in (
        f"{info.id} on Azure OpenAI.",
        f"Default: {info.default_training_type}." if info.default_training_type else "",
        ls.catalog.training_types_note, prices, info.access_note or "") if part)
    return {"model": info.id, "trainingTypes": kinds, "note": note,
            "defaultTrainingType": info.default_training_type}
