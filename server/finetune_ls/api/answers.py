"""Answers checked before they are used. The SDK builds its objects from whatever JSON
comes back without validating it, so a broken proxy or a server that is not quite
OpenAI's gives `None` lists and id-less objects: a list answer must hold a list of
objects, and an object that was made (and goes to the ledger) must have an id. Anything
else is MalformedAnswer, one sentence, instead of an internal error or a `null` id."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
_JSON_VALUES = (list, str, int, float, bool, type(None))


class MalformedAnswer(Exception):
    """The answer to `what` is not what the API sends; `note` says what may have happened."""

    def __init__(self, what: str, detail: str, note: str = ""):
        self.what, self.detail, self.note = what, detail, note
        super().__init__(f"the answer to {what} {detail}")


def listed(call: Callable[[], object], what: str) -> list:
    """The items of a list answer (a page's `data`)."""
    data = getattr(_parsed(call, what), "data", None)
    if not isinstance(data, list):
        raise MalformedAnswer(what, f"has no list of items (its data is {_kind(data)})")
    if not all(hasattr(item, "model_dump") and isinstance(getattr(item, "id", None), str) for item in data):
        raise MalformedAnswer(what, "has an item that is not an object with an id")
    return data


def made(call: Callable[[], T], what: str, note: str = "") -> T:
    """An object with an id: one that was made, changed or looked up."""
    answer = _parsed(call, what, note)
    identifier = getattr(answer, "id", None)
    if not isinstance(identifier, str) or not identifier:
        raise MalformedAnswer(what, "has no id", note)
    return answer


def first_choice(call: Callable[[], T], what: str) -> tuple[T, object]:
    """A completion and its first choice (the one asked for)."""
    answer = _parsed(call, what)
    if isinstance(answer, _JSON_VALUES):  # the SDK gives some bodies back as they came
        raise MalformedAnswer(what, f"is not a JSON object but {_kind(answer)}")
    choices = getattr(answer, "choices", None)
    if not isinstance(choices, list) or not choices:
        raise MalformedAnswer(what, "has no choices" if isinstance(choices, list)
                              else f"has no list of choices (its choices are {_kind(choices)})")
    return answer, choices[0]


def _parsed(call: Callable[[], T], what: str, note: str = "") -> T:
    try:
        return call()
    except AttributeError as error:
        # The SDK fails this way building its object from a body that is a list, a string
        # or a number; an AttributeError on anything else is a bug, and stays one.
        if not isinstance(getattr(error, "obj", None), _JSON_VALUES):
            raise
        raise MalformedAnswer(what, f"is not a JSON object but {_kind(error.obj)}", note) from None


def _kind(value: object) -> str:
    return "null" if value is None else {list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__)
