"""Microsoft Entra ID sign-in for Azure: a token provider built on azure-identity's
DefaultAzureCredential (the Azure CLI login, a managed identity, environment credentials,
...), for the data plane (the OpenAI SDK takes it as its api_key) and for the management
API (deployments). azure-identity is an extra: `pip install 'finetune-ls[azure]'`.

Tokens are secrets like keys: they are never logged, and errors that might carry one are
redacted by the callers (api/errors.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable

# The data plane's scope (Microsoft's v1 API page, providers.md §1.5) and the public
# cloud's management endpoint; a sovereign cloud's management scope is its endpoint's.
DATA_SCOPE = "https://ai.azure.com/.default"
PUBLIC_MANAGEMENT_ENDPOINT = "https://management.azure.com"
EXTRA = "finetune-ls[azure]"


class MissingExtra(Exception):
    """A feature needs an optional dependency that is not installed; says which extra."""


class SignInFailed(Exception):
    """No Entra token could be had; the message says what the credentials said, in one sentence."""


def management_scope(endpoint: str | None) -> str:
    return f"{(endpoint or PUBLIC_MANAGEMENT_ENDPOINT).rstrip('/')}/.default"


def _identity():
    try:
        import azure.identity as identity
    except ImportError:
        raise MissingExtra(f"Microsoft Entra ID sign-in needs azure-identity: pip install '{EXTRA}'.") from None
    # azure-identity logs each failed credential as a multi-line warning, which Python's
    # last-resort handler would print on stderr: the one sentence of SignInFailed says it.
    logging.getLogger("azure").addHandler(logging.NullHandler())
    return identity


_credential = None


def credential():
    """One DefaultAzureCredential per process: it caches tokens until they near expiry."""
    global _credential
    if _credential is None:
        _credential = _identity().DefaultAzureCredential()
    return _credential


def token_provider(scope: str) -> Callable[[], str]:
    """A callable that returns a fresh bearer token for the scope (refreshed as it nears
    expiry), raising SignInFailed with one sentence when no credential gives one."""
    identity = _identity()
    inner = identity.get_bearer_token_provider(credential(), scope)

    def token() -> str:
        try:
            return inner()
        except identity.CredentialUnavailableError as error:
            raise SignInFailed(f"No Microsoft Entra ID credential is available for {scope}: sign in with "
                               f"`az login`, or run where a managed identity or AZURE_CLIENT_ID/AZURE_TENANT_ID/"
                               f"AZURE_CLIENT_SECRET are set ({_first_line(error)}).") from None
        except Exception as error:  # noqa: BLE001 - ClientAuthenticationError and the like, as one sentence
            if type(error).__name__ in ("ClientAuthenticationError", "AuthenticationRequiredError"):
                raise SignInFailed(f"Microsoft Entra ID refused a token for {scope}: {_first_line(error)}") from None
            raise
    return token


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def forget_credential() -> None:
    """Drop the cached credential (tests; and after a sign-in change in the editor)."""
    global _credential
    _credential = None
