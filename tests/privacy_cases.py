"""Private data written with JSON escapes, shared by the CLI and language server tests
(test_privacy_escapes.py, lsp/test_privacy_escaped_fix.py). Each case is the raw JSON
text of the secret, what it decodes to, its rule and its placeholder."""

from __future__ import annotations

import json
from typing import NamedTuple


class Case(NamedTuple):
    name: str
    raw: str  # as written in the line, escapes and all
    decoded: str
    code: str
    placeholder: str


CASES = [
    Case("email", r"bob\u0040corp.io", "bob@corp.io", "email-in-text", "[EMAIL]"),
    Case("email-from-an-escape", r"\u0062ob\u0040corp.io", "bob@corp.io", "email-in-text", "[EMAIL]"),
    Case("key", r"sk-\u0041bcd4f9Qa1Zr8Lm2Xc7Vb3Nd6Ke0Tw5Yu", "sk-Abcd4f9Qa1Zr8Lm2Xc7Vb3Nd6Ke0Tw5Yu",
         "secret-in-text", "[API_KEY]"),
    Case("card", r"4539\u00201488\u00200343\u00206467", "4539 1488 0343 6467", "card-number-in-text",
         "[CARD_NUMBER]"),
    Case("card-no-break", r"4539\u00a01488\u00a00343\u00a06467", "4539\u00a01488\u00a00343\u00a06467",
         "card-number-in-text", "[CARD_NUMBER]"),
    Case("phone-no-break", r"+44 20 7946\u00a00958", "+44 20 7946\u00a00958", "phone-in-text", "[PHONE]"),
]
PRIVACY_CODES = {"secret-in-text", "email-in-text", "phone-in-text", "card-number-in-text"}

# Escapes before the secret move its raw column away from its index in the decoded string:
# an escaped slash, an escaped backslash, a surrogate pair (one character, twelve in the
# line) and a literal emoji (one code point, two UTF-16 units).
PREFIX = r"Path C:\\tmp, see https:\/\/x.io\/a \ud83d\ude00 and " + "\U0001F600" + ": "
SUFFIX = r" \u2014 thanks"
PREFIX_DECODED, SUFFIX_DECODED = json.loads(f'"{PREFIX}"'), json.loads(f'"{SUFFIX}"')
# A backslash written as \\ before "u0040" is text, not an escape: nothing private.
NOT_AN_ESCAPE = r"bob\\u0040corp.io"


def line_of(raw_text: str) -> str:
    """A chat example whose user message is `raw_text`, written as is into the JSON."""
    return '{"messages":[{"role":"user","content":"' + raw_text + '"},{"role":"assistant","content":"Noted."}]}'


def case_line(case: Case) -> str:
    return line_of(PREFIX + case.raw + SUFFIX)


def content(line: str) -> str:
    return json.loads(line)["messages"][0]["content"]
