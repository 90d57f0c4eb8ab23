"""The byte test that spares most lines the privacy detectors (privacy.may_hold_private), at
its edges: each case here is something the detectors accept with the least the test looks for
(the fewest digits, the shortest address, a number written in another script's digits, no-break
spaces as UTF-8). Were the test made stricter at that edge, the line would go unreported: each
case is checked as the CLI checks a file (a plain example, off the full analysis unless the
detectors find something) and as the language server does."""

from __future__ import annotations

import json

import pytest

from helpers import check, check_file_bytes, codes
from finetune_ls.core.privacy import CARD, EMAIL, PHONE, SECRET, detect, may_hold_private

PRIVACY_CODES = {SECRET, EMAIL, PHONE, CARD}

EDGES = [
    # ten digits and no "+": a North American number holds no fewer (the digit count's floor)
    ("ten-digit-phone", "call (415) 555-2671 now", PHONE),
    ("ten-digit-phone-dashes", "call 415-555-2671 now", PHONE),
    # "+", a digit and eight more characters: "+" numbers need eight digits and a separator
    ("shortest-plus-phone", "call +1234 5678", PHONE),  # ending the string: no space after it
    # the detectors' \d takes every script's digits after "+" and an ASCII digit
    ("arabic-indic-digits", "call +9\u0667\u0661 \u0665\u0660 \u0661\u0662\u0663 \u0664\u0665\u0666\u0667", PHONE),
    ("devanagari-digits", "call +9\u0967 \u0968\u0966 \u096a\u096b\u096c \u096d\u096e\u096f\u0966", PHONE),
    # no-break spaces between the groups, as UTF-8 bytes (not escapes)
    ("no-break-plus-phone", "call +44\u00a020\u00a07946\u00a00958", PHONE),
    ("narrow-no-break-card", "card 4539\u202f1488\u202f0343\u202f6467", CARD),
    ("figure-space-phone", "call (415)\u2007555\u20072671", PHONE),
    # the shortest domain the address pattern takes: one letter, a dot, two letters
    ("shortest-email", "mail a@b.cd now", EMAIL),
    ("email-subdomains", "mail x_y@a-b.c.co.uk now", EMAIL),
    ("email-after-an-escape", "line one\nbob@corp.io", EMAIL),
    ("key-after-an-escape", "line one\nsk-proj-4f9Qa1Zr8Lm2Xc7Vb3Nd6Ke0Tw5Yu", SECRET),
]


def _line(text: str, ensure_ascii: bool = False) -> str:
    return json.dumps({"messages": [{"role": "user", "content": text}, {"role": "assistant", "content": "Noted."}]},
                      ensure_ascii=ensure_ascii)


@pytest.mark.parametrize("text, code", [(text, code) for _, text, code in EDGES], ids=[name for name, _, _ in EDGES])
def test_a_detection_at_the_edge_passes_the_byte_test(text, code):
    assert [d.code for d in detect(text)] == [code]
    line = _line(text)
    assert may_hold_private(line.encode())
    assert code in codes(check_file_bytes((line + "\n").encode(), count_tokens=False))  # the CLI's way
    assert code in codes(check(line + "\n"))  # the language server's way


@pytest.mark.parametrize("text, code", [(text, code) for name, text, code in EDGES if not name.endswith("digits")],
                         ids=[name for name, _, _ in EDGES if not name.endswith("digits")])
def test_the_same_written_with_ensure_ascii(text, code):
    """Escaped, the no-break spaces and the letters are found by decoding the line's escapes."""
    line = _line(text, ensure_ascii=True)
    assert may_hold_private(line.encode())
    assert code in codes(check_file_bytes((line + "\n").encode(), count_tokens=False))


@pytest.mark.parametrize("text", [
    "see @property and a@b",  # "@" with no domain after it
    "x = i+1; y = a+2345678",  # "+" and a digit, then letters
    "call 555-2671 or 12",  # nine digits, no "+"
])
def test_lines_the_byte_test_spares(text):
    assert not may_hold_private(_line(text).encode())


def test_a_line_that_passes_but_holds_nothing_stays_a_clean_example():
    """An address at a reserved domain passes the byte test, the detectors refuse it: the line is
    counted as a plain example, with no finding."""
    line = _line("mail jane@example.com, call 2024-01-15 12:30:45 +0100")
    assert may_hold_private(line.encode())
    report = check_file_bytes((line + "\n").encode(), count_tokens=False)
    assert not PRIVACY_CODES & set(codes(report))


def test_findings_of_suspect_lines_among_clean_ones():
    lines = [_line("nothing here"), _line("mail jane.roe@fastmail.fm"), _line("mail jane@example.com"),
             _line("call (415) 555-2671")]
    report = check_file_bytes(("\n".join(lines) + "\n").encode(), count_tokens=False)
    assert sorted((f.line, f.code) for f in report.findings if f.code in PRIVACY_CODES) == [(1, EMAIL), (3, PHONE)]
