"""The privacy rules: what the detectors accept and refuse, where findings sit, the quick
fix, turning them off, and the cheap line test never missing what the detectors find."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from helpers import check, check_file_bytes, codes
from finetune_ls.core.edits import apply_edits
from finetune_ls.core.privacy import CARD, EMAIL, PHONE, SECRET, detect, line_matches, may_hold_private

PRIVACY_CODES = {SECRET, EMAIL, PHONE, CARD}


def _line(text: str, role: str = "user", ensure_ascii: bool = False) -> str:
    return json.dumps({"messages": [{"role": role, "content": text}, {"role": "assistant", "content": "Noted."}]},
                      ensure_ascii=ensure_ascii)


@pytest.mark.parametrize("text, code", [
    ("key sk-proj-4f9Qa1Zr8Lm2Xc7Vb3Nd6Ke0Tw5Yu here", SECRET),
    ("AKIAIOSFODNN7EXAMPL3 is the id", SECRET),
    ("token ghp_" + "a1B2c3D4e5" * 4, SECRET),
    ("xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", SECRET),
    ("AIzaSyD3x4mPl3K3yF0rT3st1ngPurp0s3s1234", SECRET),
    ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", SECRET),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA1234567890abcdefghijklmnop\n-----END RSA PRIVATE KEY-----", SECRET),
    ("write to jane.roe@fastmail.fm today", EMAIL),
    ("write to roe-@fastmail.fm today", EMAIL),
    ("call +44 20 7946 0958", PHONE),
    ("call (415) 555-2671", PHONE),
    ("call 415-555-2671", PHONE),
    ("card 4539 1488 0343 6467", CARD),
    ("card 4539148803436467", CARD),
    ("amex 3782 822463 10005", CARD),
])
def test_detects(text, code):
    assert [d.code for d in detect(text)] == [code]


@pytest.mark.parametrize("text", [
    "sk-XXXXXXXXXXXXXXXXXXXXXXXXXXXX",  # a placeholder, no digit
    "use scikit-learn and sk-learn",
    "write to jane@example.com or bob@mail.test",  # reserved example domains
    "@property def name(self)",  # a decorator
    "released 2024-01-15, order 4420794609, 1700000000000 ms",  # date, id, timestamp
    "123-456-7890",  # no North American area code starts with 1
    "4539 1488 0343 6468",  # Luhn fails
    "4111 1111 1111 1111",  # the well-known test number: two distinct digits
    "x = i+1; y = 2+3",
    "version 3.11.7 build 20240115",
])
def test_refuses(text):
    assert detect(text) == []


def test_finding_is_at_the_match_with_a_fix_to_a_placeholder():
    line = _line("mail jane.roe@fastmail.fm now")
    report = check(line + "\n")
    [finding] = [f for f in report.findings if f.code == EMAIL]
    assert line[finding.column:finding.end_column] == "jane.roe@fastmail.fm"
    assert finding.severity.value == "warning"
    assert "jane.roe" not in finding.message  # CI logs must not repeat the value
    assert not finding.fix.safe  # fix-all does not rewrite training text by itself
    fixed = apply_edits(line + "\n", finding.fix.edits)
    assert json.loads(fixed)["messages"][0]["content"] == "mail [EMAIL] now"
    assert EMAIL not in codes(check(fixed))


def test_columns_count_escapes_and_characters_beyond_ascii():
    """In a line written with ensure_ascii, "é" is six characters of the line: the finding
    still covers exactly the address."""
    line = _line("Café \"ami\"\n: jane.roe@fastmail.fm", ensure_ascii=True)
    report = check(line + "\n")
    [finding] = [f for f in report.findings if f.code == EMAIL]
    assert line[finding.column:finding.end_column] == "jane.roe@fastmail.fm"
    from_bytes = check_file_bytes((line + "\n").encode())
    assert [(f.column, f.end_column) for f in from_bytes.findings if f.code == EMAIL] == \
           [(finding.column, finding.end_column)]


def test_several_matches_in_one_line_each_get_a_finding():
    line = _line("a@fastmail.fm and +44 20 7946 0958 and 4539 1488 0343 6467")
    found = sorted(f.code for f in check(line + "\n").findings if f.code in PRIVACY_CODES)
    assert found == sorted([EMAIL, PHONE, CARD])


def test_off_when_asked():
    line = _line("mail jane.roe@fastmail.fm now") + "\n"
    assert EMAIL in codes(check(line))
    assert not PRIVACY_CODES & set(codes(check(line, privacy=False)))
    assert not PRIVACY_CODES & set(codes(check_file_bytes(line.encode(), privacy=False)))


def test_image_data_urls_are_not_scanned():
    payload = "AKIAIOSFODNN7EXAMPL3+jane.roe@fastmail.fm" * 3
    line = json.dumps({"messages": [
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64," + payload}}]},
        {"role": "assistant", "content": "A cat."}]})
    assert not PRIVACY_CODES & set(codes(check(line + "\n")))


def test_base64_runs_do_not_hide_matches_and_do_not_make_them():
    blob = "QUtJQUlPU0ZPRE5ON0VYQU1QTEUK" * 4 + "AKIAIOSFODNN7EXAMPL3" + "QUtJQU" * 4
    assert detect(blob) == []


def test_the_cli_flag_turns_it_off(tmp_path, cli_path):
    import subprocess
    path = tmp_path / "data.jsonl"
    path.write_text(_line("mail jane.roe@fastmail.fm now") + "\n")
    on = subprocess.run([cli_path, "check", str(path), "--format", "json"], capture_output=True, text=True)
    off = subprocess.run([cli_path, "check", str(path), "--format", "json", "--no-privacy"], capture_output=True,
                         text=True)
    found = [[f["code"] for f in json.loads(run.stdout)["files"][0]["findings"]] for run in (on, off)]
    assert EMAIL in found[0]
    assert EMAIL not in found[1]


_PIECES = st.sampled_from(["jane.roe@fastmail.fm", "+44 20 7946 0958", "(415) 555-2671", "4539 1488 0343 6467",
                           "sk-proj-4f9Qa1Zr8Lm2Xc7Vb3Nd6Ke0Tw5Yu", "AKIAIOSFODNN7EXAMPL3", "é", "\n", "\"", " ",
                           "2024-01-15", "word", "@", "+", "-", "1234", "roe_@fastmail.fm", "    @property"])


@hsettings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=12), st.booleans())
def test_the_cheap_line_test_never_misses_a_detection(pieces, ascii_only):
    """may_hold_private gates every line; whatever detect finds in a line's strings, the
    gate must let through (else the engine would silently miss it)."""
    text = "".join(pieces)
    line = _line(text, ensure_ascii=ascii_only)
    value = json.loads(line)
    matches = line_matches(line, value)
    if detect(text):
        assert may_hold_private(line.encode()) and may_hold_private(line)
        assert matches, "a detection in the string has no place in the line"
    for match in matches:
        assert match.start < match.end
