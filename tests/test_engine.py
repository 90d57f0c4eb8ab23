"""The engine end to end: the same findings from text, bytes and disk, serial and in
parallel, cold and from the cache; file-level rules; summaries."""

from __future__ import annotations

import json
from datetime import date

import pytest

from helpers import check, check_file_bytes, codes, settings
from finetune_ls.core import parallel
from finetune_ls.core.engine import check_bytes, check_path, mark_overlap

OK = '{"messages":[{"role":"user","content":"Hi %d"},{"role":"assistant","content":"Hello %d!"}]}'


def ten(n=10, template=OK):
    return "".join((template % (i, i) if "%d" in template else template) + "\n" for i in range(n))


def _signature(report):
    return [(f.code, f.severity.value, f.line, f.column, f.end_line, f.end_column, f.column_utf16,
             f.end_column_utf16, f.message) for f in report.findings]


def _big_file(tmp_path, lines=30_000):
    """A >2 MB file with problems scattered over it, a record spread over lines across a
    chunk boundary, and non-ASCII text."""
    rows = []
    for i in range(lines):
        if i % 997 == 5:
            rows.append('{"messages":[{"role":"user","content":"Hi"},{"role":"model","content":"Hé 😀"}]}')
        elif i % 1499 == 7:
            rows.append('{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"x"]}')
        elif i == 6000:
            rows.extend(['{', '  "messages": [{"role": "user", "content": "pretty"},',
                         '               {"role": "assistant", "content": "printed"}]', '}'])
        else:
            rows.append(OK % (i, i) if i % 3 else OK.replace("Hi %d", "Grüße %d 😀") % (i, i))
    rows.append(OK % (1, 1))  # a duplicate of line 2
    path = tmp_path / "big.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_text_bytes_disk_serial_and_parallel_agree(tmp_path):
    path = _big_file(tmp_path)
    assert path.stat().st_size > parallel.PARALLEL_MIN_BYTES
    options = settings(model="gpt-4o-mini-2024-07-18")
    serial = check_path(str(path), options, jobs=1, use_cache=False)
    pooled = check_path(str(path), options, jobs=2, use_cache=False)
    from_text = check(path.read_text(encoding="utf-8"), model="gpt-4o-mini-2024-07-18")
    from_bytes = check_bytes(path.read_bytes(), options, jobs=2)
    assert _signature(serial) == _signature(pooled) == _signature(from_text) == _signature(from_bytes)
    assert serial.summary == pooled.summary == from_bytes.summary
    found = codes(serial)
    assert {"unknown-role", "unclosed-bracket", "multiline-record", "duplicate-example"} <= set(found)
    assert serial.summary["examples"] == 30_001 - 0  # broken lines with certain repairs count; the record counts once


def test_cache_gives_the_same_report_and_skips_unchanged_lines(tmp_path, monkeypatch):
    path = _big_file(tmp_path, lines=3000)
    options = settings(model="gpt-4o-mini-2024-07-18")
    cold = check_path(str(path), options, jobs=1)
    calls = []
    from finetune_ls.core import entries
    real = entries.parse  # every line that is not served from the cache is parsed
    monkeypatch.setattr(entries, "parse", lambda *a: calls.append(1) or real(*a))
    warm = check_path(str(path), options, jobs=1)
    assert _signature(warm) == _signature(cold) and warm.summary == cold.summary
    assert calls == []
    with path.open("a", encoding="utf-8") as handle:
        handle.write(OK % (99999, 99999) + "\n")
    again = check_path(str(path), options, jobs=1)
    assert len(calls) == 1 and again.summary["examples"] == cold.summary["examples"] + 1


def test_a_changed_checker_is_not_served_from_the_cache(tmp_path, monkeypatch):
    """A rule whose severity changed (docs/rule-evidence.md) in an editable install keeps the
    version number: the cache key carries a digest of the checker's code and data instead."""
    from finetune_ls.core import cache, entries

    path = _big_file(tmp_path, lines=200)
    options = settings(model="gpt-4o-mini-2024-07-18")
    calls = []
    real = entries.parse
    monkeypatch.setattr(entries, "parse", lambda *a: calls.append(1) or real(*a))
    check_path(str(path), options, jobs=1)
    cold = len(calls)
    assert cold >= 200
    check_path(str(path), options, jobs=1)
    assert len(calls) == cold  # the same checker: every line from the cache
    monkeypatch.setattr(cache, "_checker_digest", "another checker")
    check_path(str(path), options, jobs=1)
    assert len(calls) == 2 * cold


def test_cache_survives_a_damaged_cache_file(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text(ten(), encoding="utf-8")
    check_path(str(path), settings())
    damaged = [cached for cached in (tmp_path / "cache").rglob("*") if cached.is_file()]
    assert {cached.name for cached in damaged} >= {"file.result", "000000.shard"}
    for cached in damaged:
        cached.write_bytes(b"\x00garbage")
    assert check_path(str(path), settings()).summary["examples"] == 10


def _count_line_hashes(monkeypatch) -> list:
    from finetune_ls.core import cache

    hashed = []
    real = parallel.line_key
    monkeypatch.setattr(parallel, "line_key", lambda raw: hashed.append(1) or real(raw))
    assert cache.line_key is real
    return hashed


def test_an_unchanged_file_is_served_whole_without_hashing_its_lines(tmp_path, monkeypatch):
    """Issue 17's warm path: the same bytes again cost a read and a hash of the file, then the
    fold of its stored chunks; the report is the cold one, duplicates and records included."""
    path = _big_file(tmp_path)
    options = settings(model="gpt-4o-mini-2024-07-18")
    cold = check_path(str(path), options, jobs=2)
    hashed = _count_line_hashes(monkeypatch)  # (seen in this process only: jobs=1 from here on)
    warm = check_path(str(path), options, jobs=1)
    assert hashed == []
    assert _signature(warm) == _signature(cold) and warm.summary == cold.summary
    assert warm.examples_by_digest.keys() == cold.examples_by_digest.keys()
    assert "duplicate-example" in codes(warm) and "multiline-record" in codes(warm)
    other_model = check_path(str(path), settings(model="gpt-4.1-2025-04-14"), jobs=1)
    assert len(hashed) > 30_000  # another configuration is not served the stored result
    assert other_model.summary["examples"] == cold.summary["examples"]


def test_a_file_that_changes_while_checked_is_not_stored_whole(tmp_path, monkeypatch):
    """Chunks read after a change are not of the bytes that were hashed: stored under that hash,
    they would be served when the file holds those bytes again (an undo, a checkout)."""
    path = _big_file(tmp_path, lines=15_000)
    original = path.read_bytes()
    line = original.splitlines()[14_000]
    changed = original.replace(line, b"{" + b"x" * (len(line) - 1))  # same size, now broken
    assert len(changed) == len(original) and changed.count(b"{xxx") == 1
    options = settings(model="gpt-4o-mini-2024-07-18")

    def change_once(done, size):
        if done < size and path.read_bytes() == original:  # after the first of several chunks
            path.write_bytes(changed)

    during = check_path(str(path), options, jobs=1, progress=change_once)
    assert any(f.line == 14_000 for f in during.findings)  # the change was read
    path.write_bytes(original)
    hashed = _count_line_hashes(monkeypatch)
    again = check_path(str(path), options, jobs=1)
    assert not any(f.line == 14_000 for f in again.findings)
    assert len(hashed) == len(original.splitlines())  # nothing stored whole: every line hashed
    hashed.clear()
    assert _signature(check_path(str(path), options, jobs=1)) == _signature(again) and hashed == []  # now it is


def test_a_file_that_grows_before_it_is_hashed_is_not_stored_whole(tmp_path, monkeypatch):
    """Sized and planned, then appended to: the chunks cover the first bytes only, so they must
    not be stored under the hash of the longer file (found in review)."""
    from finetune_ls.core import engine

    path = tmp_path / "growing.jsonl"
    path.write_text(ten(20), encoding="utf-8")
    real = engine.plan_source

    def planned_then_appended(*args, **kwargs):
        planned = real(*args, **kwargs)
        if path.stat().st_size < 2000:
            with path.open("a", encoding="utf-8") as handle:
                handle.write(OK % (3, 3) + "\n" + '{"messages": [\n')
        return planned

    monkeypatch.setattr(engine, "plan_source", planned_then_appended)
    options = settings(model="gpt-4o-mini-2024-07-18")
    during = check_path(str(path), options, jobs=1)
    assert during.summary["examples"] == 20
    monkeypatch.setattr(engine, "plan_source", real)
    again, fresh = check_path(str(path), options, jobs=1), check_path(str(path), options, jobs=1, use_cache=False)
    assert _signature(again) == _signature(fresh) and again.summary == fresh.summary
    assert {"duplicate-example", "json-syntax"} <= set(codes(again)) and again.summary["examples"] == 21


def test_byte_order_mark_shifts_first_line_columns():
    plain = check_file_bytes(b'{"messages":[{"role":"bot","content":"x"}]}\n')
    with_bom = check_file_bytes(b'\xef\xbb\xbf{"messages":[{"role":"bot","content":"x"}]}\n')
    role = next(f for f in plain.findings if f.code == "unknown-role")
    shifted = next(f for f in with_bom.findings if f.code == "unknown-role")
    assert shifted.column == role.column + 1
    assert with_bom.findings[0].code == "byte-order-mark" or "byte-order-mark" in codes(with_bom)


def test_format_detection():
    dpo = '{"input":{"messages":[{"role":"user","content":"Hi"}]},"preferred_output":[{"role":"assistant","content":"Hello"}],' \
          '"non_preferred_output":[{"role":"assistant","content":"No"}]}\n'
    rft = '{"messages":[{"role":"developer","content":"Answer."},{"role":"user","content":"2+2?"}],"answer":"4"}\n'
    assert check(dpo * 10).format == "preference"
    assert check(rft * 10).format == "reinforcement"
    assert check('{"prompt":"a ->","completion":" b\\n"}\n' * 10).format == "prompt-completion"
    stray = check(ten(template='{"messages":[{"role":"user","content":"Hi %d"},{"role":"assistant","content":"Yo %d"}],"id":1}'))
    assert stray.format == "chat" and "unknown-key" in codes(stray)


def test_mixed_formats_are_flagged_per_line():
    report = check(ten() + '{"prompt":"2+2 ->","completion":" 4"}\n')
    assert report.format == "mixed"
    mixed = [f for f in report.findings if f.code == "mixed-formats"]
    assert [f.line for f in mixed] == [10]


def test_too_long_example_says_where_it_is_cut():
    long = '{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"' + "word " * 70_000 + '"}]}\n'
    report = check(long, model="gpt-4o-mini-2024-07-18")
    finding = next(f for f in report.findings if f.code == "example-too-long")
    assert "65,536" in finding.message and "message 2 (assistant)" in finding.message
    assert finding.pointer == "/messages/1"
    assert report.summary["over_limit"] == 1
    assert report.summary["billed_tokens"] == 65_536 * report.summary["epochs"]


def test_model_dates_follow_today():
    before = check(ten(), model="gpt-4o-mini-2024-07-18", today=date(2026, 11, 26))
    after = check(ten(), model="gpt-4o-mini-2024-07-18", today=date(2027, 1, 6))
    assert "model-retiring" in codes(before) and "model-not-trainable" not in codes(before)
    assert "model-not-trainable" in codes(after)
    elsewhere = check(ten(), model="gpt-4o-mini-2024-07-18", today=date(2027, 1, 6), provider="compatible")
    assert "model-not-trainable" not in codes(elsewhere) and "model-retiring" not in codes(elsewhere)


def test_retired_model_names_the_alternatives():
    report = check(ten(), model="gpt-3.5-turbo-0125")
    finding = next(f for f in report.findings if f.code == "model-not-trainable")
    assert "2026-10-23" in finding.message and "gpt-4o-mini-2024-07-18" in finding.message


def test_legacy_file_says_to_convert():
    report = check('{"prompt":"2+2 ->","completion":" 4\\n"}\n' * 10)
    finding = next(f for f in report.findings if f.code == "model-not-trainable")
    assert "convert" in finding.message.lower()


def test_fine_tuned_model_resolves_to_its_base():
    report = check(ten(), model="ft:gpt-4.1-mini-2025-04-14:acme::abc123")
    assert report.summary["encoding"] == "o200k_base"
    assert report.summary["training_context"] == 65_536
    assert "unknown-model" not in codes(report)


def test_unknown_model_still_counts():
    report = check(ten(), model="my-local-llama")
    assert "unknown-model" in codes(report)
    assert report.summary["tokens"] > 0 and report.summary["estimated_cost_usd"] is None


def test_summary_costs_and_epochs():
    report = check(ten(), model="gpt-4o-mini-2024-07-18")
    summary = report.summary
    assert summary["examples"] == 10 and summary["epochs"] == 10  # 100 // 10 by the heuristic
    assert summary["billed_tokens"] == summary["tokens"] * 10
    assert summary["estimated_cost_usd"] == round(summary["billed_tokens"] * 3.0 / 1e6, 2)
    given = check(ten(), model="gpt-4o-mini-2024-07-18", epochs=2).summary
    assert given["epochs"] == 2 and given["epochs_source"] == "given"
    models = [row["model"] for row in summary["cost_comparison"]]
    assert "gpt-4.1-2025-04-14" in models and "gpt-3.5-turbo-0125" not in models  # retired, and another tokenizer


def test_validation_overlap_is_flagged_in_both_files():
    train = check_file_bytes(ten().encode())
    valid = check_file_bytes((OK % (3, 3) + "\n" + OK % (50, 50) + "\n").encode(), role="validation")
    assert mark_overlap(train, valid) == 1
    assert [f.line for f in train.findings if f.code == "validation-overlap"] == [3]
    assert [f.line for f in valid.findings if f.code == "validation-overlap"] == [0]
    assert "too-few-examples" not in codes(valid)  # no minimum for a validation file


def test_single_line_json_array_fix_splits_it():
    line = json.dumps([json.loads(OK % (i, i)) for i in range(3)])
    report = check(line + "\n")
    finding = next(f for f in report.findings if f.code == "json-array")
    assert finding.fix.edits[0].new_text.count("\n") == 2


def test_blank_lines_but_not_the_final_newline():
    report = check(ten() + "\n")
    assert [f.line for f in report.findings if f.code == "blank-line"] == [10]
    assert "blank-line" not in codes(check(ten()))


@pytest.mark.parametrize("text", ["", "\n", "   \n\n"])
def test_empty_files(text):
    report = check(text)
    assert "too-few-examples" in codes(report)
    assert report.summary["examples"] == 0
