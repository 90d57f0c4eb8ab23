"""Every rule says what its severity rests on, and an error rests on a source.

Issue 15: "where no source shows OpenAI rejecting something (for example `weight: 1.0`, an empty
assistant `content`, extra keys on a line), say what the evidence is in docs/rules.md and pick the
severity from it". The evidence is data in core/rule_evidence.py; docs/rules.md is generated from it.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from finetune_ls.core.findings import Severity
from finetune_ls.core.rule_evidence import ERROR_KINDS, KINDS, NONE, SOURCES, TOOL
from finetune_ls.core.rules import RULES
from finetune_ls.core.rules_doc import render
from helpers import ROOT, check

_OK = '{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}]}'


def _only(report, code):
    found = [f for f in report.findings if f.code == code]
    assert len(found) == 1, [(f.code, f.message) for f in report.findings]
    return found[0]


@pytest.mark.parametrize("rule", RULES.values(), ids=lambda rule: rule.code)
def test_every_rule_has_evidence(rule):
    """Every rule carries a kind from the documented set and a sentence that names a source key
    (or, for advice and tool rules, says why none is needed)."""
    assert rule.evidence is not None, f"{rule.code}: add it to core/rule_evidence.py EVIDENCE"
    assert rule.evidence.kind in KINDS
    assert len(rule.evidence.text.strip()) > 20
    for key in re.findall(r"\[([A-Z][A-Z0-9-]+)(?: [^\]]*)?\]", rule.evidence.text):
        assert key in SOURCES, f"{rule.code}: source key [{key}] is not listed in SOURCES"


@pytest.mark.parametrize("rule", RULES.values(), ids=lambda rule: rule.code)
def test_errors_rest_on_a_source(rule):
    """An error needs an observed rejection, a documented requirement or the schema; the only
    exception is internal-error, about finetune-ls itself (an unchecked line must fail CI)."""
    if rule.severity is not Severity.ERROR:
        return
    if rule.code == "internal-error":
        assert rule.evidence.kind == TOOL
        return
    assert rule.evidence.kind in ERROR_KINDS, f"{rule.code} is an error with {rule.evidence.kind} evidence"


@pytest.mark.parametrize("rule", [r for r in RULES.values() if r.evidence and r.evidence.kind == NONE],
                         ids=lambda rule: rule.code)
def test_no_source_means_no_error(rule):
    """With no source, a rule is not an error and says that OpenAI's behaviour is undocumented."""
    assert rule.severity is not Severity.ERROR
    assert "not documented" in rule.summary or "does not say" in rule.summary


def test_docs_page_shows_every_rules_evidence():
    """docs/rules.md is the generated page, up to date, with each rule's evidence and the classes."""
    page = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert page == render(), "regenerate: python -m finetune_ls.core.rules_doc > docs/rules.md"
    assert "## Evidence" in page and "## Sources" in page
    for kind in KINDS:
        assert f"- **{kind}**:" in page
    for code, rule in RULES.items():
        section = page.split(f"\n## {code}\n", 1)[1].split("\n## ", 1)[0]
        assert f"**Evidence ({rule.evidence.kind}):** {rule.evidence.text}" in section, code


def test_rules_doc_module_prints_the_page():
    """The documented command writes the same page (a subprocess, as a contributor runs it)."""
    done = subprocess.run([sys.executable, "-m", "finetune_ls.core.rules_doc"], capture_output=True, text=True,
                          check=True, cwd=ROOT)
    assert done.stdout == (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")


# ---- the cases the issue names --------------------------------------------------------------

def test_float_weight_is_a_warning_that_says_it_is_undocumented():
    """weight 1.0: the spec's "integer, enum 0 or 1" [SPEC] equals 1.0 under JSON Schema, and no
    source shows OpenAI refusing it: a warning that says so, with the fix to write 1."""
    report = check(_OK.replace('"Hello!"}', '"Hello!","weight":1.0}') + "\n")
    finding = _only(report, "invalid-weight")
    assert finding.severity is Severity.WARNING
    assert "does not say" in finding.message


@pytest.mark.parametrize("value", ['"1"', "true", "2", "0.5"])
def test_other_weights_stay_errors(value):
    """weight "1", true, 2, 0.5: outside "Allowed values: 0 or 1" [FT-GUIDE-2024], [SPEC]."""
    report = check(_OK.replace('"Hello!"}', f'"Hello!","weight":{value}}}') + "\n")
    assert _only(report, "invalid-weight").severity is Severity.ERROR


def test_empty_assistant_content_is_a_warning():
    """content "": the schema allows it [SPEC] and no source shows a rejection (the corpus expects
    a flag, not an error, on such lines [CORPUS])."""
    report = check(_OK.replace('"Hello!"', '""') + "\n")
    finding = _only(report, "empty-content")
    assert finding.severity is Severity.WARNING
    assert RULES["empty-content"].evidence.kind == "advice"
    assert "[SPEC]" in RULES["empty-content"].evidence.text and "[COOKBOOK]" in RULES["empty-content"].evidence.text


def test_extra_key_on_the_example_is_an_error():
    """'Example 536 contains an extra "tools"' [COMM-536], 'Example 1 contains an extra "weight"' [FS-WEIGHT]."""
    report = check(_OK[:-1] + ',"id":7}\n')
    finding = _only(report, "unknown-key")
    assert finding.severity is Severity.ERROR
    assert "contains an extra" in finding.message


def test_extra_key_in_a_message_is_a_warning_that_says_it_is_undocumented():
    """No source shows a rejection inside a message, and the message schemas do not forbid extra keys [SPEC]."""
    report = check(_OK.replace('"content":"Hi"', '"content":"Hi","lang":"en"') + "\n")
    finding = _only(report, "unknown-key")
    assert finding.severity is Severity.WARNING
    assert "does not say" in finding.message


def test_weight_on_the_example_is_an_error_on_a_user_message_a_warning():
    """The observed "extra \\"weight\\"" [FS-WEIGHT] was a key beside messages; on a user message no source."""
    on_example = _only(check(_OK[:-1] + ',"weight":1}\n'), "misplaced-weight")
    assert on_example.severity is Severity.ERROR
    on_user = _only(check(_OK.replace('"content":"Hi"', '"content":"Hi","weight":0') + "\n"), "misplaced-weight")
    assert on_user.severity is Severity.WARNING
    assert "does not say" in on_user.message


def test_tool_result_without_call_is_a_warning():
    """Only the chat completions API is seen refusing it [CHAT-TOOL]; fine-tuning is undocumented."""
    text = ('{"messages":[{"role":"user","content":"Weather?"},{"role":"tool","tool_call_id":"c9","content":"21C"},'
            '{"role":"assistant","content":"21C."}]}\n')
    finding = _only(check(text), "tool-result-without-call")
    assert finding.severity is Severity.WARNING
    assert "not documented" in finding.message
