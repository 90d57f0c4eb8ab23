"""A document kept in step with edits reports exactly what a fresh check of its text does."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings as hsettings
from hypothesis import strategies as st

from helpers import settings
from finetune_ls.core.document import DocumentCheck
from finetune_ls.core.engine import check_text
from finetune_ls.core.entries import line_entry
from finetune_ls.core.lines import split_lines

OK = '{"messages":[{"role":"user","content":"q%d"},{"role":"assistant","content":"a%d"}]}'
PIECES = [
    OK % (1, 1), OK % (2, 2), OK % (1, 1), "", "   ", '{"messages":[{"role":"bot","content":"x"}]}',
    '{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"]}', "{", '  "messages": [',
    '    {"role": "user", "content": "hi"},', '    {"role": "assistant", "content": "yo"}', "  ]", "}", "[", "]",
    '{"prompt":"2+2 ->","completion":" 4"}', '{"text":"x","label":"y"}', "// note", "\ufeff" + OK % (5, 5),
    '{"input":{"messages":[{"role":"user","content":"Hi"}]},"preferred_output":[{"role":"assistant","content":"A"}],'
    '"non_preferred_output":[{"role":"assistant","content":"B"}]}', '{"messages":[{"role":"user","content":"a\u2028b"}]}',
]


def _signature(report):
    return ([(f.code, f.severity.value, f.line, f.column, f.end_line, f.end_column, f.column_utf16,
              f.end_column_utf16, f.message) for f in report.findings], report.format, report.summary)


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES), min_size=0, max_size=14),
       st.lists(st.tuples(st.integers(0, 20), st.integers(0, 3), st.lists(st.sampled_from(PIECES), max_size=3)),
                max_size=6))
def test_edits_keep_the_report_equal_to_a_fresh_check(initial, edits):
    lines = list(initial) + [""]
    check = DocumentCheck("<doc>", settings())
    check.open(list(lines))
    for start, removed, inserted in edits:
        start = min(start, len(lines) - 1)
        end = min(len(lines) - 1, start + removed)  # keep the final empty line
        lines[start:end] = inserted
        check.replace(start, end, len(inserted), list(lines))
        fresh = check_text("\n".join(lines), settings(), path="<doc>")
        assert _signature(check.report()) == _signature(fresh)


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES), min_size=0, max_size=14),
       st.lists(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 3), st.lists(st.sampled_from(PIECES),
                                                                                    max_size=3)),
                         min_size=1, max_size=4), max_size=4))
def test_batches_of_edits_applied_at_once_match_a_fresh_check(initial, batches):
    """An editor sends several changes in one didChange; each is relative to the text the one
    before it left, and only the final text exists when they are checked."""
    lines = list(initial) + [""]
    check = DocumentCheck("<doc>", settings())
    check.open(list(lines))
    for batch in batches:
        changes = []
        for start, removed, inserted in batch:
            start = min(start, len(lines) - 1)
            end = min(len(lines) - 1, start + removed)
            lines[start:end] = inserted
            changes.append((start, end, len(inserted)))
        check.apply(changes, list(lines))
        fresh = check_text("\n".join(lines), settings(), path="<doc>")
        assert _signature(check.report()) == _signature(fresh)


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES), min_size=0, max_size=14), st.booleans(), st.integers(1, 5),
       st.integers(0, 4),
       st.lists(st.tuples(st.integers(0, 20), st.integers(0, 3), st.lists(st.sampled_from(PIECES), max_size=3)),
                max_size=2))
def test_a_report_folded_as_entries_stream_in_matches_a_fresh_check(initial, final_break, chunk, early, edits):
    """A big document's entries come from the workers a chunk at a time, checked line by line
    as the workers check them (a byte-order mark included), and the report is folded as they
    come; a report asked for before they are all in does not stand in for the whole one
    (a partner's overlap needs it); edits after that fold it again from the entries."""
    lines = list(initial) + ([""] if final_break or not initial else [])
    check = DocumentCheck("<doc>", settings())
    check.open_streamed(list(lines))
    for number, start in enumerate(range(0, len(lines), chunk)):
        if number == early:
            check.report()
        check.add_entries([line_entry(line, check.plan.context) for line in lines[start:start + chunk]])
    assert _signature(check.report()) == _signature(check_text("\n".join(lines), settings(), path="<doc>"))
    for start, removed, inserted in edits:
        start = min(start, len(lines) - 1)
        end = min(len(lines) - 1, start + removed)  # a document has at least one line: keep the last
        lines[start:end] = inserted
        check.replace(start, end, len(inserted), list(lines))
        assert _signature(check.report()) == _signature(check_text("\n".join(lines), settings(), path="<doc>"))


def test_only_touched_lines_are_checked_again(monkeypatch):
    from finetune_ls.core import document
    lines = [OK % (i, i) for i in range(3000)] + [""]
    check = DocumentCheck("<doc>", settings())
    check.open(lines)
    calls = []
    real = document.line_entry
    monkeypatch.setattr(document, "line_entry", lambda *a: calls.append(a[0]) or real(*a))
    lines[2500] = '{"messages":[{"role":"bot","content":"x"}]}'
    assert check.replace(2500, 2501, 1, lines) is False
    assert calls == [lines[2500]]
    assert "unknown-role" in [f.code for f in check.report().findings]


def test_an_edit_that_changes_the_format_checks_everything_again():
    lines = ['{"prompt":"a ->","completion":" b"}'] * 5 + [""]
    check = DocumentCheck("<doc>", settings())
    check.open(lines)
    assert check.report().format == "prompt-completion"
    new = [OK % (i, i) for i in range(5)] + [""]
    assert check.replace(0, 5, 5, new) is True
    assert check.report().format == "chat"


def test_line_breaks_inside_strings_stay_inside_the_line():
    text = '{"messages":[{"role":"user","content":"a\u2028b"},{"role":"assistant","content":"c"}]}\n'
    assert len(split_lines(text)) == 2
    assert "json-syntax" not in [f.code for f in check_text(text).findings]
