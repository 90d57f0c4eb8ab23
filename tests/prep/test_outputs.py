"""Where preparation commands write: beside the input, never over it or another file
unasked, the whole file or nothing, also where hard links are not allowed."""

import errno
import os

import pytest

from finetune_ls.prep import outputs
from finetune_ls.prep.outputs import default_output, refusal, write_atomically


def test_default_names_sit_beside_the_input():
    assert default_output("/d/data.csv", "chat") == "/d/data.chat.jsonl"
    assert default_output("/d/data.jsonl", "train") == "/d/data.train.jsonl"
    assert default_output("/d/data", "dedup") == "/d/data.dedup.jsonl"


def test_the_input_and_existing_files_are_refused(tmp_path):
    source, other = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text("{}\n")
    other.write_text("keep\n")
    assert "is the input file" in refusal(str(source), str(source), replace=True)
    assert refusal(str(source), str(other), how_to_replace="; use --force").endswith("exists; use --force")
    assert refusal(str(source), str(other), replace=True) is None
    assert refusal(str(source), str(tmp_path / "new.jsonl")) is None


def test_a_file_that_appears_meanwhile_is_never_replaced(tmp_path):
    target = tmp_path / "out.jsonl"
    target.write_text("keep\n")
    with pytest.raises(FileExistsError):
        write_atomically(str(target), "new\n")
    assert target.read_text() == "keep\n" and os.listdir(tmp_path) == ["out.jsonl"]
    write_atomically(str(target), b"new\n", replace=True)
    assert target.read_text() == "new\n"


@pytest.mark.parametrize("code", [errno.EPERM, errno.EOPNOTSUPP])
def test_without_hard_links_the_file_is_still_written_only_if_new(tmp_path, monkeypatch, code):
    def no_links(source, target):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(outputs.os, "link", no_links)  # a file system without hard links (FAT, some shares)
    target = tmp_path / "out.jsonl"
    write_atomically(str(target), "é\n")
    assert target.read_text(encoding="utf-8") == "é\n" and os.listdir(tmp_path) == ["out.jsonl"]
    with pytest.raises(FileExistsError):
        write_atomically(str(target), "other\n")
    assert target.read_text(encoding="utf-8") == "é\n" and os.listdir(tmp_path) == ["out.jsonl"]
