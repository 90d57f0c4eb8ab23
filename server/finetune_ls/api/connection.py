"""Which service to call and with which credential: OpenAI (default), Azure OpenAI, or any
OpenAI-compatible base URL. The key comes from the editor at run time, else the SDK's
environment variables, else a key file; it is held in an object that never prints it.
On Azure the credential may instead be Microsoft Entra ID (api/entra.py): no key at all.

Azure has two faces (providers.md §1.5): the v1 API, `{endpoint}/openai/v1/`, generally
available, no api-version, the plain OpenAI client (the default here); and the dated
paths, `{endpoint}/openai/...?api-version=...`, through AzureOpenAI, used when an
api-version is asked for (--api-version, the apiVersion setting, OPENAI_API_VERSION)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import openai

PROVIDERS = ("openai", "azure", "compatible")
V1_PATH = "/openai/v1"


_AZURE_RESOURCE_DOMAINS = ("openai.azure.com", "services.ai.azure.com", "cognitiveservices.azure.com")


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

    def uses_entra(self) -> bool:
        return self.kind == "azure" and self.azure_auth == "entra"

    def azure_api_version(self, environ: dict[str, str] | None = None) -> str | None:
        """The dated api-version asked for, or None for the v1 API ("v1" asks for it too)."""
        environ = os.environ if environ is None else environ
        version = (self.api_version or environ.get("OPENAI_API_VERSION") or "").strip()
        return None if version.lower() in ("", "v1") else version

    def azure_root(self, environ: dict[str, str] | None = None) -> str:
        """The resource's endpoint (https://NAME.openai.azure.com), given with or without
        a trailing /openai/v1 (or /openai)."""
        environ = os.environ if environ is None else environ
        endpoint = (self.azure_endpoint or environ.get("AZURE_OPENAI_ENDPOINT") or "").strip().rstrip("/")
        if not endpoint:
            raise ValueError("Azure OpenAI needs its endpoint: --azure-endpoint, the azureEndpoint setting, or "
                             "AZURE_OPENAI_ENDPOINT (https://NAME.openai.azure.com)")
        for tail in (V1_PATH, "/openai"):
            if endpoint.lower().endswith(tail):
                endpoint = endpoint[:-len(tail)]
        return endpoint

    def azure_account(self) -> str | None:
        """The resource's name as the endpoint's host says it (NAME.openai.azure.com, or
        NAME.services.ai.azure.com, NAME.cognitiveservices.azure.com), else None."""
        try:
            host = urlsplit(self.azure_root()).hostname or ""
        except ValueError:
            return None
        name, _, domain = host.partition(".")
        return name if domain in _AZURE_RESOURCE_DOMAINS and name else None


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
    entra = (" Or sign in with Microsoft Entra ID instead of a key (--azure-auth entra, or the azureAuth setting)."
             if provider.kind == "azure" else "")
    raise MissingKey(f"No API key: set {variable}, give a key file (--key-file, or the keyFile setting), "
                     f"or set one in the editor (Fine-tune: Set API Key).{entra}")


class EntraTokens:
    """Microsoft Entra ID tokens, a callable the SDK asks before each request. Tokens are
    secrets like keys: each one handed out is remembered, so that a failure that echoes
    one (a proxy's 401 quoting the Authorization header) can be redacted."""

    __slots__ = ("_provider", "_issued")
    source = "Microsoft Entra ID"

    def __init__(self, provider: Callable[[], str]):
        self._provider, self._issued = provider, []

    def __call__(self) -> str:
        token = self._provider()
        if token not in self._issued:
            self._issued = [*self._issued[-7:], token]  # a refreshed token adds one; a few are plenty
        return token

    def issued(self) -> tuple[str, ...]:
        return tuple(self._issued)

    def __repr__(self) -> str:
        return "EntraTokens(DefaultAzureCredential)"

    __str__ = __repr__


def resolve_credential(provider: Provider, runtime_key: str | None = None) -> ApiKey | EntraTokens:
    """An API key, or with Entra ID (Azure) a token source: then no key is looked for at
    all. Raises entra.MissingExtra without azure-identity; sign-in problems show at the
    first request (entra.SignInFailed), as the token is fetched then."""
    if provider.uses_entra():
        from finetune_ls.api import entra
        return EntraTokens(entra.token_provider(entra.DATA_SCOPE))
    return resolve_key(provider, runtime_key)


def make_client(provider: Provider, credential: ApiKey | EntraTokens) -> openai.OpenAI:
    """The SDK's client for the provider. Unset options fall back to the SDK's own
    environment variables (OPENAI_BASE_URL, OPENAI_ORG_ID, OPENAI_PROJECT_ID, ...)."""
    import openai  # here: the SDK takes ~0.5 s to import, which `check` and the server need not pay

    common = dict(organization=provider.organization, project=provider.project, timeout=provider.timeout,
                  max_retries=provider.max_retries)
    if provider.kind == "azure":
        return _azure_client(openai, provider, credential, common)
    if provider.kind == "compatible" and not (provider.base_url or os.environ.get("OPENAI_BASE_URL")):
        raise ValueError("an OpenAI-compatible provider needs a base URL (--base-url or the baseUrl setting)")
    return openai.OpenAI(base_url=provider.base_url, api_key=credential.reveal(), **common)


def _azure_client(openai, provider: Provider, credential: ApiKey | EntraTokens, common: dict) -> openai.OpenAI:
    root, version = provider.azure_root(), provider.azure_api_version()
    if version is not None:  # the dated paths: {endpoint}/openai/...?api-version=...
        auth = (dict(azure_ad_token_provider=credential) if isinstance(credential, EntraTokens)
                else dict(api_key=credential.reveal()))  # sent as `api-key`
        return openai.AzureOpenAI(azure_endpoint=root, api_version=version, **auth, **common)
    # The v1 API. Microsoft's Python example passes the key as OpenAI(api_key=...), which
    # the SDK sends as `Authorization: Bearer`; its REST examples and the v1 spec send an
    # `api-key` header: both go, so either way the service finds it. An Entra token goes
    # as the bearer alone (the SDK calls the token source before each request).
    # Redirects are not followed: httpx drops `Authorization` when one leads to another host,
    # but not `api-key`, which would go wherever a redirect pointed.
    unredirected = openai.DefaultHttpxClient(follow_redirects=False)
    if isinstance(credential, EntraTokens):
        return openai.OpenAI(base_url=f"{root}{V1_PATH}/", api_key=credential, http_client=unredirected, **common)
    key = credential.reveal()
    return openai.OpenAI(base_url=f"{root}{V1_PATH}/", api_key=key, default_headers={"api-key": key},
                         http_client=unredirected, **common)


@dataclass
class Connection:
    """A client, and what its failures may name (where it calls) and must hide (the key,
    or every Entra token handed out so far)."""
    client: openai.OpenAI
    credential: ApiKey | EntraTokens
    service: str

    def secrets(self) -> tuple[str, ...]:
        if isinstance(self.credential, EntraTokens):
            return self.credential.issued()
        return (self.credential.reveal(),)

    @property
    def secret(self) -> str:
        return next(iter(self.secrets()), "")

    def context(self) -> tuple[str, ...]:
        return (self.service, *self.secrets())

    def __repr__(self) -> str:
        return f"Connection({self.service})"


def connect(provider: Provider, runtime_key: str | None = None) -> Connection:
    credential = resolve_credential(provider, runtime_key)
    client = make_client(provider, credential)
    return Connection(client, credential, service_description(provider, client))


def on_dated_azure(client: object) -> bool:
    """Whether the client calls Azure's dated api-version paths, whose older versions
    (2024-10-21) lack some of OpenAI's arguments: `limit` on the file list, `metadata`."""
    return type(client).__name__ == "AzureOpenAI"


def service_description(provider: Provider, client: openai.OpenAI) -> str:
    """Where requests go, for messages: on Azure, which of its APIs too."""
    where = service_name(client)
    if provider.kind != "azure":
        return where
    version = provider.azure_api_version()
    if version is None:
        return f"Azure OpenAI v1 API at {where}"
    return f"Azure OpenAI api-version {version} at {where}"


def service_name(client: openai.OpenAI) -> str:
    """Where requests go, for messages (no credentials: only scheme, host and path)."""
    url = client.base_url
    return f"{url.scheme}://{url.host}{':' + str(url.port) if url.port else ''}{url.path.rstrip('/')}"
