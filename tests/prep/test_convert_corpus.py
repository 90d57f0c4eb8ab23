"""The legacy prompt/completion files people published, converted to chat: each converted
file passes `check` as chat, with one example for every example of the source."""

from __future__ import annotations

import json

import pytest

from finetune_ls.cli.main import main
from helpers import CORPUS, TODAY

LEGACY = sorted((CORPUS / "legacy").glob("*.jsonl")) if (CORPUS / "legacy").is_dir() else []


@pytest.mark.skipif(not LEGACY, reason=f"the real-world corpus is not at {CORPUS} (set FINETUNE_LS_CORPUS)")
@pytest.mark.parametrize("source", LEGACY, ids=lambda path: path.name.split("__")[0])
def test_legacy_file_converts_to_chat_that_passes_check(capsys, tmp_path, source):
    output = tmp_path / "chat.jsonl"
    assert main(["convert", "--today", TODAY.isoformat(), str(source), "-o", str(output)]) == 0
    assert capsys.readouterr().out.startswith("detected shape: prompt-completion")
    assert main(["check", "--today", TODAY.isoformat(), "--no-cache", "--format", "json", str(output)]) == 0
    report = json.loads(capsys.readouterr().out)["files"][0]
    source_examples = sum(1 for line in source.read_text(encoding="utf-8").splitlines() if line.strip())
    assert (report["format"], report["summary"]["errors"], report["summary"]["examples"]) == \
        ("chat", 0, source_examples)
    for line in output.read_text(encoding="utf-8").splitlines():  # the legacy markers are gone
        messages = json.loads(line)["messages"]
        assert not messages[-1]["content"].endswith((" END", "\n"))
        assert all(not m["content"].endswith((" ->", "\n\n###\n\n")) for m in messages if m["role"] == "user")


def test_the_corpus_has_the_seven_legacy_files():
    if not (CORPUS / "legacy").is_dir():
        pytest.skip(f"the real-world corpus is not at {CORPUS} (set FINETUNE_LS_CORPUS)")
    assert len(LEGACY) == 7
