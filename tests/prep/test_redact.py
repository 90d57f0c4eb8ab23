"""finetune-ls redact: placeholders where the privacy rules find something, every other
line byte for byte, and the output passes check without privacy findings."""

from __future__ import annotations

import json

from prep_files import chat_line, errors_of, lines_of
from helpers import TODAY
from finetune_ls.core.engine import CheckSettings, check_path

PRIVATE = ["Mail jane.roe@fastmail.fm or call +44 20 7946 0958",
           "My key is sk-proj-4f9Qa1Zr8Lm2Xc7Vb3Nd6Ke0Tw5Yu, card 4539 1488 0343 6467",
           "Caf\u00e9 \"owner\": (415) 555-2671"]
CLEAN = [chat_line(f"Question {n}", f"Answer {n}.", system=None) for n in range(10)]


def _privacy_codes(path) -> list[str]:
    report = check_path(str(path), CheckSettings(count_tokens=False, today=TODAY), jobs=1, use_cache=False)
    return [f.code for f in report.findings if f.code.endswith("-in-text")]


def test_replaces_each_kind_and_keeps_other_lines(write, cli):
    lines = CLEAN[:5] + [chat_line(text, "Noted.", system=None) for text in PRIVATE] + CLEAN[5:]
    lines[7] = json.dumps(json.loads(lines[7]), ensure_ascii=True)  # escapes before the match
    path = write("data.jsonl", lines)
    assert len(_privacy_codes(path)) == 5
    status, out, _ = cli("redact", path, "--json")
    assert status == 0
    report = json.loads(out)
    assert sorted(r["code"] for r in report["replacements"]) == sorted(
        ["email-in-text", "phone-in-text", "secret-in-text", "card-number-in-text", "phone-in-text"])
    output = path.with_name("data.redacted.jsonl")
    before, after = lines_of(path), lines_of(output)
    assert len(after) == len(before)
    changed = [n for n, (a, b) in enumerate(zip(before, after)) if a != b]
    assert changed == [5, 6, 7]
    contents = [json.loads(after[n])["messages"][0]["content"] for n in changed]
    assert contents == ["Mail [EMAIL] or call [PHONE]", "My key is [API_KEY], card [CARD_NUMBER]",
                        "Caf\u00e9 \"owner\": [PHONE]"]
    assert _privacy_codes(output) == [] and errors_of(output) == []


def test_the_text_report_names_places_not_values(write, cli):
    path = write("data.jsonl", CLEAN + [chat_line(PRIVATE[0], "Ok.", system=None)])
    status, out, _ = cli("redact", path, "-o", path.with_name("clean.jsonl"))
    assert status == 0
    assert "line 11:" in out and "email-in-text -> [EMAIL]" in out
    assert "jane.roe" not in out and "7946" not in out


def test_nothing_to_redact_copies_the_file(write, cli):
    path = write("data.jsonl", CLEAN, ending="\r\n")
    status, out, _ = cli("redact", path)
    assert status == 0 and "0 replacement(s)" in out
    assert path.with_name("data.redacted.jsonl").read_bytes() == path.read_bytes()


def test_force_replaces_an_earlier_output(write, cli):
    path = write("data.jsonl", CLEAN + [chat_line(PRIVATE[0], "Ok.", system=None)])
    output = path.with_name("data.redacted.jsonl")
    output.write_text("old\n")
    assert cli("redact", path)[0] == 2 and output.read_text() == "old\n"
    assert cli("redact", path, "--force")[0] == 0
    assert b"[EMAIL]" in output.read_bytes()
