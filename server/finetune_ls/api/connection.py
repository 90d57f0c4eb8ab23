"""Which service to call and with which key: OpenAI (default), Azure OpenAI, or any
OpenAI-compatible base URL. The key comes from the editor at run time, else the SDK's
environment variables, else a key file; it is held in an object that never prints it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import openai

PROVIDERS = ("openai", "azure", "compatible")


class MissingKey(Exception):
    """No API key anywhere: the message says where one can be given."""


class ApiKey:
    """A secret: usable by the client, shown nowhere (repr, str, logs, exceptions)."""

    __slots__ = ("_value", "source")

    def __init__(self, value: str, source: str):
        self._value, self.source = value, source

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"ApiKey(from {self.source})"

    __str__ = __repr__


@dataclass(frozen=True)
class Provider:
    kind: str = "openai"
    base_url: str | None = None  # openai/compatible; None: the SDK's OPENAI_BASE_URL or api.openai.com
    azure_endpoint: str | None = None  # azure; None: AZURE_OPENAI_ENDPOINT
    api_version: str | None = None  # azure; None: OPENAI_API_VERSION
    azure_auth: str = "key"  # azure: "key" or "entra" (Microsoft Entra ID, api/entra.py)
    organization: str | None = None  # None: OPENAI_ORG_ID
    project: str | None = None  # None: OPENAI_PROJECT_ID
    key_file: str | None = None
    deployments: tuple[tuple[str, str], ...] = ()  # azure: (model, deployment) for inference
    timeout: float = 600.0  # the SDK's default
    max_retries: int = 2  # the SDK's default: connection errors, timeouts, 408, 409, 429, 5xx

    def deployment(self, model: str) -> str:
        """What a request names as its model: on Azure, the model's deployment (when one is
        given; else the name as it is, which may be a deployment name already)."""
        if self.kind != "azure":
            return model
        return dict(self.deployments).get(model, model)

    def key_variable(self) -> str:
        return "AZURE_OPENAI_API_KEY" if self.kind == "azure" else "OPENAI_API_KEY"


def resolve_key(provider: Provider, runtime_key: str | None = None,
                environ: dict[str, str] | None = None) -> ApiKey:
    """The key from, in order: the editor (runtime), the environment, the key file."""
    environ = os.environ if environ is None else environ
    if runtime_key:
        return ApiKey(runtime_key.strip(), "the editor")
    variable = provider.key_variable()
    if environ.get(variable, "").strip():
        return ApiKey(environ[variable].strip(), variable)
    if provider.key_file:
        path = os.path.expanduser(provider.key_file)
        try:
            with open(path, encoding="utf-8") as handle:
                key = next((line.strip() for line in handle if line.strip()), "")
        except OSError as error:
            raise MissingKey(f"The key file {path} could not be read ({error.strerror}).") from None
        if key:
            return ApiKey(key, f"the key file {path}")
        raise MissingKey(f"The key file {path} is empty.")
    raise MissingKey(f"No API key: set {variable}, give a key file (--key-file, or the keyFile setting), "
                     "or set one in the editor (Fine-tune: Set API Key).")


def make_client(provider: Provider, key: ApiKey) -> openai.OpenAI:
    """The SDK's client for the provider. Unset options fall back to the SDK's own
    environment variables (OPENAI_BASE_URL, OPENAI_ORG_ID, OPENAI_PROJECT_ID, ...)."""
    import openai  # here: the SDK takes ~0.5 s to import, which `check` and the server need not pay

    common = dict(api_key=key.reveal(), organization=provider.organization, project=provider.project,
                  timeout=provider.timeout, max_retries=provider.max_retries)
    if provider.kind == "azure":
        return openai.AzureOpenAI(azure_endpoint=provider.azure_endpoint, api_version=provider.api_version,
                                  **common)
    if provider.kind == "compatible" and not (provider.base_url or os.environ.get("OPENAI_BASE_URL")):
        raise ValueError("an OpenAI-compatible provider needs a base URL (--base-url or the baseUrl setting)")
    return openai.OpenAI(base_url=provider.base_url, **common)


@dataclass
class Connection:
    """A client, and what its failures may name (where it calls) and must hide (the key)."""
    client: openai.OpenAI
    secret: str
    service: str

    def context(self) -> tuple[str, str]:
        return self.service, self.secret

    def __repr__(self) -> str:
        return f"Connection({self.service})"


def connect(provider: Provider, runtime_key: str | None = None) -> Connection:
    key = resolve_key(provider, runtime_key)
    client = make_client(provider, key)
    return Connection(client, key.reveal(), service_name(client))


def service_name(client: openai.OpenAI) -> str:
    """Where requests go, for messages (no credentials: only scheme, host and path)."""
    url = client.base_url
    return f"{url.scheme}://{url.host}{':' + str(url.port) if url.port else ''}{url.path.rstrip('/')}"
