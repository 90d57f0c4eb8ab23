"""A stateful fake of the OpenAI API for workflow tests (see server.py)."""

from .errors import default_error_body, error_body
from .recording import RecordedFile, RecordedRequest
from .server import SENTINEL_KEY, FakeOpenAI
from .state import DEFAULT_ANSWER, DEFAULT_BASE_MODELS

__all__ = [
    "DEFAULT_ANSWER",
    "DEFAULT_BASE_MODELS",
    "SENTINEL_KEY",
    "FakeOpenAI",
    "RecordedFile",
    "RecordedRequest",
    "default_error_body",
    "error_body",
]
