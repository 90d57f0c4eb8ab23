"""Uploads through the project's own code against the stateful fake: big files in parts
(the Uploads API), progress, and a cancel that keeps the upload's id."""

from __future__ import annotations

import pytest

from finetune_ls.api import files
from finetune_ls.api.errors import Cancelled
from finetune_ls.api.ledger import Ledger

import api_fixtures

client, training = api_fixtures.client, api_fixtures.training  # the fixtures test_api_upload_reuse.py uses too


def test_a_big_file_goes_in_parts_and_arrives_whole(client, fake_openai, training, tmp_path, monkeypatch):
    monkeypatch.setattr(files, "FILES_API_LIMIT", 1000)
    monkeypatch.setattr(files, "PART_BYTES", 700)
    seen = []
    done = files.upload(client, str(training), Ledger(str(tmp_path)), progress=lambda sent, total: seen.append(sent))
    assert done.upload_id and done.file.status == "processed"
    assert fake_openai.file_content(done.file.id) == training.read_bytes()
    parts = fake_openai.requests_to("POST /v1/uploads/")
    assert len([r for r in parts if r.path.endswith("/parts")]) == -(-training.stat().st_size // 700)
    assert seen[-1] == training.stat().st_size and seen == sorted(seen)
    kinds = [(e["kind"], e["id"]) for e in Ledger(str(tmp_path)).entries()]
    assert kinds == [("upload", done.upload_id), ("file", done.file.id)]


def test_a_small_file_reports_progress_and_arrives_whole(client, fake_openai, training, tmp_path):
    seen = []
    done = files.upload(client, str(training), Ledger(str(tmp_path)), progress=lambda sent, total: seen.append(sent))
    assert done.upload_id is None and fake_openai.file_content(done.file.id) == training.read_bytes()
    assert seen and seen[-1] == training.stat().st_size


def test_a_cancelled_upload_in_parts_is_cancelled_on_the_server_and_kept_in_the_ledger(
        client, fake_openai, training, tmp_path, monkeypatch):
    monkeypatch.setattr(files, "FILES_API_LIMIT", 1000)
    monkeypatch.setattr(files, "PART_BYTES", 700)
    calls = []
    with pytest.raises(Cancelled, match="cancelled after 1,400"):
        files.upload(client, str(training), Ledger(str(tmp_path)), cancelled=lambda: calls.append(1) or len(calls) > 2)
    kinds = [e["kind"] for e in Ledger(str(tmp_path)).entries()]
    assert kinds == ["upload", "upload-cancelled"]
    assert fake_openai.requests_to("POST /v1/uploads/")[-1].path.endswith("/cancel")
