"""finetune-ls dedupe: exact and near duplicates removed, the first kept, kept + removed =
input, and the report names every removed line."""

from __future__ import annotations

import json

from prep_files import chat_line, errors_of, lines_of, multiset
from finetune_ls.prep.dedupe import near_key, normalized_text
from finetune_ls.prep.source import read_source

UNIQUE = [chat_line(f"Question {n}: what is {n} squared?", f"It is {n * n}.") for n in range(12)]


def _reordered(line: str) -> str:
    """The same example as parsed JSON, written differently (key order, spacing)."""
    value = json.loads(line)
    return json.dumps({"messages": [dict(reversed(m.items())) for m in value["messages"]]}, indent=None,
                      separators=(",", ":"))


def _near(line: str) -> str:
    value = json.loads(line)
    value["messages"][1]["content"] = "  " + value["messages"][1]["content"].upper().replace("?", " ?!") + " "
    return json.dumps(value)


def test_exact_and_near_duplicates_removed_first_kept(write, cli):
    lines = UNIQUE + [UNIQUE[2], _reordered(UNIQUE[3]), _near(UNIQUE[4])]
    path = write("data.jsonl", lines)
    status, out, _ = cli("dedupe", path, "--json")
    assert status == 0
    report = json.loads(out)
    assert report["removed"] == [{"line": 13, "duplicate_of": 3, "kind": "exact"},
                                 {"line": 14, "duplicate_of": 4, "kind": "exact"},
                                 {"line": 15, "duplicate_of": 5, "kind": "near"}]
    output = path.with_name("data.dedup.jsonl")
    assert lines_of(output) == lines_of(path)[:12]  # the first copies, byte for byte, in order
    removed = [lines_of(path)[r["line"] - 1] for r in report["removed"]]
    assert multiset(output) + multiset(write("removed.jsonl", [r.decode().rstrip("\n") for r in removed])) \
        == multiset(path)  # kept + removed = input
    assert errors_of(output) == []


def test_exact_only_keeps_near_duplicates(write, cli):
    path = write("data.jsonl", UNIQUE + [_near(UNIQUE[4]), UNIQUE[0]])
    status, out, _ = cli("dedupe", path, "--exact", "-o", path.with_name("out.jsonl"))
    assert status == 0
    assert len(lines_of(path.with_name("out.jsonl"))) == 13
    assert "line 14: exact duplicate of line 1" in out


def test_text_report_and_refusals(write, cli):
    path = write("data.jsonl", UNIQUE + [UNIQUE[1]])
    status, out, _ = cli("dedupe", path)
    assert status == 0 and "kept 12 of 13 examples, removed 1" in out and "line 13: exact duplicate of line 2" in out
    status, _, err = cli("dedupe", path)
    assert status == 2 and "exists" in err
    status, _, err = cli("dedupe", path, "-o", path, "--force")
    assert status == 2 and "is the input" in err
    assert lines_of(path)[-1].rstrip(b"\n") == UNIQUE[1].encode()


def test_normalisation():
    assert normalized_text("  Hello,\tWORLD!! ") == normalized_text("hello world") == "hello world"
    assert normalized_text("ﬁne Straße") == normalized_text("fine STRASSE")  # NFKC and case folding
    assert normalized_text("2 + 2 = 4") != normalized_text("2 + 2 = 5")
    first, second = (read_source(line.encode()).lines[0].value for line in (UNIQUE[0], UNIQUE[1]))
    assert near_key(first) != near_key(second)


def test_a_file_without_duplicates_is_copied_unchanged(write, cli):
    path = write("data.jsonl", UNIQUE, ending="\r\n")
    assert cli("dedupe", path)[0] == 0
    assert path.with_name("data.dedup.jsonl").read_bytes() == path.read_bytes()
