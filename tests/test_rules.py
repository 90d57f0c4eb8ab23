"""Every rule's documented example triggers it, and its counter-example does not.

The examples live with the rules (core/rules.py) and make docs/rules.md, so the
documentation is proven by this test on every run.
"""

from __future__ import annotations

import pytest

from helpers import ROOT, check, check_file_bytes, codes, settings
from finetune_ls.core.edits import apply_edits
from finetune_ls.core.engine import check_text, mark_overlap
from finetune_ls.core.rules import RULES, example_bytes, example_text
from finetune_ls.core.rules_doc import render

TESTABLE = [rule for rule in RULES.values() if rule.code != "internal-error"]
# Rules whose example is one small text file (not two files, not built on demand, not raw bytes).
SINGLE_TEXT = [rule for rule in TESTABLE if rule.validation_example is None and not callable(rule.example)
               and rule.code != "invalid-utf8"]


def _run(rule, text_or_bytes, options):
    data = example_bytes(text_or_bytes)
    report = check_file_bytes(data, **options)
    if rule.validation_example is not None:
        validation = check_file_bytes(example_bytes(rule.validation_example), role="validation", **options)
        mark_overlap(report, validation)
    return report


@pytest.mark.parametrize("rule", TESTABLE, ids=lambda rule: rule.code)
def test_example_triggers_rule(rule):
    report = _run(rule, rule.example, rule.settings)
    assert rule.code in codes(report), [(f.code, f.message) for f in report.findings]
    finding = next(f for f in report.findings if f.code == rule.code)
    assert finding.severity == rule.severity
    assert finding.scope == rule.scope
    assert finding.message.strip()


@pytest.mark.parametrize("rule", TESTABLE, ids=lambda rule: rule.code)
def test_counter_example_does_not(rule):
    options = rule.settings if rule.counter_settings is None else rule.counter_settings
    report = _run(rule, rule.counter_example, options)
    assert rule.code not in codes(report), [(f.code, f.message) for f in report.findings if f.code == rule.code]


@pytest.mark.parametrize("rule", SINGLE_TEXT, ids=lambda rule: rule.code)
def test_text_and_bytes_paths_agree(rule):
    """The language server checks text, the CLI bytes: both must find the same."""
    text = example_text(rule.example)
    from_text = check(text, **rule.settings)
    from_bytes = check_file_bytes(text.encode("utf-8"), **rule.settings)
    assert [(f.code, f.line, f.column, f.end_line, f.end_column) for f in from_text.findings] == \
           [(f.code, f.line, f.column, f.end_line, f.end_column) for f in from_bytes.findings]


@pytest.mark.parametrize("rule", [r for r in TESTABLE if r.quick_fix], ids=lambda rule: rule.code)
def test_fix_removes_the_finding(rule):
    """A rule that promises a quick fix carries one, and applying it (as the editor
    would) removes the finding."""
    text = example_text(rule.example)
    report = check(text, **rule.settings)
    found = [f for f in report.findings if f.code == rule.code]
    assert found and all(f.fix and f.fix.edits for f in found), "the finding carries no fix"
    fixed = apply_edits(text, found[0].fix.edits)
    after = check_text(fixed, settings(**rule.settings))
    assert sum(f.code == rule.code for f in after.findings) < len(found), fixed[:300]
    assert not any(f.severity.value == "error" and f.code in ("json-syntax", "unclosed-bracket")
                   for f in after.findings), "the fix broke the JSON"


@pytest.mark.parametrize("rule", [r for r in SINGLE_TEXT if not r.quick_fix], ids=lambda rule: rule.code)
def test_rules_without_quick_fix_offer_none(rule):
    report = check(example_text(rule.example), **rule.settings)
    assert all(f.fix is None for f in report.findings if f.code == rule.code)


def test_rules_doc_is_current():
    assert (ROOT / "docs" / "rules.md").read_text(encoding="utf-8") == render(), \
        "run: python -m finetune_ls.core.rules_doc docs/rules.md"


def test_codes_are_kebab_case_and_unique():
    for code in RULES:
        assert code == code.lower() and " " not in code and "_" not in code


@pytest.mark.parametrize("rule", [r for r in TESTABLE if r.marks is not None], ids=lambda rule: rule.code)
def test_finding_covers_exactly_the_offending_text(rule):
    """Each finding's range (code points, and UTF-16 for the editor) covers the value at fault."""
    data = example_bytes(rule.example)
    report = _run(rule, rule.example, rule.settings)
    finding = next(f for f in report.findings if f.code == rule.code and f.scope == "line")
    lines = data.decode("utf-8", "surrogateescape").split("\n")
    line = lines[finding.line]
    expected = line if rule.marks == "<line>" else rule.marks
    assert finding.end_line == finding.line
    assert line[finding.column:finding.end_column] == expected, (finding.column, finding.end_column)
    utf16 = line.encode("utf-16-le", "surrogatepass")
    assert utf16[2 * finding.column_utf16:2 * finding.end_column_utf16] == expected.encode("utf-16-le", "surrogatepass")
