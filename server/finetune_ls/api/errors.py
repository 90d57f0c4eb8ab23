"""Every failure of a call becomes one sentence that says what happened and what to do,
with no secret in it."""

from __future__ import annotations

import json
import re

import openai

from finetune_ls.api.answers import MalformedAnswer
from finetune_ls.api.connection import MissingKey

# Keys of OpenAI (sk-..., sk-proj-...) and look-alikes of other services, wherever a
# server or the SDK echoes them back (OpenAI's 401 message quotes the key's ends).
_KEY_LIKE = re.compile(r"\b(?:sk|rk|pk)-[A-Za-z0-9_\-*]{6,}")
_WIND_DOWN = re.compile(r"wind(?:ing)? down|no longer (?:available|possible|supported)|not (?:be )?eligible|"
                        r"deprecat|shut ?down|retired", re.I)


class Cancelled(Exception):
    """The user cancelled a long operation (an upload); what was made so far is in the ledger."""


def redact(text: str, *secrets: str | None) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted key]")
    return _KEY_LIKE.sub("[redacted key]", text)


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


def explain(error: BaseException, service: str = "the API", secret: str | None = None) -> str:
    """One sentence for a failed call (or a missing key), the key never in it."""
    return redact(_explain(error, service), secret)


def _explain(error: BaseException, service: str) -> str:
    if isinstance(error, MissingKey):
        return str(error)
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
    quoted = f' OpenAI said: "{said}"' if said else ""
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
