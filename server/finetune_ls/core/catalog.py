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
        )
    except TypeError as exc:
        raise CatalogError(f"{name}: {exc}") from exc


@dataclass(frozen=True)
class ModelCatalog:
    models: dict[str, ModelInfo]
    defaults: dict[str, str] = field(default_factory=dict)
    encoding_prefixes: tuple[tuple[str, str | None], ...] = ()
    default_encoding: str = "o200k_base"
    platform_notice: str = ""
    as_of: str = ""

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

    def merged(self, document: dict, where: str) -> ModelCatalog:
        """This catalog with the models (and defaults) of another catalog document on top."""
        problem = next(iter(_catalog_validator().iter_errors(document)), None)
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
        )

    def with_file(self, path: str | Path) -> ModelCatalog:
        try:
            document = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise CatalogError(f"cannot read catalog {path}: {exc.strerror}") from exc
        except ValueError as exc:
            raise CatalogError(f"catalog {path} is not valid JSON: {exc}") from exc
        return self.merged(document, str(path))


def base_model(name: str) -> str:
    """`ft:gpt-4o-mini-2024-07-18:org:suffix:id[:ckpt-step-N]` -> `gpt-4o-mini-2024-07-18`."""
    name = name.strip()
    if name.startswith("ft:"):
        return name[3:].split(":", 1)[0]
    return name


@lru_cache(maxsize=1)
def _catalog_validator():
    import jsonschema  # only catalog files need it

    schema = json.loads((resources.files("finetune_ls") / "data" / "models.schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


@lru_cache(maxsize=1)
def bundled_catalog() -> ModelCatalog:
    document = json.loads((resources.files("finetune_ls") / "data" / "models.json").read_text(encoding="utf-8"))
    empty = ModelCatalog({})
    return empty.merged(document, "bundled models.json")


__all__ = ["CatalogError", "ModelCatalog", "ModelInfo", "base_model", "bundled_catalog",
           "CHAT", "PREFERENCE", "PROMPT_COMPLETION", "REINFORCEMENT"]
