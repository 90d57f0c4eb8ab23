"""Every failure of a call becomes one sentence that says what happened and what to do,
with no secret in it."""

from __future__ import annotations

import json
import re

import openai

from finetune_ls.api.answers import MalformedAnswer
from finetune_ls.api.connection import MissingKey
from finetune_ls.api.entra import MissingExtra, SignInFailed

# Keys of OpenAI (sk-..., sk-proj-...) and look-alikes of other services, wherever a
# server or the SDK echoes them back (OpenAI's 401 message quotes the key's ends).
_KEY_LIKE = re.compile(r"\b(?:sk|rk|pk)-[A-Za-z0-9_\-*]{6,}")
# Bearer tokens (Entra ID access tokens are JWTs, "eyJ..."), wherever a server or a proxy
# echoes the Authorization header back.
_TOKEN_LIKE = re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}(?:\.[A-Za-z0-9_\-]*){0,2}|(?<=Bearer )[^\s\"',]{8,}", re.I)
_WIND_DOWN = re.compile(r"wind(?:ing)? down|no longer (?:available|possible|supported)|not (?:be )?eligible|"
                        r"deprecat|shut ?down|retired", re.I)


class Cancelled(Exception):
    """The user cancelled a long operation (an upload); what was made so far is in the ledger."""


def redact(text: str, *secrets: str | None) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted key]")
    return _TOKEN_LIKE.sub("[redacted token]", _KEY_LIKE.sub("[redacted key]", text))


def server_message(error: openai.APIStatusError) -> str:
    """The `error.message` OpenAI puts in its body, else the SDK's text."""
    body = error.body
    if isinstance(body, dict):
        inner = body.get("error") if isinstance(body.get("error"), dict) else body
        if isinstance(inner.get("message"), str) and inner["message"]:
            return inner["message"]
    return str(error.message or "")


def error_code(error: openai.APIStatusError) -> str | None:
    code = getattr(error, "code", None)
    if code:
        return str(code)
    body = error.body
    inner = body.get("error") if isinstance(body, dict) and isinstance(body.get("error"), dict) else body
    return str(inner.get("code")) if isinstance(inner, dict) and inner.get("code") else None


def explain(error: BaseException, service: str = "the API", *secrets: str | None) -> str:
    """One sentence for a failed call (or a missing key or sign-in), no key or token in it."""
    return redact(_explain(error, service), *secrets)


def _explain(error: BaseException, service: str) -> str:
    if isinstance(error, (MissingKey, MissingExtra)):
        return str(error)
    if isinstance(error, SignInFailed):
        text = str(error)
        return text if "az login" in text else f"{text.rstrip('.')}; sign in again (`az login`) and retry."
    if isinstance(error, Cancelled):
        return str(error) or "Cancelled."
    if isinstance(error, MalformedAnswer):
        return (f"{service} gave a malformed answer: {error}. Check that the base URL is an "
                "OpenAI-compatible API, and try again." + (f" {error.note}" if error.note else ""))
    if isinstance(error, json.JSONDecodeError):
        return (f"{service} answered with something that is not JSON ({error.msg} at character {error.pos}): "
                "check that the base URL is an OpenAI-compatible API (a proxy or a login page may have "
                "answered instead).")
    if isinstance(error, openai.APITimeoutError):
        return (f"{service} did not answer in time (after the SDK's retries); try again, or raise the "
                "timeout (--timeout, or the timeout setting) for big uploads.")
    if isinstance(error, openai.APIConnectionError):
        return (f"Could not connect to {service} ({_cause(error)}); check the base URL, the network or "
                "the proxy, and that the service is running.")
    if not isinstance(error, openai.APIStatusError):
        return f"{type(error).__name__}: {error}"
    status, said, code = error.status_code, server_message(error), error_code(error)
    if service.startswith("Azure"):
        return _explain_azure(status, said, code, service) or _explain_status(error, status, said, code, service)
    return _explain_status(error, status, said, code, service)


def _explain_azure(status: int, said: str, code: str | None, service: str) -> str | None:
    """Azure's own error texts (its codes: the authoring spec's ErrorCode, providers.md §1.5),
    or None where OpenAI's sentence fits as well."""
    quoted = f' Azure said: "{said}"' if said else ""
    if status == 401 and re.search(r"token", said, re.I):
        return (f"Microsoft Entra ID's token was refused by {service} (401): it has expired, or is for another "
                "tenant or audience; sign in again (`az login`) and retry, and check that your identity has the "
                f"Cognitive Services OpenAI User role on this resource.{quoted}")
    if status == 401 and re.search(r"\bkey\b", said, re.I):
        return (f"The Azure OpenAI key was refused by {service} (401): check it (AZURE_OPENAI_API_KEY, the key "
                "file, or Fine-tune: Set API Key in the editor) and that it is this resource's key, or sign in "
                f"with Microsoft Entra ID (--azure-auth entra).{quoted}")
    if status == 401:
        return (f"{service} refused the credential (401): check the key and that it is this resource's, or with "
                f"Microsoft Entra ID sign in again (`az login`).{quoted}")
    if code == "jsonlValidationFailed":
        return ("Azure could not validate the training data (jsonlValidationFailed): run `finetune-ls check` on "
                f"the file, fix what it reports, and upload it again.{quoted}")
    if code == "quotaExceeded":
        return ("Azure's quota is used up (quotaExceeded): jobs running or queued, files, or the training type's "
                "quota in this region; wait for a job to end, delete files you no longer need, try another training "
                f"type, or ask for more quota; retrying now will not help.{quoted}")
    if code == "invalidPayload":
        return ("Azure refused the request as invalid (invalidPayload): check the model, the training type and "
                f"that this resource's region offers fine-tuning of the model.{quoted}")
    if status == 404 and code == "DeploymentNotFound":
        return ("No such deployment on this resource (404 DeploymentNotFound): check the deployment's name "
                f"(--deployment MODEL=DEPLOYMENT) and that it has finished deploying.{quoted}")
    if status == 405:
        return (f"{service} does not offer this operation (405): the v1 API has more of them (leave out "
                f"--api-version, or the apiVersion setting).{quoted}")
    if status == 404:
        return (f"Not found (404) at {service}: check the id and the endpoint, and that this resource's region "
                f"offers the model (not every region trains or serves every model).{quoted}")
    if status == 403:
        return (f"Not allowed (403) at {service}: your identity needs a role on this resource (Cognitive Services "
                "OpenAI User or Foundry User to train, Cognitive Services OpenAI Contributor or Foundry Owner to "
                f"deploy), or the resource's network rules refuse this address.{quoted}")
    if status >= 500:
        return (f"{service} had a server error ({status}), still after the SDK's retries; try again later "
                f"(azure.status.microsoft shows outages).{quoted}")
    if said and _WIND_DOWN.search(said):  # Azure's dates are its own, later than OpenAI's
        return (f"Azure OpenAI no longer fine-tunes this model for you ({status}): its training retirement has "
                "passed, or it is deprecated and this subscription is not an existing customer of it; pick "
                f"another model (`finetune-ls check --provider azure` lists those still trained).{quoted}")
    return None


def _explain_status(error: openai.APIStatusError, status: int, said: str, code: str | None, service: str) -> str:
    quoted = f' {"Azure" if service.startswith("Azure") else "OpenAI"} said: "{said}"' if said else ""
    if status == 401:
        return ("The API key was refused (401): check it (OPENAI_API_KEY, the key file, or Fine-tune: Set "
                "API Key in the editor), and that it belongs to this organization and project." + quoted)
    if status == 403:
        return ("Not allowed (403): the key's project or role lacks access to this, or the request comes "
                "from an unsupported country or region." + quoted)
    if status == 404:
        return f"Not found (404): check the id, and that it belongs to this organization and project.{quoted}"
    if status == 429 and code == "insufficient_quota":
        return ("Out of credit (429 insufficient_quota): add credit or raise the usage limit in the "
                "organization's billing settings; retrying will not help." + quoted)
    if status == 429:
        wait = error.response.headers.get("retry-after") if error.response is not None else None
        return ("Rate limited (429), still after the SDK's retries: wait"
                + (f" {wait} s" if wait else " a minute") + " and try again." + quoted)
    if status >= 500:
        return (f"{service} had a server error ({status}), still after the SDK's retries; try again later "
                "(status.openai.com shows outages)." + quoted)
    if said and _WIND_DOWN.search(said):
        return ("OpenAI refused because fine-tuning is being wound down (no new jobs after 2027-01-06, and "
                f"earlier for some organizations and models).{quoted}")
    return f"The request was refused ({status}{' ' + code if code else ''}).{quoted}"


def _cause(error: BaseException) -> str:
    cause = error.__cause__ or error.__context__
    text = str(cause) if cause else str(error)
    if "refused" in text.lower():
        return "connection refused"
    return text.splitlines()[0][:200] if text else type(error).__name__
