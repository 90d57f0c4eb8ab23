"""The arguments of an editor command (`workspace/executeCommand`), checked before the
command runs: given in place, or by name in one object. A wrong one is answered with the
JSON-RPC error InvalidParams (-32602) and a sentence naming the command, the argument and
what it must be; a text value is never repeated (it may be a key or a file's text). An
argument left out, or null, takes its default (so a later one can be given in place)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from pygls.exceptions import JsonRpcInvalidParams

_MISSING = object()  # no default: the argument is required


class InvalidArgument(JsonRpcInvalidParams):
    """A command's argument is missing, of the wrong kind or out of range."""

    def __init__(self, command: str, message: str):
        super().__init__(message=f"{command}: {message}")


def kind_of(value: object) -> str:
    """What a JSON value is, in words: a number itself, other values only by their kind."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return "text" if value else "empty text"
    return "a list" if isinstance(value, list) else "an object" if isinstance(value, dict) else type(value).__name__


class Arguments:
    """The arguments of one call of `command`, whose arguments in place are `names`: either
    in that order, or as one object with (some of) those names as keys."""

    def __init__(self, command: str, args: Sequence, names: Sequence[str]):
        self.command = command
        if len(args) == 1 and isinstance(args[0], dict):
            self.given = dict(args[0])
            unknown = sorted(set(self.given) - set(names))
            if unknown:
                raise self.invalid(f"unknown argument {', '.join(map(repr, unknown))}; it takes "
                                   f"{', '.join(names) or 'no arguments'}")
        else:
            if len(args) > len(names):
                raise self.invalid(f"takes at most {len(names)} argument(s) ({', '.join(names) or 'none'}), "
                                   f"not {len(args)}")
            self.given = dict(zip(names, args))

    def invalid(self, message: str) -> InvalidArgument:
        return InvalidArgument(self.command, message)

    def value(self, name: str, what: str, accepts: Callable[[object], bool], default=_MISSING):
        """The argument `name` if `accepts` it; a missing or null one is the default (when
        there is one). `what` says what it must be."""
        value = self.given.get(name)
        if value is None and default is not _MISSING:
            return default
        if value is None and name not in self.given:
            raise self.invalid(f"the argument {name} is missing; it must be {what}")
        if not accepts(value):
            raise self.invalid(f"{name} must be {what}, not {kind_of(value)}")
        return value

    def text(self, name: str, default=_MISSING, choices: Sequence[str] | None = None) -> str:
        """Text (an id, a model, a name); one of `choices` when given. Empty text is as good
        as not given when there is a default, and refused when there is none."""
        if default is not _MISSING and self.given.get(name) == "":
            return default
        if choices is not None:
            return self.value(name, f"one of {', '.join(choices)}", lambda v: isinstance(v, str) and v in choices,
                              default)
        return self.value(name, "text", lambda v: isinstance(v, str) and v != "", default)

    def flag(self, name: str, default: bool) -> bool:
        return self.value(name, "true or false", lambda v: isinstance(v, bool), default)

    def integer(self, name: str, default=_MISSING, minimum: int | None = None, maximum: int | None = None) -> int:
        low = "" if minimum is None else f" from {minimum}"
        high = "" if maximum is None else f" to {maximum}"
        value = self.value(name, f"a whole number{low}{high}", lambda v: _whole(v) and (
            minimum is None or v >= minimum) and (maximum is None or v <= maximum), default)
        return int(value) if _whole(value) else value

    def number(self, name: str, what: str, accepts: Callable[[float], bool], default=_MISSING) -> float:
        return self.value(name, what, lambda v: is_number(v) and accepts(v), default)

    def object(self, name: str, what: str = "an object", values: Callable[[object], bool] = lambda v: True,
               default=_MISSING) -> dict:
        return self.value(name, what, lambda v: isinstance(v, dict) and all(map(values, v.values())), default)

    def uri(self, name: str = "uri") -> str:
        return self.value(name, "a document URI (text)", lambda v: isinstance(v, str) and v != "")


def is_number(value: object) -> bool:
    """A finite JSON number (true and false are not numbers here)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _whole(value: object) -> bool:
    return is_number(value) and value == int(value)
