"""Private data in training text: API keys and tokens, e-mail addresses, phone numbers
and card numbers. The engine reports them (analysis.py), `finetune-ls redact` replaces
them with placeholders (prep/redact.py); both use `line_matches`.

Speed (issue 17: the rules cost +20% of a whole check's CPU; about +11% now, measured on a
loaded machine: bench/README.md "Privacy rules"). `may_hold_private` is a test on the raw line's bytes, true
for a superset of what the detectors accept: a few passes of C over the bytes (`in`,
`translate`, `find`) and a regular expression only where a fixed byte ("@", "+") is found.
It passes an address's shape (a domain with a dot after "@"), "+" and a digit followed by
seven characters a phone number holds, ten digits or more in the shape of a card or a North
American number, a run of 20 token characters starting with a key's prefix, and a private
key's header. 334 of the 45,771 lines of bench/'s 50 MB file pass (178 hold a finding); the
engine runs the detectors on those, and a line where they find nothing stays a plain example
(analysis.plain_example). A \\u escape of an ASCII character or a no-break space can hide
what the test looks for (bob\\u0040corp.io), so a line holding one (2 of 45,771) that fails
the test is tested again with its escapes decoded. The detectors' \\d takes the digits of
every script; the test passes them after "+" and an ASCII digit (raw, not escaped), not in
cards or North American numbers, whose Luhn check and prefixes are ASCII's.
tests/test_privacy_prefilter.py holds a case at each edge. The detectors work on the
decoded strings; `line_matches` turns their places into the columns of the raw text,
escapes included.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from finetune_ls.core.jsonspan import Path, locate

SECRET, EMAIL, PHONE, CARD = "secret-in-text", "email-in-text", "phone-in-text", "card-number-in-text"
PLACEHOLDERS = {SECRET: "[API_KEY]", EMAIL: "[EMAIL]", PHONE: "[PHONE]", CARD: "[CARD_NUMBER]"}

# Token formats documented by their issuers; each has a fixed prefix, so ordinary words never
# match, and is at least 20 characters long (see _TOKEN_RUN).
_SECRETS = (
    ("an Anthropic API key", r"sk-ant-[A-Za-z0-9_-]{20,}"),
    ("an OpenAI API key", r"sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}"),
    ("an AWS access key id", r"(?:AKIA|ASIA)[0-9A-Z]{16}"),
    ("a GitHub token", r"gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,}"),
    ("a Slack token", r"xox[baprs]-[A-Za-z0-9-]{15,}"),
    ("a Google API key", r"AIza[0-9A-Za-z_-]{35}"),
    ("a Stripe secret key", r"[sr]k_live_[0-9A-Za-z]{20,}"),
    ("a JSON Web Token", r"eyJ[A-Za-z0-9_-]{17,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
    ("a private key", r"-----BEGIN [A-Z ]{0,12}PRIVATE KEY(?: BLOCK)?-----[A-Za-z0-9+/=\s:,-]{20,}?"
                      r"-----END [A-Z ]{0,12}PRIVATE KEY(?: BLOCK)?-----"),
)
# Lengths bounded (RFC 5321's limits) so that long runs of word characters cannot make it backtrack.
_EMAIL = r"[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9][A-Za-z0-9-]{0,62}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}"
# The no-break spaces (U+00A0, figure U+2007, narrow U+202F) that typesetting puts between
# digit groups: a separator like the space, so that a match covers the whole number.
_NO_BREAK = "\u00a0\u2007\u202f"
# Phone numbers only in the formats people write them, never a bare run of digits (ids,
# timestamps) or a date: international with "+", or North American with area code.
_PHONE = (r"\+[1-9]\d{0,2}(?:[ .\-NB]?\(?\d{1,4}\)?){1,2}(?:[ .\-NB]?\d{2,4}){2,4}"
          r"|\([2-9]\d{2}\)[ .\-NB]?[2-9]\d{2}[ .\-NB]\d{4}|[2-9]\d{2}[.-][2-9]\d{2}[.-]\d{4}").replace("NB", _NO_BREAK)
# 13 to 19 digits, in groups of 4 (Amex 4-6-5) or unbroken; the Luhn check and the
# issuer's prefix sort out the rest.
_CARD = r"\d{4}(?:[ \-NB]?\d{4}){2}[ \-NB]?\d{1,7}|\d{4}[ \-NB]?\d{6}[ \-NB]?\d{5}".replace("NB", _NO_BREAK)
_NOT_DIGITS = str.maketrans("", "", " -" + _NO_BREAK)

# Not inside a longer run of letters, digits or base64 (data URLs, hashes, ids).
_BEFORE, _AFTER = r"(?<![A-Za-z0-9+/_-])", r"(?![A-Za-z0-9_])"
_DETECT = re.compile(
    _BEFORE + "(?:" + "|".join(f"(?P<s{n}>{pattern})" for n, (_, pattern) in enumerate(_SECRETS))
    + f"|(?P<email>{_EMAIL})|(?P<card>{_CARD})|(?P<phone>{_PHONE}))" + _AFTER)
# Which raw lines can hold a detection. Python's regular expressions scan text at 10-100
# MB/s, slower than the whole check without tokens, so lines are sorted out by byte
# operations that run in C at memory speed (translate, count, in); an expression meets
# only the few lines that pass, and only one that starts with a fixed byte (fast).
# An address: a local part's character, "@", a domain with a dot and a two-letter end (not a
# decorator, not "@" in prose); unbounded, so a superset of _EMAIL, whose characters are all ASCII.
_EMAIL_HINT = re.compile(rb"@(?<=[A-Za-z0-9._%+-]@)[A-Za-z0-9][A-Za-z0-9-]*(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2}")
# "+", a digit 1-9 and seven more characters a phone number can hold: an accepted one has at
# least eight digits. Any byte of a non-ASCII character may stand for one: the detectors'
# \d takes every script's digits ("+9" and Arabic-Indic ones) and the no-break spaces are separators.
_PLUS_HINT = re.compile(rb"\+[1-9][0-9 .()\-\x80-\xff]{7}")
# Each key starts a run of token characters (the detectors want none right before it).
_SECRET_PREFIXES = (b"sk-", b"sk_live_", b"rk_live_", b"AKIA", b"ASIA", b"ghp_", b"gho_", b"ghu_", b"ghs_", b"ghr_",
                    b"github_pat_", b"xox", b"AIza", b"eyJ")
# Digits to "0", letters, "_" and "-" to "a", the separators of phone and card numbers
# (space . ( )) to " ": every card and North American phone number (ASCII digits) then holds
# one of the shapes of _DIGIT_SHAPE.
_CLASSES = bytes(ord("0") if chr(byte).isdigit() and byte < 128 else
                 ord("a") if chr(byte).isascii() and (chr(byte).isalpha() or chr(byte) in "_-") else
                 ord(" ") if byte in b" .()" else ord("#") for byte in range(256))
_DIGIT_SHAPE = re.compile(rb"000(?: 0000|a0000|0000000000)")  # "000 0000", "000a0000" or 13 digits
# Those with a "+" aside (_PLUS_HINT), a North American number has ten digits, a card 13 to 19.
_FEWEST_DIGITS = 10

_NO_BREAK_UTF8 = tuple(space.encode() for space in _NO_BREAK)  # the digit shapes see them as b" "
# The escapes that can hide a match: of a character a match can hold (a letter, a digit, a
# space, @ + - . _ ( ) / and the like), or of a no-break space (\\u4e2d and the like decode
# to characters that no byte test counts). Not of a control character, nor of " & ' < >,
# which no match holds: Go's encoder writes every < > & as \\u003c, \\u003e, \\u0026, and
# lines full of HTML would all be decoded for nothing. In a line with none of these, the
# decoded strings pass the byte tests only where the raw line does.
_HIDING_ESCAPE = re.compile(rb"\\u(?:00(?:2[013-589a-fA-F]|3[0-9]|[4-7][0-9a-fA-F]|[aA]0)|20(?:07|2[fF]))")
# Digits to "0", the other token characters (letters, "_", "-") to "a", the rest to " ".
_TOKEN_CLASSES = bytes(ord("0") if 48 <= byte <= 57 else
                       ord("a") if chr(byte).isascii() and (chr(byte).isalpha() or chr(byte) in "_-") else ord(" ")
                       for byte in range(256))
_TOKEN_RUN = b"a" * 20  # every key format is a run of at least 20 letters, digits, "_" or "-"
# Addresses of the domains reserved for examples (RFC 2606) are not anyone's.
_EXAMPLE_DOMAINS = re.compile(r"(?:^|\.)(?:example\.(?:com|org|net)|[a-z0-9-]+\.(?:test|example|invalid|localhost))$")
_CARD_PREFIX = re.compile(r"4|5[1-5]|2[2-7]|3[47]|3[0689]|6[05]|35")


@dataclass(frozen=True, slots=True)
class Detection:
    """A match in a decoded string: its rule code, what it is, and its place in the string."""

    code: str
    label: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class LineMatch:
    """A detection placed in the line: code-point columns of the raw JSON text."""

    code: str
    label: str
    path: Path
    start: int
    end: int

    @property
    def placeholder(self) -> str:
        return PLACEHOLDERS[self.code]


def may_hold_private(raw: bytes | str) -> bool:
    """False when the line (raw JSON text) certainly holds nothing the detectors accept."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    if _may_match(raw):
        return True
    # Most lines: the two finds cost less than the expression's search, which tries a match at
    # every \\u of a line written with ensure_ascii (\\u4e2d\\u6587...).
    if (b"\\u00" not in raw and b"\\u20" not in raw) or _HIDING_ESCAPE.search(raw) is None:
        return False
    decoded = _unescaped(raw)
    return decoded is None or _may_match(decoded)


def _unescaped(raw: bytes) -> bytes | None:
    """The line's bytes with the JSON escapes in its strings decoded (UTF-8, lone surrogates
    kept), by codecs that run in C; None when it does not decode."""
    # unicode_escape knows every JSON escape but the slash's; the escaped backslash is replaced
    # first, so that an escaped backslash before a slash stays a backslash and a slash.
    raw = raw.replace(b"\\\\", b"\\x5c").replace(b"\\/", b"/")
    try:
        if raw.isascii():
            text = raw.decode("unicode_escape")
        else:  # unicode_escape reads bytes as Latin-1: other characters go through as escapes
            text = raw.decode("utf-8", "surrogateescape").encode("latin-1", "backslashreplace").decode("unicode_escape")
    except UnicodeDecodeError:
        return None
    return text.encode("utf-8", "surrogatepass")


def _may_match(raw: bytes) -> bool:
    """The byte tests, on a raw line or on a decoded string. Each is a pass or two of C over
    the bytes; a regular expression runs only where a fixed byte is found."""
    if b"@" in raw and _EMAIL_HINT.search(raw) or b"+" in raw and _PLUS_HINT.search(raw):
        return True
    # One translation for two tests: the digits are counted in it, and with them made letters
    # (a `replace`, cheaper than a second translation) it shows the runs of token characters.
    classes = raw.translate(_TOKEN_CLASSES)
    if classes.count(b"0") >= _FEWEST_DIGITS and _may_hold_number(raw):
        return True
    tokens = classes.replace(b"0", b"a")
    start = tokens.find(_TOKEN_RUN)
    return start >= 0 and _may_hold_secret(raw, tokens, start)


def _may_hold_number(raw: bytes) -> bool:
    """Whether the digits make one of the shapes of a card or a North American phone number."""
    if _DIGIT_SHAPE.search(raw.translate(_CLASSES)):
        return True
    if not raw.isascii() and any(space in raw for space in _NO_BREAK_UTF8):
        spaced = raw
        for space in _NO_BREAK_UTF8:
            spaced = spaced.replace(space, b" ")
        return _DIGIT_SHAPE.search(spaced.translate(_CLASSES)) is not None
    return False


def _may_hold_secret(raw: bytes, tokens: bytes, start: int) -> bool:
    """Whether a run of 20 token characters (the first at `start`) starts with a key's prefix,
    either at its start or after the letters of an escape such as \\n or \\u00e9 in the raw
    line (a backslash before the run can also be the text's own, written \\\\), or the line
    holds a private key's header (its base64 body is such a run)."""
    if b"PRIVATE KEY" in raw:
        return True
    while start >= 0:
        if raw.startswith(_SECRET_PREFIXES, start):
            return True
        if raw[start - 1:start] == b"\\" and \
                raw.startswith(_SECRET_PREFIXES, start + (5 if raw[start:start + 1] == b"u" else 1)):
            return True
        end = tokens.find(b" ", start)
        if end < 0:
            return False
        start = tokens.find(_TOKEN_RUN, end)
    return False


def _luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _accepted(kind: str, text: str) -> bool:
    if kind == "email":
        return not _EXAMPLE_DOMAINS.search(text.rsplit("@", 1)[1].lower())
    if kind == "card":
        digits = text.translate(_NOT_DIGITS)
        return 13 <= len(digits) <= 19 and _CARD_PREFIX.match(digits) is not None and _luhn(digits) \
            and len(set(digits)) > 2  # 4444 4444 ... and friends are test patterns
    if kind == "phone":  # with a separator: "+" and a bare run of digits is a number, not a phone
        return 8 <= sum(char.isdigit() for char in text) <= 15 and any(char in " .-(" + _NO_BREAK for char in text)
    # A token needs letters and digits both: placeholders such as sk-XXXXXXXX... have no digit.
    body = text.split("-", 1)[-1] if text.startswith("sk-") else text
    return "PRIVATE KEY" in text or (any(c.isdigit() for c in body) and any(c.isalpha() for c in body))


def detect(text: str) -> list[Detection]:
    """The private data in one decoded string."""
    # Most strings of a suspect line (roles, the other messages) stop here. No escapes to
    # decode: this is the text itself.
    if not _may_match(text.encode("utf-8", "surrogatepass")):
        return []
    found = []
    for match in _DETECT.finditer(text):
        kind = match.lastgroup
        if not _accepted(kind, match.group()):
            continue
        if kind == "email":
            found.append(Detection(EMAIL, "an e-mail address", match.start(), match.end()))
        elif kind == "card":
            found.append(Detection(CARD, "a card number", match.start(), match.end()))
        elif kind == "phone":
            found.append(Detection(PHONE, "a phone number", match.start(), match.end()))
        else:
            found.append(Detection(SECRET, _SECRETS[int(kind[1:])][0], match.start(), match.end()))
    return found


def _strings(value: object, path: Path = ()) -> Iterator[tuple[Path, str]]:
    """Every string value of an example with its path, in order; data URLs (base64 images)
    skipped. Without recursion: a value may nest 1,000 levels (redact reads it whole)."""
    pending = [(path, value)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, str):
            if not value.startswith("data:"):
                yield path, value
        elif isinstance(value, (dict, list)):
            items = value.items() if isinstance(value, dict) else enumerate(value)
            pending += reversed([(path + (key,), item) for key, item in items])


def _columns(text: str, quote: int) -> list[int]:
    """For a JSON string literal opening at `quote`, the column of each decoded character,
    plus the column of the closing quote."""
    columns = []
    position = quote + 1
    while position < len(text) and text[position] != '"':
        columns.append(position)
        if text[position] != "\\":
            position += 1
        elif text[position + 1:position + 2] == "u":
            high = text[position + 2:position + 6]
            position += 6
            pair = text[position:position + 2] == "\\u" and 0xD800 <= int(high or "0", 16) < 0xDC00 \
                and 0xDC00 <= int(text[position + 2:position + 6] or "0", 16) < 0xE000  # else two characters
            if pair:
                position += 6  # a surrogate pair is one character
        else:
            position += 2
    columns.append(position)
    return columns


def line_matches(text: str, value: object) -> list[LineMatch]:
    """The detections in an example's strings, at their columns in the line's text."""
    matches = []
    for path, string in _strings(value):
        detections = detect(string)
        if not detections:
            continue
        span = locate(text, path)
        if span is None or text[span.start:span.start + 1] != '"':
            continue
        literal = text[span.start:span.end]
        if "\\" in literal:
            columns = _columns(text, span.start)
            if len(columns) != len(string) + 1:
                continue  # the literal does not decode to this string: no place to point at
            place = columns.__getitem__
        else:
            place = (span.start + 1).__add__
        matches.extend(LineMatch(d.code, d.label, path, place(d.start), place(d.end)) for d in detections)
    return matches


def redact_line(text: str, matches: list[LineMatch]) -> str:
    """The line with each match replaced by its placeholder."""
    for match in sorted(matches, key=lambda m: m.start, reverse=True):
        text = text[:match.start] + match.placeholder + text[match.end:]
    return text
