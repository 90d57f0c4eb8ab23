"""Argparse types for numeric options: a finite number in the option's range, or a usage
error naming the option (argparse adds `argument --poll:`), one line and exit status 2.

Python's float() takes "inf", "nan" and "1e999"; left through, they surface later as an
OverflowError in a timer, a NaN sent to the API, or a poll that never comes back."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def whole(minimum: int | None = None, maximum: int | None = None) -> Callable[[str], int]:
    """A whole number from `minimum` to `maximum` (both included)."""
    def parse(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            number = None
        if number is None or (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
            raise argparse.ArgumentTypeError(f"must be {_range('a whole number', minimum, maximum)}, not {text!r}")
        return number
    parse.__name__ = "whole number"
    return parse


def real(*, above: float, maximum: float | None = None) -> Callable[[str], float]:
    """A finite number greater than `above` and at most `maximum`."""
    def parse(text: str) -> float:
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if not math.isfinite(number) or number <= above or (maximum is not None and number > maximum):
            raise argparse.ArgumentTypeError(f"must be {_range('a number', None, maximum, above)}, not {text!r}")
        return number
    parse.__name__ = "number"
    return parse


def _range(kind: str, minimum, maximum, above=None) -> str:
    """'a whole number from 1 to 50', 'a number greater than 0 and at most 2', ..."""
    if above is not None:
        return f"{kind} greater than {above:g}" + (f" and at most {maximum:g}" if maximum is not None else "")
    if minimum is not None:
        return f"{kind} from {minimum} to {maximum}" if maximum is not None else f"{kind} of at least {minimum}"
    return f"{kind} of at most {maximum}" if maximum is not None else kind
