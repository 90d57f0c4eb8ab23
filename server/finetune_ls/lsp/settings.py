"""The server's settings, from `initializationOptions` and `workspace/configuration`
(section "finetune"), and what they mean for one document."""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field, fields
from pathlib import Path

from finetune_ls.api.connection import Provider
from finetune_ls.core.catalog import CatalogError, ModelCatalog, bundled_catalog
from finetune_ls.core.engine import TRAINING, VALIDATION, CheckSettings
from finetune_ls.core.targets import TARGETS, TRAIN_ON, TRAIN_ON_EOS, target_info

SECTION = "finetune"
DEFAULT_MAX_FILE_MB = 200.0
PUBLISHED_PER_FILE = 1000  # diagnostics sent per file; 1,000 serialise in ~3 ms, 100,000 in 0.6 s


@dataclass(frozen=True)
class ServerSettings:
    model: str | None = None
    method: str | None = None
    epochs: int | None = None
    provider: str = "openai"
    catalog: str | None = None  # path of a catalog file
    # Validation pairing: a glob that names the validation file of a training file
    # ("{stem}" stands for the training file's name without .jsonl), and explicit pairs.
    validation_glob: str = "{stem}.valid.jsonl"
    validation_pairs: dict = field(default_factory=dict)  # training path -> validation path
    ignore: tuple[str, ...] = ()  # globs of files not to check
    max_file_mb: float = DEFAULT_MAX_FILE_MB  # bigger documents are checked for structure only
    max_diagnostics: int = PUBLISHED_PER_FILE
    privacy: bool = True  # the privacy rules: API keys, e-mail addresses, phone and card numbers in the text
    # Where fine-tuning calls go (the API key is never a setting: the client hands it over
    # with the finetune.setApiKey command, or it comes from OPENAI_API_KEY or the key file).
    base_url: str | None = None
    azure_endpoint: str | None = None
    api_version: str | None = None
    organization: str | None = None
    project: str | None = None
    key_file: str | None = None
    api_timeout: float = 600.0
    azure_deployments: dict = field(default_factory=dict)  # model -> deployment, for inference on Azure
    # Azure: "key" (the API key, as on OpenAI) or "entra" (Microsoft Entra ID through
    # azure-identity's DefaultAzureCredential; no key at all).
    azure_auth: str = "key"
    # Azure's management API, for deployments: the resource, and the cloud's endpoint.
    azure_subscription: str | None = None  # default: AZURE_SUBSCRIPTION_ID
    azure_resource_group: str | None = None  # default: AZURE_RESOURCE_GROUP
    azure_account: str | None = None  # the Azure OpenAI / Foundry resource's name; default: AZURE_OPENAI_ACCOUNT
    azure_management_endpoint: str | None = None  # default: https://management.azure.com
    # Azure's training type for new jobs (Standard, GlobalStandard, Developer); None: the service's default.
    training_type: str | None = None
    # Ghost text from a fine-tuned model in assistant slots: "invoked" (on request), "automatic", "off".
    inline_completion: str = "invoked"
    inline_model: str | None = None  # default: the last fine-tuned model in the workspace's ledger
    # Where files are trained (docs/open-weight.md): a target, and for open-weight targets the
    # model's tokenizer folder, a chat template, and the trainer's settings that change what is counted.
    target: str | None = None  # openai | azure | together | trl | axolotl | unsloth; None: the provider's
    tokenizer: str | None = None
    chat_template: str | None = None
    max_seq_length: int | None = None
    train_on: str | None = None
    roles_to_train: tuple[str, ...] | None = None
    train_on_eos: str | None = None
    packing: bool | None = None

    @classmethod
    def from_client(cls, value: object, base: ServerSettings | None = None) -> tuple[ServerSettings, list[str]]:
        """Settings from the client's JSON (camelCase or snake_case keys), and the problems
        found in it (each one leaves the setting as it was)."""
        base = base or cls()
        if not isinstance(value, dict):
            return base, ([] if value is None else [f"the {SECTION} settings are not an object"])
        if isinstance(value.get(SECTION), dict):
            value = value[SECTION]
        known = {f.name: f for f in fields(cls)}
        changes: dict = {}
        problems: list[str] = []
        for key, item in value.items():
            name = _snake(key)
            if name in ("api_key", "key"):
                problems.append(f"{SECTION}.{key}: the API key is not a setting (settings files are not secret); "
                                "the editor hands it over at run time, or use OPENAI_API_KEY or keyFile")
                continue
            if name not in known:
                continue
            checked = _check(name, item)
            if isinstance(checked, _Problem):
                problems.append(f"{SECTION}.{key}: {checked.text}")
            else:
                changes[name] = checked
        return cls(**{**base.__dict__, **changes}), problems

    @property
    def hosted_provider(self) -> str:
        """The provider a hosted target names (azure, openai); else the provider setting."""
        if self.target == "azure":
            return "azure"
        return "openai" if self.target == "openai" and self.provider == "azure" else self.provider

    def catalog_or_problem(self, target: str | None = None) -> tuple[ModelCatalog, str | None]:
        """The catalog of the target (this file's, else the setting's), with the user's file on top."""
        target = target or self.target or ("azure" if self.hosted_provider == "azure" else "openai")
        catalog = bundled_catalog(target_info(target).catalog)  # a user's catalog file merges on top
        if not self.catalog:
            return catalog, None
        try:
            return catalog.with_file(self.catalog), None
        except CatalogError as problem:
            return catalog, str(problem)

    def check_settings(self, catalog: ModelCatalog, role: str = TRAINING) -> CheckSettings:
        return CheckSettings(model=self.model, method=self.method, epochs=self.epochs, provider=self.hosted_provider,
                             catalog=catalog, role=role, privacy=self.privacy, training_type=self.training_type,
                             target=self.target, tokenizer=self.tokenizer, chat_template=self.chat_template,
                             max_seq_length=self.max_seq_length, train_on=self.train_on,
                             roles_to_train=self.roles_to_train, train_on_eos=self.train_on_eos, packing=self.packing)

    def provider_config(self) -> Provider:
        return Provider(kind=self.provider, base_url=self.base_url, azure_endpoint=self.azure_endpoint,
                        api_version=self.api_version, azure_auth=self.azure_auth, organization=self.organization,
                        project=self.project,
                        key_file=self.key_file, deployments=tuple(self.azure_deployments.items()),
                        timeout=self.api_timeout)

    def ignored(self, path: str) -> bool:
        return any(fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(os.path.basename(path), pattern)
                   for pattern in self.ignore)

    def validation_for(self, path: str) -> str | None:
        """The validation file paired with a training file, if it exists."""
        explicit = self.validation_pairs.get(path)
        if explicit:
            return explicit
        folder, name = os.path.split(path)
        stem = name[:-len(".jsonl")] if name.lower().endswith(".jsonl") else name
        names = [self.validation_glob.replace("{stem}", stem)]
        if "train" in stem:  # train.jsonl -> valid.jsonl, val.jsonl, validation.jsonl; data_train -> data_valid
            names += [stem.replace("train", other) + ".jsonl" for other in ("valid", "val", "validation")]
        for candidate in (os.path.join(folder, name) for name in names):
            if candidate != path and os.path.isfile(candidate):
                return candidate
        return None

    def is_validation(self, path: str, open_paths: list[str]) -> str | None:
        """The training file a validation file belongs to, among the given ones."""
        for training in open_paths:
            if training != path and self.validation_for(training) == path:
                return training
        return None


VALIDATION_ROLE = VALIDATION


class _Problem:
    def __init__(self, text: str):
        self.text = text


_CONNECTION = ("base_url", "azure_endpoint", "api_version", "organization", "project", "key_file", "inline_model",
               "azure_subscription", "azure_resource_group", "azure_account", "azure_management_endpoint")
TRAINING_TYPES = ("Standard", "GlobalStandard", "Developer")
_OPEN_WEIGHT = ("target", "tokenizer", "chat_template", "max_seq_length", "train_on", "roles_to_train",
                "train_on_eos", "packing")


def _check_open_weight(name: str, value: object) -> object:
    """The target and the trainer's settings (null or empty: the trainer's default)."""
    if name == "target":
        return value if value in TARGETS else _Problem("must be " + ", ".join(TARGETS))
    if name in ("tokenizer", "chat_template"):
        if not isinstance(value, str):
            return _Problem("must be a path (a string)")
        if name == "chat_template" and not Path(value).expanduser().is_file():
            # Said here, once, like the CLI's usage error: a template that is not there would
            # otherwise leave every open-weight file without token counts.
            return _Problem(f"{value!r} is not a file (a .jinja chat template); the tokenizer's own template is used")
        return value
    if name == "max_seq_length":
        return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else \
            _Problem("must be a positive whole number of tokens")
    if name == "train_on":
        return value if value in TRAIN_ON else _Problem("must be " + ", ".join(TRAIN_ON))
    if name == "train_on_eos":
        return value if value in TRAIN_ON_EOS else _Problem("must be " + ", ".join(TRAIN_ON_EOS))
    if name == "roles_to_train":
        ok = isinstance(value, list) and value and all(isinstance(item, str) and item for item in value)
        return tuple(value) if ok else _Problem("must be a list of roles, such as [\"assistant\"]")
    return value if isinstance(value, bool) else _Problem("must be true or false")  # packing


def _snake(key: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in key)


def _check(name: str, value: object) -> object:
    """The value, converted, or a _Problem saying what is wrong with it."""
    if name in ("model", "catalog", "method") + _CONNECTION + _OPEN_WEIGHT and value in ("", None):
        return None
    if name in _OPEN_WEIGHT:
        return _check_open_weight(name, value)
    if name in ("model", "catalog", "validation_glob") + _CONNECTION:
        return value if isinstance(value, str) else _Problem("must be a string")
    if name == "method":
        return value if value in ("supervised", "dpo", "reinforcement") else \
            _Problem("must be supervised, dpo or reinforcement")
    if name == "provider":
        return value if value in ("openai", "azure", "compatible") else _Problem("must be openai, azure or compatible")
    if name == "epochs":
        if value in (None, "", "auto"):
            return None
        return value if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 50 else \
            _Problem("must be an integer from 1 to 50, or \"auto\"")
    if name == "azure_auth":
        return value if value in ("key", "entra") else _Problem("must be key or entra")
    if name == "training_type":
        if value in (None, ""):
            return None
        return value if value in TRAINING_TYPES else _Problem("must be " + ", ".join(TRAINING_TYPES))
    if name == "azure_deployments":
        ok = isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
        return dict(value) if ok else _Problem("must map model names to Azure deployment names")
    if name == "validation_pairs":
        ok = isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
        return dict(value) if ok else _Problem("must map training file paths to validation file paths")
    if name == "ignore":
        ok = isinstance(value, list) and all(isinstance(item, str) for item in value)
        return tuple(value) if ok else _Problem("must be a list of glob patterns")
    if name == "max_file_mb":
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0 else \
            _Problem("must be a positive number")
    if name == "inline_completion":
        return value if value in ("invoked", "automatic", "off") else _Problem("must be invoked, automatic or off")
    if name == "api_timeout":
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0 else \
            _Problem("must be a positive number of seconds")
    if name == "max_diagnostics":
        return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else \
            _Problem("must be a positive integer")
    if name == "privacy":
        return value if isinstance(value, bool) else _Problem("must be true or false")
    return _Problem("is not a setting")
