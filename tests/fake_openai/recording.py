"""What tests may read back about each request, with every credential removed.

The API key must never leave the fake (not in bodies, logs or this record),
so credential headers are blanked and the presented key is scrubbed from
anything the client sent, should it appear there too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

REDACTED = "<redacted>"
CREDENTIAL_HEADERS = {"authorization", "api-key", "x-api-key", "openai-api-key", "cookie", "proxy-authorization"}


@dataclass
class RecordedFile:
    filename: str
    content_type: str
    size: int


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names, credentials redacted
    json: Any = None
    form: dict[str, str] = field(default_factory=dict)
    files: dict[str, RecordedFile] = field(default_factory=dict)
    status: int | None = None  # filled in once answered
    wire_path: str = ""  # the path as sent (Azure's /openai/v1/... or /openai/...), before the fake maps it

    @property
    def route(self) -> str:
        return f"{self.method} {self.path}"


def scrub(value: Any, secret: str | None) -> Any:
    """`value` with `secret` replaced wherever it occurs in a string."""
    if not secret:
        return value
    if isinstance(value, str):
        return value.replace(secret, REDACTED)
    if isinstance(value, list):
        return [scrub(item, secret) for item in value]
    if isinstance(value, dict):
        return {scrub(key, secret): scrub(item, secret) for key, item in value.items()}
    return value


def redact_headers(headers: dict[str, str], secret: str | None) -> dict[str, str]:
    return {name: (REDACTED if name in CREDENTIAL_HEADERS else scrub(value, secret)) for name, value in headers.items()}


def bearer_token(headers: dict[str, str]) -> str | None:
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None
