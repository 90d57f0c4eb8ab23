"""Errors in OpenAI's wire shape: {"error": {"message", "type", "param", "code"}}.

The SDK picks its exception class from the status code alone, but clients
(ours included) branch on `code` (rate_limit_exceeded vs insufficient_quota),
so the bodies copy what the live API sends for each case.
"""

from __future__ import annotations

from typing import Any

# What the live API answers per status when a test injects a failure without
# its own body. 429 has two faces: too many requests, or out of credit.
_DEFAULTS: dict[tuple[int, str | None], tuple[str, str | None, str]] = {
    (400, None): ("invalid_request_error", None, "Bad request."),
    (401, None): (
        "invalid_request_error",
        "invalid_api_key",
        "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
    ),
    (403, None): (
        "request_forbidden",
        "unsupported_country_region_territory",
        "Country, region, or territory not supported",
    ),
    (404, None): ("invalid_request_error", None, "The requested resource was not found."),
    (409, None): ("invalid_request_error", None, "Conflict."),
    (429, None): ("requests", "rate_limit_exceeded", "Rate limit reached for requests. Please try again later."),
    (429, "insufficient_quota"): (
        "insufficient_quota",
        "insufficient_quota",
        "You exceeded your current quota, please check your plan and billing details.",
    ),
    (500, None): ("server_error", None, "The server had an error while processing your request. Sorry about that!"),
    (503, None): ("server_error", None, "The engine is currently overloaded, please try again later."),
}


def error_body(
    message: str, type: str = "invalid_request_error", param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def default_error_body(status: int, code: str | None = None, message: str | None = None) -> dict[str, Any]:
    """The body the live API would send for `status` (and `code`, for 429)."""
    error_type, default_code, default_message = _DEFAULTS.get(
        (status, code),
        _DEFAULTS.get(
            (status, None), ("server_error" if status >= 500 else "invalid_request_error", None, f"Error {status}.")
        ),
    )
    return error_body(message or default_message, error_type, None, code or default_code)


class ApiError(Exception):
    """Raised by a route; the server answers it as an OpenAI error response."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = error_body(message, type, param, code)


def not_found(kind: str, object_id: str, param: str = "id") -> ApiError:
    return ApiError(404, f"No such {kind}: '{object_id}'", param=param)


def missing_parameter(name: str) -> ApiError:
    return ApiError(400, f"Missing required parameter: '{name}'.", param=name, code="missing_required_parameter")


def invalid_parameter(name: str, message: str) -> ApiError:
    return ApiError(400, message, param=name, code="invalid_value")
