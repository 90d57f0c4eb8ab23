"""Broken JSON lines get one precise finding per problem, at the right column, with a
fix that makes the line parse."""

from __future__ import annotations

import json

import pytest

from helpers import check
from finetune_ls.core.edits import apply_edits
from finetune_ls.core.syntax import diagnose


def _problems(text):
    return [(p.rule.code, p.start, p.end) for p in diagnose(text).problems]


def test_object_closed_by_the_wrong_bracket():
    line = '{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"]}'
    diagnosis = diagnose(line)
    assert _problems(line) == [("unclosed-bracket", 82, 83)]
    assert "column 45" in diagnosis.problems[0].message
    assert diagnosis.repaired_ok


def test_every_problem_on_a_line_is_reported_not_only_the_first():
    line = '{"a":"x\ty","b":[1,2,],"c":{"d":1]}'
    codes = [code for code, _, _ in _problems(line)]
    assert codes == ["json-syntax", "trailing-comma", "unclosed-bracket"]
    report = check(line + "\n")
    fixed = line
    for finding in sorted(report.findings, key=lambda f: -f.column):
        if finding.fix:
            fixed = apply_edits(fixed, finding.fix.edits)
    json.loads(fixed)


def test_positions_map_back_after_earlier_repairs():
    line = '{"a":[1,2}, "b":[3,4}}'
    problems = diagnose(line).problems
    assert [p.start for p in problems] == [9, 20]
    assert all(line[p.start] == "}" for p in problems)


def test_line_ending_before_the_object_closes():
    problems = diagnose('{"messages":[{"role":"user","content":"Hi"}').problems
    assert problems[0].rule.code == "unclosed-bracket"
    assert problems[0].edits[0].new_text == "]}"


def test_unterminated_string_names_its_start():
    problems = diagnose('{"a":"no end').problems
    assert problems[0].rule.code == "json-syntax" and "column 6" in problems[0].message


@pytest.mark.parametrize("line", ["// comment", "# comment", "/* c */"])
def test_comment_lines(line):
    assert _problems(line)[0][0] == "comment-line"


def test_python_dict_is_recognised_and_rewritten():
    problems = diagnose("{'messages': [{'role': 'user', 'content': 'Hi', 'ok': True, 'x': None}]}").problems
    assert problems[0].rule.code == "python-literal"
    assert json.loads(problems[0].edits[0].new_text)["messages"][0]["ok"] is True


def test_two_examples_on_one_line():
    problems = diagnose('{"a":1} {"b":2}').problems
    assert len(problems) == 1 and "second example" in problems[0].message


def test_nan_is_named():
    assert "NaN" in diagnose('{"a":NaN}').problems[0].message


def test_a_line_from_a_json_array_keeps_its_comma():
    problems = diagnose('{"a":1},').problems
    assert problems[0].rule.code == "trailing-comma"
