"""The scan of a chunk's lines for private data (core/private_scan.py) finds every line the
per-line byte test (privacy.may_hold_private) passes: a line it leaves out is never shown to
the detectors, so one it misses would go unreported. The cases at each edge of the byte test,
the escaped cases, generated lines built from the pieces the test looks for, and the
findings of a file checked with and without the scan."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings as hypothesis_settings, strategies as st

from helpers import check, check_file_bytes
from privacy_cases import CASES, NOT_AN_ESCAPE, case_line, line_of
from test_privacy_prefilter import EDGES, _line
from finetune_ls.core import private_scan
from finetune_ls.core.privacy import _SECRET_PREFIXES, may_hold_private

pytestmark = pytest.mark.skipif(not private_scan.available(), reason="hyperscan has no wheel for this platform")

CLEAN = [_line("nothing here"), _line("x = i+1; y = a+2345678"), _line("see @property")]


def _edge_lines() -> list[bytes]:
    lines = []
    for _, text, _ in EDGES:
        lines += [_line(text).encode(), _line(text, ensure_ascii=True).encode()]
    lines += [case_line(case).encode() for case in CASES]
    lines += [line_of(NOT_AN_ESCAPE).encode()]
    # The shortest run of token characters that starts with a key's prefix after an escape's
    # letters: the byte test passes it, and the scan needs its prefix's shortest tail.
    lines += [line_of("x \\u00e9" + prefix.decode() + "Q" * (15 - len(prefix)) + " y").encode()
              for prefix in _SECRET_PREFIXES]
    return lines


def _assert_scan_covers(lines: list[bytes]) -> set[int]:
    suspects = private_scan.suspect_lines(lines)
    assert suspects is not None
    missed = [lines[index] for index in range(len(lines)) if may_hold_private(lines[index]) and index not in suspects]
    assert missed == []
    return suspects


def test_every_edge_case_is_found_alone_and_among_clean_lines():
    edges = _edge_lines()
    assert sum(map(may_hold_private, edges)) >= len(EDGES) + len(CASES) + len(_SECRET_PREFIXES)  # most pass
    for line in edges:
        assert _assert_scan_covers([line]) == {0} or not may_hold_private(line)
    mixed = [line for edge in edges for line in (CLEAN[0].encode(), edge)]
    found = _assert_scan_covers(mixed)
    assert found >= {index for index in range(1, len(mixed), 2) if may_hold_private(mixed[index])}


def test_clean_lines_are_left_out():
    assert private_scan.suspect_lines([line.encode() for line in CLEAN]) == set()


# Lines made of what the byte test looks for: digits and their separators, "@" and domains, "+",
# keys' prefixes, escapes, no-break spaces, and the letters and punctuation around them.
PIECES = ["0", "4", "9", "123", "4567", " ", ".", "-", "(", ")", "_", "@", "a@b.cd", "x.io", "+", "+1", "+44 ",
          "sk-", "sk-proj-", "ghp_", "AKIA", "eyJ", "xoxb-", "AIza", "github_pat_", "PRIVATE KEY", "a", "Zq", "é",
          "\u00a0", "\u2007", "\u202f", "\u0967", "\\n", "\\\\", "\\u0040", "\\u0034", "\\u00a0", "\\u202f", "\\u2014",
          "\"", ",", ":"]


@hypothesis_settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(st.sampled_from(PIECES), min_size=1, max_size=40).map("".join), min_size=1, max_size=6))
def test_generated_lines_that_pass_the_byte_test_are_found(texts):
    lines = []
    for text in texts:
        try:
            lines.append(line_of(text).encode("utf-8"))
        except UnicodeEncodeError:
            continue
    if lines:
        _assert_scan_covers(lines)


def test_a_chunk_full_of_long_numbers_falls_back_to_the_line_by_line_test():
    """Every end of every match is reported: a run of digits would cost a call per digit."""
    lines = [_line("id " + "7" * 200).encode() for _ in range(20)]
    assert private_scan.suspect_lines(lines) is None


def test_a_file_gets_the_same_findings_with_and_without_the_scan(monkeypatch):
    lines = [_line(text) for _, text, _ in EDGES] + [case_line(case) for case in CASES] + CLEAN * 5
    lines += [_line("id " + "7" * 200)] * 3 + [json.dumps({"messages": [{"role": "user", "content": "a@b.cd"}]})]
    text = "\n".join(lines) + "\n"

    def signatures():  # the CLI's way (lines as bytes, scanned) and small documents' (text, line by line)
        return [[(f.code, f.line, f.column, f.end_column, f.message) for f in report.findings]
                for report in (check_file_bytes(text.encode(), count_tokens=False), check(text))]

    with_scan = signatures()
    monkeypatch.setattr(private_scan, "hyperscan", None)
    assert private_scan.suspect_lines([b"x"]) is None
    assert signatures() == with_scan
    assert with_scan[0] == with_scan[1]
    assert len({line for code, line, *_ in with_scan[0] if code.endswith("-in-text")}) >= len(EDGES)


def test_lines_held_as_text_are_scanned_as_their_utf8(monkeypatch):
    """The language server's workers hold lines as text, or as bytes where that is smaller."""
    from finetune_ls.core.analysis import FileContext
    from finetune_ls.core.entries import line_entries
    from finetune_ls.core.shapes import CHAT

    texts = [_line(text) for _, text, _ in EDGES] + [case_line(case) for case in CASES] + CLEAN
    mixed = [text if index % 2 else text.encode() for index, text in enumerate(texts)]
    context = FileContext(CHAT)
    scanned = line_entries(mixed, context)
    assert sum(len(entry) != 6 for entry in scanned) >= len(EDGES)  # lines with findings
    monkeypatch.setattr(private_scan, "hyperscan", None)
    assert line_entries(mixed, context) == scanned == line_entries([text.encode() for text in texts], context)


def test_threads_scanning_at_once_get_their_own_answers():
    """The scan releases the GIL and its scratch space is one per database: the checks from disk
    of a server without a worker pool run in threads, alongside the event loop's own."""
    import threading

    lines = [_line("hello " * 150).encode()] * 1000 + [_line("mail a@b.cd").encode()]
    answers, errors = [], []

    def scan():
        for _ in range(150):
            try:
                answers.append(private_scan.suspect_lines(lines))
            except Exception as error:  # noqa: BLE001 - the test reports what went wrong
                errors.append(repr(error))

    threads = [threading.Thread(target=scan) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(answers) == 450 and all(answer == {1000} for answer in answers)
