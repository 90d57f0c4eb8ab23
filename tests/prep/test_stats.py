"""finetune-ls stats: the numbers, checked against counts made by hand and by check."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree

from prep_files import chat_line
from helpers import TODAY
from finetune_ls.core.engine import CheckSettings, check_path
from finetune_ls.prep.plot import bins

MODEL = "gpt-4o-mini-2024-07-18"


def _lines() -> list[str]:
    lines = [chat_line(f"Question {n}", "Short." if n % 2 else "A much longer answer " * (n + 1), system="Be brief.")
             for n in range(9)]
    lines.append(chat_line("No system prompt here", "Fine.", system=None))
    lines.append(chat_line("Another prompt", "Yes.", system="Be verbose."))
    lines.append(json.dumps({"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"},
                                          {"role": "user", "content": "c"}, {"role": "assistant", "content": "d"}]}))
    return lines


def test_counts_agree_with_check(write, cli):
    path = write("data.jsonl", _lines())
    status, out, _ = cli("stats", path, "--model", MODEL, "--json")
    assert status == 0
    stats = json.loads(out)
    summary = check_path(str(path), CheckSettings(model=MODEL, today=TODAY), jobs=1, use_cache=False).summary
    assert stats["examples"] == 12
    assert stats["tokens"] == summary["tokens"]
    assert stats["trained_tokens"] == summary["trained_tokens"]
    assert sum(stats["tokens_by_role"].values()) == stats["tokens"]
    assert stats["tokens_per_example"]["maximum"] == stats["longest_examples"][0]["tokens"]
    assert stats["longest_examples"][0]["line"] == 9  # the longest answer: n = 8
    assert stats["messages_per_example"]["minimum"] == 2 and stats["messages_per_example"]["maximum"] == 4
    assert stats["system_prompts"] == 2
    assert stats["system_prompt_variants"] == [{"examples": 9, "preview": "Be brief."},
                                               {"examples": 1, "preview": "Be verbose."}]
    assert set(stats["tokens_by_role"]) >= {"system", "user", "assistant"}


def test_table_and_svg_histogram(write, cli, tmp_path):
    path = write("data.jsonl", _lines())
    picture = tmp_path / "tokens.svg"
    status, out, _ = cli("stats", path, "--plot", picture)
    assert status == 0
    for label in ("examples", "messages per example", "tokens per example", "longest examples", "system prompts"):
        assert label in out
    svg = ElementTree.fromstring(picture.read_text())
    bars = [r for r in svg.iter("{http://www.w3.org/2000/svg}rect") if r.find("{http://www.w3.org/2000/svg}title")
            is not None]
    counts = [int(r.find("{http://www.w3.org/2000/svg}title").text.rsplit(": ", 1)[1]) for r in bars]
    assert sum(counts) == 12  # every example in one bar
    assert cli("stats", path, "--plot", picture)[0] == 2  # an existing picture is not replaced without --force


def test_bins_cover_every_value_once():
    values = [1, 2, 2, 3, 50, 99, 100]
    rows = bins(values, count=4)
    assert sum(n for _, _, n in rows) == len(values)
    assert rows[0][0] == 1 and rows[-1][1] > 100
    assert all(low < high for low, high, _ in rows)
    assert bins([]) == [] and bins([5, 5]) == [(5, 6, 2)]
