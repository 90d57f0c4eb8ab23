"""The model catalog: limits, prices and dates as data (data/models.json), extendable
by the user with catalog files of the same shape."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path

from finetune_ls.core.shapes import CHAT, FORMAT_METHOD, PREFERENCE, PROMPT_COMPLETION, REINFORCEMENT

_METHOD_FORMATS = {"supervised": (CHAT,), "dpo": (PREFERENCE,), "reinforcement": (REINFORCEMENT,)}


class CatalogError(ValueError):
    """A catalog file that cannot be read; the message names the file and the problem."""


@dataclass(frozen=True)
class TrainingType:
    """A way a provider trains (Azure: Standard, GlobalStandard, Developer): its price per
    1M training tokens where one is known, and the regions that offer it."""

    name: str
    price_per_1m: float | None = None
    price_confirmed: bool = False
    regions: tuple[str, ...] = ()
    note: str = ""
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Limits:
    """What the provider accepts in a file and a job. The defaults are OpenAI's; a
    catalog's "limits" replaces those it gives (Azure's quotas page)."""

    min_examples: int = 10
    max_images_per_example: int = 10
    max_image_examples: int = 50_000
    max_file_bytes: int | None = None  # not checked when None
    max_job_tokens: int | None = None  # training tokens x epochs per job; not checked when None
    note: str = ""
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModelInfo:
    id: str
    encoding: str
    aliases: tuple[str, ...] = ()
    provider: str = "openai"
    training_context: int | None = None
    training_context_confirmed: bool = False
    training_price_per_1m: float | None = None
    training_price_note: str | None = None
    inference_price_per_1m: dict | None = None
    methods: tuple[str, ...] = ("supervised",)
    formats: tuple[str, ...] = ()
    vision: bool | None = None
    training_ends: date | None = None
    shutdown: date | None = None
    replacement: str | None = None
    sources: tuple[str, ...] = ()
    as_of: str | None = None  # when the entry was last checked against its sources
    price_as_of: str | None = None  # when its prices were published
    training_price_per_hour: float | None = None  # reinforcement is billed per hour of training
    training_types: tuple[TrainingType, ...] = ()  # Azure's, in the catalog's order
    default_training_type: str | None = None
    base_retires: date | None = None  # when the base model retires (Azure: training ends then for new customers)
    retirement_note: str | None = None
    tokenizer_note: str | None = None  # why token counts are approximate for this model
    method_note: str | None = None
    access_note: str | None = None
    # Open-weight models (data/together.json, data/open.json):
    parameters_b: float | None = None  # billions of parameters (Together prices by size bracket)
    price_bracket: str | None = None  # the name of its bracket in the catalog's price_brackets
    training_context_dpo: int | None = None  # Together: the longest DPO example, where it differs from SFT
    training_kinds: tuple[str, ...] = ()  # Together: lora, full
    license: str | None = None  # the model's licence, as its card names it
    tokenizer_redistributable: bool | None = None  # whether its tokenizer files may be bundled

    def training_type(self, name: str | None) -> TrainingType | None:
        """A training type by name in any case (None: the model's default)."""
        wanted = (name or self.default_training_type or "").strip().lower()
        return next((kind for kind in self.training_types if kind.name.lower() == wanted), None)

    @property
    def trainable_formats(self) -> tuple[str, ...]:
        if self.formats:
            return self.formats
        return tuple(fmt for method in self.methods for fmt in _METHOD_FORMATS.get(method, ()))

    def can_train(self, today: date) -> bool:
        return self.training_ends is None or today < self.training_ends

    def supports(self, fmt: str) -> bool:
        return fmt in self.trainable_formats and FORMAT_METHOD.get(fmt) in self.methods


def _date(value: object, where: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise CatalogError(f"{where}: {value!r} is not a YYYY-MM-DD date") from exc


def _training_types(value: object, name: str) -> tuple[TrainingType, ...]:
    if isinstance(value, (tuple, list)):  # already TrainingTypes (an override of a known model)
        return tuple(value)
    try:
        return tuple(TrainingType(kind, entry.get("price_per_1m"), bool(entry.get("price_confirmed", False)),
                                  tuple(entry.get("regions") or ()), entry.get("note", ""),
                                  tuple(entry.get("sources") or ()))
                     for kind, entry in (value or {}).items())
    except (AttributeError, TypeError) as exc:
        raise CatalogError(f"{name}: training_types: {exc}") from exc


def _model(entry: object, where: str) -> ModelInfo:
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
        raise CatalogError(f"{where}: each model needs at least a string \"id\"")
    name = f"{where}: model {entry['id']}"
    try:
        return ModelInfo(
            id=entry["id"],
            encoding=entry.get("encoding") or "o200k_base",
            aliases=tuple(entry.get("aliases") or ()),
            provider=entry.get("provider", "openai"),
            training_context=entry.get("training_context"),
            training_context_confirmed=bool(entry.get("training_context_confirmed", False)),
            training_price_per_1m=entry.get("training_price_per_1m"),
            training_price_note=entry.get("training_price_note"),
            inference_price_per_1m=entry.get("inference_price_per_1m"),
            methods=tuple(entry.get("methods") or ("supervised",)),
            formats=tuple(entry.get("formats") or ()),
            vision=entry.get("vision"),
            training_ends=_date(entry.get("training_ends"), name),
            shutdown=_date(entry.get("shutdown"), name),
            replacement=entry.get("replacement"),
            sources=tuple(entry.get("sources") or ()),
            as_of=entry.get("as_of"),
            price_as_of=entry.get("price_as_of"),
            training_price_per_hour=entry.get("training_price_per_hour"),
            training_types=_training_types(entry.get("training_types"), name),
            default_training_type=entry.get("default_training_type"),
            base_retires=_date(entry.get("base_retires"), name),
            retirement_note=entry.get("retirement_note"),
            tokenizer_note=entry.get("tokenizer_note"),
            method_note=entry.get("method_note"),
            access_note=entry.get("access_note"),
            parameters_b=entry.get("parameters_b"),
            price_bracket=entry.get("price_bracket"),
            training_context_dpo=entry.get("training_context_dpo"),
            training_kinds=tuple(entry.get("training_kinds") or ()),
            license=entry.get("license"),
            tokenizer_redistributable=entry.get("tokenizer_redistributable"),
        )
    except TypeError as exc:
        raise CatalogError(f"{name}: {exc}") from exc


@dataclass(frozen=True)
class DeploymentSku:
    """How a fine-tuned model can be deployed (Azure): what it costs per hour while it is
    deployed, and how long it lives."""

    name: str  # as users write it: Standard, GlobalStandard, Developer
    api_name: str  # as the management API's sku.name takes it
    hourly_usd: float | None  # the hosting fee, whether or not it is called
    lifetime_hours: float | None = None  # deleted after this long (Developer: 24), else None
    inactive_delete_days: int | None = None  # deleted after this many days without calls
    default_capacity: int | None = None
    note: str = ""
    sources: tuple[str, ...] = ()
    price_as_of: str | None = None  # the date of the page the fee is from


def _sku(entry: dict, where: str) -> DeploymentSku:
    try:
        return DeploymentSku(
            name=entry["name"], api_name=entry.get("api_name") or entry["name"], hourly_usd=entry.get("hourly_usd"),
            lifetime_hours=entry.get("lifetime_hours"), inactive_delete_days=entry.get("inactive_delete_days"),
            default_capacity=entry.get("default_capacity"), note=entry.get("note", ""),
            sources=tuple(entry.get("sources") or ()), price_as_of=entry.get("price_as_of"))
    except (KeyError, TypeError) as exc:
        raise CatalogError(f"{where}: deployment sku {entry!r}: {exc}") from exc


@dataclass(frozen=True)
class PriceBracket:
    """Together's price per 1M tokens for models of a size range, per method (sft, dpo) and
    kind (lora, full). A price is None where none could be sourced: the note says why."""

    name: str  # as the price list names it: "Up to 16B"
    max_parameters_b: float | None  # the bracket's upper bound (None: no bound)
    prices: dict  # "sft_lora", "sft_full", "dpo_lora", "dpo_full" -> USD per 1M tokens or None
    price_as_of: str | None = None
    note: str = ""
    sources: tuple[str, ...] = ()

    def price(self, method: str, kind: str) -> float | None:
        return self.prices.get(f"{'dpo' if method == 'dpo' else 'sft'}_{kind}")


def _bracket(entry: dict, where: str) -> PriceBracket:
    try:
        return PriceBracket(entry["name"], entry.get("max_parameters_b"), dict(entry.get("prices") or {}),
                            entry.get("price_as_of"), entry.get("note", ""), tuple(entry.get("sources") or ()))
    except (KeyError, TypeError) as exc:
        raise CatalogError(f"{where}: price bracket {entry!r}: {exc}") from exc


@dataclass(frozen=True)
class ModelCatalog:
    models: dict[str, ModelInfo]
    defaults: dict[str, str] = field(default_factory=dict)
    encoding_prefixes: tuple[tuple[str, str | None], ...] = ()
    default_encoding: str = "o200k_base"
    platform_notice: str = ""
    as_of: str = ""
    deployment_skus: dict[str, DeploymentSku] = field(default_factory=dict)  # by name
    provider_name: str = "OpenAI"  # who trains, as messages name it
    limits: Limits = Limits()
    training_types_note: str = ""
    price_brackets: tuple[PriceBracket, ...] = ()  # Together: by model size, smallest first
    cost_note: str = ""  # how the provider bills, where it differs from OpenAI (Together, local trainers)

    def bracket_for(self, info: ModelInfo | None) -> PriceBracket | None:
        """The price bracket of a model: named in its entry, else by its size."""
        if info is None:
            return None
        if info.price_bracket:
            return next((b for b in self.price_brackets if b.name == info.price_bracket), None)
        if info.parameters_b is None:
            return None
        return next((b for b in self.price_brackets
                     if b.max_parameters_b is None or info.parameters_b <= b.max_parameters_b), None)

    def deployment_sku(self, name: str) -> DeploymentSku | None:
        """A deployment SKU by its name or API name, in any case."""
        wanted = name.strip().lower()
        return next((sku for sku in self.deployment_skus.values()
                     if wanted in (sku.name.lower(), sku.api_name.lower())), None)

    def resolve(self, name: str | None) -> ModelInfo | None:
        """The catalog entry for a model name, alias or fine-tuned model id."""
        if not name:
            return None
        base = base_model(name)
        if base in self.models:
            return self.models[base]
        for info in self.models.values():
            if base in info.aliases:
                return info
        return None

    def encoding_for(self, name: str) -> str:
        """The tokenizer of a model: from its catalog entry, else by name prefix.
        (tiktoken's own map sends ft:gpt-4.1-... to cl100k_base, which is wrong.)"""
        info = self.resolve(name)
        if info:
            return info.encoding
        base = base_model(name)
        for prefix, encoding in self.encoding_prefixes:
            if encoding and base.startswith(prefix):
                return encoding
        return self.default_encoding

    def default_model(self, fmt: str) -> str | None:
        return self.defaults.get(fmt)

    def trainable(self, fmt: str, today: date) -> list[ModelInfo]:
        return [m for m in self.models.values() if m.supports(fmt) and m.can_train(today)]

    def merged(self, document: dict, where: str, bundled: bool = False) -> ModelCatalog:
        """This catalog with the models (and defaults) of another catalog document on top. The
        bundled documents are checked against the schema by the tests (test_catalog.py), not at
        every start: loading python-jsonschema and validating cost ~50 ms of each process."""
        problem = None if bundled else next(iter(_catalog_validator().iter_errors(document)), None)
        if problem is not None:
            place = "/".join(str(step) for step in problem.absolute_path)
            raise CatalogError(f"{where}: {place + ': ' if place else ''}{problem.message}")
        models = dict(self.models)
        for entry in document.get("models", []):
            known = models.get(entry.get("id")) if isinstance(entry, dict) else None
            if known is not None:  # an override changes only the fields it gives
                entry = {**{f.name: getattr(known, f.name) for f in fields(known)}, **entry}
            info = _model(entry, where)
            models[info.id] = info
        return ModelCatalog(
            models,
            {**self.defaults, **(document.get("defaults") or {})},
            tuple((p, e) for p, e in document.get("encoding_prefixes", ())) + self.encoding_prefixes,
            document.get("default_encoding", self.default_encoding),
            document.get("platform_notice", self.platform_notice),
            document.get("as_of", self.as_of),
            {**self.deployment_skus,
             **{sku.name: sku for sku in (_sku(entry, where) for entry in document.get("deployment_skus", ()))}},
            document.get("provider_name", self.provider_name),
            _limits(document["limits"], self.limits) if "limits" in document else self.limits,
            document.get("training_types_note", self.training_types_note),
            tuple(_bracket(entry, where) for entry in document["price_brackets"])
            if "price_brackets" in document else self.price_brackets,
            document.get("cost_note", self.cost_note),
        )

    def with_file(self, path: str | Path) -> ModelCatalog:
        try:
            document = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise CatalogError(f"cannot read catalog {path}: {exc.strerror}") from exc
        except ValueError as exc:
            raise CatalogError(f"catalog {path} is not valid JSON: {exc}") from exc
        return self.merged(document, str(path))


def _limits(entry: dict, known: Limits) -> Limits:
    given = {key: tuple(value) if key == "sources" else value for key, value in entry.items()}
    return Limits(**{**{f.name: getattr(known, f.name) for f in fields(known)}, **given})


def base_model(name: str) -> str:
    """`ft:gpt-4o-mini-2024-07-18:org:suffix:id[:ckpt-step-N]` -> `gpt-4o-mini-2024-07-18`; Azure's
    `gpt-4.1-2025-04-14.ft-<32 hex>` -> `gpt-4.1-2025-04-14`."""
    name = name.strip()
    if name.startswith("ft:"):
        return name[3:].split(":", 1)[0]
    if ".ft-" in name:
        return name.split(".ft-", 1)[0]
    return name


@lru_cache(maxsize=1)
def _catalog_validator():
    import jsonschema  # only catalog files need it

    schema = json.loads((resources.files("finetune_ls") / "data" / "models.schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def _bundled_document(name: str) -> dict:
    return json.loads((resources.files("finetune_ls") / "data" / name).read_text(encoding="utf-8"))


# Each provider's catalog is a file of its own; models not in it are unknown to that provider.
# Together fine-tunes its own list of open-weight models; local trainers (TRL, axolotl,
# Unsloth) train any Hugging Face model: "open" lists the common ones, with no prices.
PROVIDER_CATALOGS = {"azure": "azure.json", "together": "together.json", "open": "open.json"}


@lru_cache(maxsize=8)
def bundled_catalog(provider: str = "openai") -> ModelCatalog:
    """The catalog of where the file will be trained: OpenAI's (models.json; also for
    OpenAI-compatible services), or a provider's own (Azure: azure.json; Together:
    together.json; local trainers: open.json), which shares OpenAI's tokenizer rules for
    names it does not list (open-weight targets count with the model's own tokenizer)."""
    openai_catalog = ModelCatalog({}).merged(_bundled_document("models.json"), "bundled models.json", bundled=True)
    own = PROVIDER_CATALOGS.get(provider)
    if own is None:
        return openai_catalog
    base = ModelCatalog({}, encoding_prefixes=openai_catalog.encoding_prefixes,
                        default_encoding=openai_catalog.default_encoding)
    return base.merged(_bundled_document(own), f"bundled {own}", bundled=True)


__all__ = ["CatalogError", "DeploymentSku", "Limits", "ModelCatalog", "ModelInfo", "PriceBracket", "TrainingType",
           "base_model",
           "bundled_catalog", "CHAT", "PREFERENCE", "PROMPT_COMPLETION", "REINFORCEMENT"]
