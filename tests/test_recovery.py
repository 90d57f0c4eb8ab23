"""Records spread over lines, broken lines with several problems, and the file shapes
users really produce (found by review; each test pins one behaviour)."""

from __future__ import annotations

import json

from helpers import check, check_file_bytes, codes
from finetune_ls.core.edits import apply_edits
from finetune_ls.core.engine import mark_overlap
from finetune_ls.core.records import recover

OK = '{"messages":[{"role":"user","content":"q%d"},{"role":"assistant","content":"a%d"}]}'
PAD = "".join(OK % (i, i) + "\n" for i in range(10))


def _errors(report):
    return [f for f in report.findings if f.severity.value == "error" and f.scope == "line"]


def test_many_lines_missing_their_last_brace_stay_separate():
    line = '{"messages":[{"role":"user","content":"hello there"},{"role":"assistant","content":"hi"}]'
    report = check((line + "\n") * 3000)
    assert codes(report).count("unclosed-bracket") == 3000
    assert report.summary["examples"] == 3000


def test_recovery_has_a_work_budget():
    lines = ['{"a": "never closed'] * 3000
    assert recover(lines) == []  # and returns: no scan of the whole run per line


def test_pretty_printed_example_with_valid_inner_lines():
    text = PAD + '{"messages": [\n  {"role": "user", "content": "hi"},\n  {"role": "assistant", "content": "hello"}\n]}\n'
    report = check(text)
    assert [f.code for f in _errors(report)] == ["multiline-record"]
    assert report.summary["examples"] == 11


def test_array_with_one_example_per_line():
    body = ",\n".join(OK % (i, i) for i in range(12))
    report = check("[\n" + body + "\n]\n")
    assert [f.code for f in _errors(report)] == ["json-array"]
    assert report.summary["examples"] == 12 and report.format == "chat"
    fixed = apply_edits("[\n" + body + "\n]\n", report.findings[0].fix.edits)
    assert not _errors(check(fixed))


def test_one_line_array_file_counts_its_examples():
    report = check(json.dumps([json.loads(OK % (i, i)) for i in range(12)]) + "\n")
    assert report.format == "chat" and report.summary["examples"] == 12
    assert "too-few-examples" not in codes(report)


def test_opening_line_of_a_truncated_object_gets_no_closing_fix():
    report = check(PAD + '{"messages": [\n  {"role": "user", "content": "hi"},\n')
    first = next(f for f in report.findings if f.line == 10)
    assert first.fix is None


def test_key_value_fragment_is_named():
    report = check(PAD + '  "messages": [\n')
    assert any("key and its value" in f.message for f in report.findings if f.line == 10)


def test_every_syntax_problem_of_a_kind_is_reported_and_fix_all_repairs():
    line = '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"x",}],}'
    report = check(PAD + line + "\n")
    commas = [f for f in report.findings if f.code == "trailing-comma"]
    assert len(commas) == 2
    fixed = apply_edits(line, [e.shifted(-10) for f in commas for e in f.fix.edits])
    json.loads(fixed)
    tabs = check(PAD + '{"a":"a\tb\tc"}\n')
    assert sum("tab" in f.message for f in tabs.findings) == 2


def test_a_repaired_line_is_also_checked_for_meaning():
    line = '{"messages":[{"role":"user","content":"a\tb"},{"role":"model","content":"x","weight":1.0}]}'
    report = check(PAD + line + "\n")
    found = {f.code: f for f in report.findings if f.line == 10}
    assert {"json-syntax", "unknown-role", "invalid-weight"} <= set(found)
    assert line[found["unknown-role"].column:found["unknown-role"].end_column] == '"model"'


def test_non_string_role_is_a_finding_not_a_crash():
    for role in ('{"name":"user"}', '["user"]', "7"):
        line = '{"messages":[{"role":%s,"content":"hi"},{"role":"assistant","content":"x"}]}' % role
        report = check_file_bytes((PAD + line + "\n").encode())
        assert "internal-error" not in codes(report)
        assert any(f.code in ("wrong-type", "unknown-role") for f in report.findings)


def test_lone_surrogate_with_schema_errors():
    line = '{"messages":[{"role":"user","content":"x"},{"role":"assistant","content":"y","name":5,"x":"\\ud83d"}]}'
    report = check(PAD + line + "\n")
    assert "internal-error" not in codes(report)
    assert {"wrong-type", "unknown-key", "invalid-unicode-escape"} <= set(codes(report))


def test_removing_two_neighbouring_keys_gives_separate_edits():
    line = '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"x"}],"x":1,"y":2}'
    report = check(PAD + line + "\n")
    edits = [e for f in report.findings if f.code == "unknown-key" for e in f.fix.edits]
    assert len(edits) == 2
    assert json.loads(apply_edits(line, [edit.shifted(-10) for edit in edits])) == json.loads(OK.replace("q%d", "hi")
                                                                                              .replace("a%d", "x"))


def test_validation_file_is_not_billed_and_bom_overlap_columns():
    train = check_file_bytes(b"\xef\xbb\xbf" + PAD.encode())
    valid = check_file_bytes((OK % (0, 0) + "\n").encode(), role="validation")
    mark_overlap(train, valid)
    assert valid.summary["billed_tokens"] is None and valid.summary["estimated_cost_usd"] is None
    overlap = next(f for f in train.findings if f.code == "validation-overlap")
    assert (overlap.column, overlap.end_column) == (1, len(OK % (0, 0)) + 1)


def test_reinforcement_is_not_billed_per_token():
    rft = '{"messages":[{"role":"developer","content":"Answer."},{"role":"user","content":"2+%d?"}],"answer":"x"}\n'
    summary = check("".join(rft % i for i in range(10))).summary
    assert summary["billed_tokens"] is None and "hour" in summary["cost_note"]


def test_a_chat_line_with_a_stray_key_and_a_wrong_role_is_still_chat():
    report = check('{"messages":[{"role":"user","content":"hi"},{"role":"model","content":"x"}],"id":1}\n')
    assert report.format == "chat" and {"unknown-role", "unknown-key"} <= set(codes(report))
