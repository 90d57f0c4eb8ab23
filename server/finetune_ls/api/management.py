"""Azure's management API (Azure Resource Manager), for the deployments of an Azure OpenAI /
Foundry resource: a small REST client with a Microsoft Entra ID bearer token (the
management API takes no API key), ARM's error bodies turned into one sentence, and the
polling of a long-running create until its provisioningState ends.

The operations are those of Microsoft.CognitiveServices 2026-07-01 (providers.md §1.6):
PUT/GET/DELETE …/accounts/{account}/deployments/{name} and GET …/deployments."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from finetune_ls.api import entra
from finetune_ls.api.errors import Cancelled, redact

try:  # the openai SDK's transport: httpx2 in openai 3, httpx before
    import httpx2 as httpx
except ImportError:  # pragma: no cover - older SDKs
    import httpx  # type: ignore[no-redef]

API_VERSION = "2026-07-01"
ENDED = ("Succeeded", "Failed", "Canceled")
# Seconds between polls when the service names none (Retry-After), and how long a create
# or delete is followed before handing back (it goes on in Azure; `deployments list` shows it).
POLL_SECONDS = float(os.environ.get("FINETUNE_LS_DEPLOY_POLL_SECONDS", "5"))
WAIT_SECONDS = float(os.environ.get("FINETUNE_LS_DEPLOY_WAIT_SECONDS", "3600"))

# Where the resource comes from: (field, flag, setting, environment variable).
_SOURCES = (("subscription", "--subscription", "azureSubscription", "AZURE_SUBSCRIPTION_ID"),
            ("resource_group", "--resource-group", "azureResourceGroup", "AZURE_RESOURCE_GROUP"),
            ("account", "--account", "azureAccount", "AZURE_OPENAI_ACCOUNT"))


class AzureProblem(Exception):
    """A failure of a management call or of its set-up, as one sentence for the user."""


class MissingResource(AzureProblem):
    """The subscription, resource group or account is not given anywhere."""


class ManagementError(AzureProblem):
    def __init__(self, message: str, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.status, self.code = status, code


class Unanswered(AzureProblem):
    """A request got no answer (a time-out, a dropped connection): it may have been carried out."""

    def __init__(self, message: str, sent: bool):
        super().__init__(message)
        self.sent = sent  # False when the connection was never made: nothing can have happened


@dataclass(frozen=True)
class AzureResource:
    subscription: str
    resource_group: str
    account: str
    management_endpoint: str = entra.PUBLIC_MANAGEMENT_ENDPOINT

    def deployments_url(self, name: str | None = None) -> str:
        url = (f"{self.management_endpoint.rstrip('/')}/subscriptions/{quote(self.subscription, safe='')}"
               f"/resourceGroups/{quote(self.resource_group, safe='')}/providers/Microsoft.CognitiveServices"
               f"/accounts/{quote(self.account, safe='')}/deployments")
        return url + (f"/{quote(name, safe='')}" if name is not None else "")


def resource_from(subscription: str | None = None, resource_group: str | None = None, account: str | None = None,
                  management_endpoint: str | None = None, environ: Mapping[str, str] | None = None) -> AzureResource:
    """The resource from flags or settings (given), else the environment; MissingResource
    names the flag, the setting and the variable of each one missing."""
    environ = os.environ if environ is None else environ
    given = {"subscription": subscription, "resource_group": resource_group, "account": account}
    values, missing = {}, []
    for field, flag, setting, variable in _SOURCES:
        value = (given[field] or environ.get(variable, "")).strip()
        if value:
            values[field] = value
        else:
            missing.append(f"the {field.replace('_', ' ')} ({flag}, the {setting} setting or {variable})")
    if missing:
        raise MissingResource(f"Deployments are made through Azure's management API, which needs "
                              f"{_and(missing)} of the Azure OpenAI resource.")
    endpoint = (management_endpoint or environ.get("AZURE_MANAGEMENT_ENDPOINT", "")
                or entra.PUBLIC_MANAGEMENT_ENDPOINT).strip().rstrip("/")
    parts = urlsplit(endpoint)
    # The bearer token goes there: only over TLS, but for a local test server.
    if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")):
        raise MissingResource(f"The management endpoint must be an https:// URL (--management-endpoint, the "
                              f"azureManagementEndpoint setting or AZURE_MANAGEMENT_ENDPOINT), not {endpoint!r}.")
    return AzureResource(**values, management_endpoint=endpoint)


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def management_token(resource: AzureResource, azure_auth: str = "entra") -> Callable[[str], str]:
    """A bearer-token source for the resource's management endpoint. With key auth the
    sign-in is tried all the same (an `az login` may be there), and a failure says that
    the management API takes no API key."""
    note = (" Deployments go through Azure's management API, which takes no API key: they need Microsoft Entra "
            "ID sign-in (`az login`, a managed identity or AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET).")
    try:
        provider = entra.token_provider(entra.management_scope(resource.management_endpoint))
    except entra.MissingExtra as error:
        raise AzureProblem(str(error) + (note if azure_auth != "entra" else "")) from None

    def token(_url: str) -> str:
        try:
            return provider()
        except entra.SignInFailed as error:
            raise AzureProblem(str(error) + (note if azure_auth != "entra" else "")) from None
    return token


@dataclass
class Answer:
    status: int
    headers: Mapping[str, str]
    body: object


class ManagementClient:
    """Calls under one resource's deployments; every failure is an AzureProblem sentence
    without the token in it."""

    def __init__(self, resource: AzureResource, token: Callable[[str], str], timeout: float = 60.0,
                 api_version: str = API_VERSION):
        self.resource, self._token, self.api_version = resource, token, api_version
        self._http = httpx.Client(timeout=timeout, follow_redirects=False)
        self._last_token: str | None = None
        # From the last create's answer: where its operation is followed, and when to look first.
        self.last_operation_url: str | None = None
        self.first_poll: float | None = None

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ManagementClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def where(self) -> str:
        resource = self.resource
        return f"the deployments of {resource.account} (Azure's management API at {resource.management_endpoint})"

    # -- operations ------------------------------------------------------------
    def get_deployment(self, name: str) -> dict | None:
        answer = self.call("GET", self.resource.deployments_url(name), missing_ok=True)
        return answer.body if answer.status != 404 and isinstance(answer.body, dict) else None

    def list_deployments(self) -> list[dict]:
        found, url = [], self.resource.deployments_url()
        for _page in range(100):  # nextLink pages, bounded
            body = self.call("GET", url).body
            # The spec makes `value` optional (absent: none); another type is not ARM's list at all.
            items = body.get("value", []) if isinstance(body, dict) else None
            if not isinstance(items, list):  # say so rather than show "no deployments"
                raise ManagementError(f"{self.where} answered a list without its items (no \"value\" array): "
                                      "is --management-endpoint Azure's management API?", 200, "MalformedAnswer")
            found += [item for item in items if isinstance(item, dict)]
            url = body.get("nextLink")
            if not isinstance(url, str) or not self._same_origin(url):  # the token goes only where it belongs
                break
        return found

    def put_deployment(self, name: str, body: dict) -> Answer:
        return self.call("PUT", self.resource.deployments_url(name), body=body, retries=0)

    def delete_deployment(self, name: str) -> Answer:
        return self.call("DELETE", self.resource.deployments_url(name), missing_ok=True)

    def operation_error(self, url: str | None) -> str | None:
        """The error message of a failed long-running operation (Azure-AsyncOperation), if any."""
        if not url or not self._same_origin(url):
            return None
        try:
            body = self.call("GET", url, with_version=False).body
        except AzureProblem:
            return None
        error = body.get("error") if isinstance(body, dict) else None
        return arm_message(error) if isinstance(error, dict) else None

    # -- the HTTP call ------------------------------------------------------------
    def call(self, method: str, url: str, *, body: dict | None = None, missing_ok: bool = False,
             retries: int = 2, with_version: bool = True) -> Answer:
        """One request (idempotent ones retried on a dropped connection, 429 and 5xx,
        after Retry-After); an ARM error answer is a ManagementError."""
        params = {"api-version": self.api_version} if with_version and "api-version=" not in url else None
        for attempt in range(retries + 1):
            token = self._token(url)
            self._last_token = token
            try:
                response = self._http.request(method, url, params=params, json=body,
                                              headers={"Authorization": f"Bearer {token}"})
            except httpx.TransportError as error:
                sent = not isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout))
                if attempt < retries:
                    time.sleep(min(8.0, 0.5 * 2 ** attempt))
                    continue
                raise Unanswered(self._redact(f"{self.where} did not answer the {method} "
                                              f"({_transport_cause(error)})."), sent) from None
            if (response.status_code == 429 or response.status_code >= 500) and attempt < retries:
                time.sleep(retry_after(response.headers, min(8.0, 0.5 * 2 ** attempt), maximum=30.0))
                continue
            break
        parsed = _json(response)
        if response.status_code == 404 and missing_ok:
            return Answer(404, response.headers, parsed)
        if response.status_code >= 400:
            raise self._error(response.status_code, parsed, method)
        return Answer(response.status_code, response.headers, parsed)

    def _error(self, status: int, body: object, method: str) -> ManagementError:
        error = body.get("error") if isinstance(body, dict) and isinstance(body.get("error"), dict) else {}
        code = str(error.get("code") or "") or None
        return ManagementError(self._redact(explain_arm(status, code, arm_message(error), self.resource)), status, code)

    def _same_origin(self, url: str) -> bool:
        mine, theirs = urlsplit(self.resource.management_endpoint), urlsplit(url)
        return (mine.scheme, mine.netloc) == (theirs.scheme, theirs.netloc)

    def _redact(self, text: str) -> str:
        return redact(text, self._last_token)


def _json(response) -> object:
    try:
        return response.json() if response.content else None
    except ValueError:
        return None


def _transport_cause(error: Exception) -> str:
    name = type(error).__name__
    if "Timeout" in name:
        return "timed out"
    text = str(error).splitlines()[0][:160] if str(error) else name
    return "connection refused" if "refused" in text.lower() else text


def retry_after(headers: Mapping[str, str], default: float, maximum: float = 60.0) -> float:
    """Seconds the service asks to wait (Retry-After in seconds), within [0.05, maximum]."""
    try:
        seconds = float(headers.get("retry-after", ""))
    except ValueError:
        seconds = default
    return max(0.05, min(maximum, seconds if seconds == seconds else default))


def arm_message(error: dict) -> str:
    """ARM's message, with the first inner detail's when it adds one."""
    message = str(error.get("message") or "").strip()
    details = error.get("details")
    if isinstance(details, list) and details and isinstance(details[0], dict):
        inner = str(details[0].get("message") or "").strip()
        if inner and inner not in message:
            message = f"{message} ({inner})" if message else inner
    return message


def explain_arm(status: int, code: str | None, message: str, resource: AzureResource) -> str:
    """One sentence for an ARM error answer."""
    said = f' Azure said: "{message}"' if message else ""
    lowered = (code or "").lower()
    if status == 401:
        why = " as expired" if "expired" in lowered or "expired" in message.lower() else ""
        return (f"Azure's management API refused the Microsoft Entra ID token{why} (401{' ' + code if code else ''}):"
                f" sign in again (`az login`) and try again.{said}")
    if status == 403:
        return ("Not allowed (403): deploying needs the Cognitive Services OpenAI Contributor or Foundry Owner role "
                f"(Microsoft.CognitiveServices/accounts/deployments/write) on {resource.account}.{said}")
    if "quota" in lowered or "quota" in message.lower():
        return (f"No quota for this deployment ({status} {code or 'quota'}): ask for more quota for the SKU in the "
                f"account's region, delete a deployment, or choose another SKU (Developer needs none of the "
                f"Standard quota).{said}")
    if "notsupported" in lowered or "not supported" in message.lower() or "not available" in message.lower():
        return (f"The account's region does not offer this model with this SKU ({status} {code or 'not supported'}): "
                f"choose another SKU, or deploy from a resource in a region that offers it (providers.md lists "
                f"them).{said}")
    if status == 404:
        return (f"Not found (404{' ' + code if code else ''}): check the subscription, resource group and account "
                f"({resource.subscription}, {resource.resource_group}, {resource.account}).{said}")
    if status == 429:
        return f"Azure's management API is rate limiting (429), still after retries: wait a minute and try again.{said}"
    if status >= 500:
        return f"Azure's management API had a server error ({status}), still after retries: try again later.{said}"
    return f"Azure refused the request ({status}{' ' + code if code else ''}).{said}"


def provisioning_state(deployment: dict | None) -> str | None:
    properties = deployment.get("properties") if isinstance(deployment, dict) else None
    state = properties.get("provisioningState") if isinstance(properties, dict) else None
    return state if isinstance(state, str) else None


def wait_until_ended(client: ManagementClient, name: str, *, first_wait: float | None = None,
                     on_state: Callable[[str], None] | None = None, cancelled: Callable[[], bool] | None = None,
                     timeout: float | None = None, sleep: Callable[[float], None] = time.sleep) -> dict | None:
    """Poll the deployment until its provisioningState is Succeeded, Failed or Canceled (or
    it is gone: None); `on_state` hears each new state. Cancelled when the user stops
    waiting; after `timeout` the deployment as it is then."""
    deadline = time.monotonic() + (WAIT_SECONDS if timeout is None else timeout)
    pause = POLL_SECONDS if first_wait is None else first_wait
    last = None
    while True:
        if cancelled is not None and cancelled():
            raise Cancelled(f"Stopped waiting for the deployment {name}; Azure goes on with it (the ledger has it: "
                            "`finetune-ls deployments list` shows its state).")
        _sleep_checking(min(pause, max(0.0, deadline - time.monotonic())), cancelled, sleep)
        answer = client.call("GET", client.resource.deployments_url(name), missing_ok=True)
        current = answer.body if answer.status != 404 and isinstance(answer.body, dict) else None
        state = provisioning_state(current) if current is not None else "Deleted"
        if state != last and on_state is not None:
            on_state(state or "unknown")
        last = state
        if current is None or state in ENDED or time.monotonic() >= deadline:
            return current
        pause = retry_after(answer.headers, POLL_SECONDS, maximum=60.0) if "retry-after" in answer.headers \
            else POLL_SECONDS


def _sleep_checking(seconds: float, cancelled: Callable[[], bool] | None, sleep: Callable[[float], None]) -> None:
    """Sleep in short steps, so a cancel is heard soon."""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        if cancelled is not None and cancelled():
            return
        sleep(min(left, 0.25))
