"""Azure OpenAI's shape of the same API, so the fake also serves an AzureOpenAI client:
paths under /openai (with an api-version query), inference under
/openai/deployments/{deployment}/..., where the deployment stands for the model, and the
key in an `api-key` header."""

from __future__ import annotations

import dataclasses
import json
import re

from .routing import Request

_DEPLOYMENT = re.compile(r"^/openai/deployments/(?P<name>[^/]+)(?P<rest>/.*)$")


def as_openai(request: Request) -> Request:
    """The request as the OpenAI API would have received it (unchanged if it is one)."""
    if not request.path.startswith("/openai/"):
        return request
    deployment = _DEPLOYMENT.match(request.path)
    if deployment is None:
        return dataclasses.replace(request, path="/v1" + request.path[len("/openai"):])
    body = request.body
    try:
        value = json.loads(body) if body else None
    except ValueError:
        value = None
    if isinstance(value, dict):
        body = json.dumps({**value, "model": deployment.group("name")}).encode()
    return dataclasses.replace(request, path="/v1" + deployment.group("rest"), body=body)


def key_of(request: Request) -> str | None:
    return request.headers.get("api-key")
