"""Requests, responses and the route table, free of any HTTP machinery.

Routes are plain functions `(state, request) -> Response | dict`, so each API
module reads as a list of endpoints and can be tested without sockets.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from .errors import ApiError, missing_parameter
from .multipart import UploadedFile, parse_form


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes = b""
    path_params: dict[str, str] = field(default_factory=dict)
    azure: str | None = None  # which of Azure's APIs it came by: "v1", "dated", or None (OpenAI's)
    _json: Any = None
    _form: tuple[dict[str, str], dict[str, UploadedFile]] | None = None

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def json(self) -> Any:
        """The JSON body, or None when the body is empty or not JSON."""
        if self._json is None and self.body and "json" in self.content_type:
            try:
                self._json = json.loads(self.body)
            except ValueError as error:
                raise ApiError(400, f"We could not parse the JSON body of your request. ({error})") from None
        return self._json

    def form(self) -> tuple[dict[str, str], dict[str, UploadedFile]]:
        if self._form is None:
            self._form = parse_form(self.content_type, self.body)
        return self._form

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def int_arg(self, name: str, default: int, low: int, high: int) -> int:
        raw = self.arg(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ApiError(400, f"Invalid '{name}': expected an integer, got '{raw}'.", param=name) from None
        if not low <= value <= high:
            raise ApiError(
                400, f"Invalid '{name}': {value} is outside {low}..{high}.", param=name, code="integer_out_of_range"
            )
        return value

    def body_object(self) -> dict[str, Any]:
        body = self.json()
        if not isinstance(body, dict):
            raise ApiError(400, "The request body must be a JSON object.")
        return body

    def require(self, body: dict[str, Any], name: str) -> Any:
        if body.get(name) in (None, ""):
            raise missing_parameter(name)
        return body[name]


@dataclass
class Response:
    body: Any = None  # JSON-able, or bytes sent as they are
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"

    def encode(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body).encode("utf-8")


Handler = Callable[[Any, Request], "Response | dict[str, Any]"]


class Router:
    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def add(self, method: str, template: str, handler: Handler) -> None:
        """`template` names path parameters in braces: /v1/files/{file_id}."""
        pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
        self._routes.append((method, re.compile(f"^{pattern}$"), handler))

    def dispatch(self, state: Any, request: Request) -> Response:
        for method, pattern, handler in self._routes:
            match = pattern.match(request.path)
            if match and method == request.method:
                request.path_params = {key: unquote(value) for key, value in match.groupdict().items()}
                result = handler(state, request)
                return result if isinstance(result, Response) else Response(result)
        # The live API answers both unknown paths and wrong methods this way.
        raise ApiError(404, f"Invalid URL ({request.method} {request.path})")


def cursor_page(items: list[dict[str, Any]], after: str | None, limit: int) -> tuple[list[dict[str, Any]], bool]:
    """The slice after the item whose id is `after`, and whether more follow."""
    start = 0
    if after:
        ids = [item["id"] for item in items]
        if after not in ids:
            raise ApiError(400, f"Invalid 'after': no object with id '{after}' in this list.", param="after")
        start = ids.index(after) + 1
    page = items[start : start + limit]
    return page, start + limit < len(items)


def list_body(page: list[dict[str, Any]], has_more: bool, *, with_ids: bool) -> dict[str, Any]:
    """The list envelope; `first_id`/`last_id` only where the spec has them."""
    body: dict[str, Any] = {"object": "list", "data": page, "has_more": has_more}
    if with_ids:
        body["first_id"] = page[0]["id"] if page else None
        body["last_id"] = page[-1]["id"] if page else None
    return body
