"""Upload reuses what the ledger already holds for the same content (sha256), against the
stateful fake: one file on the server for two uploads of the same bytes; changed content,
a file deleted (through the API, or through this tool's ledger), `reuse=False` and entries
without a hash upload anew; both upload paths record the hash; a reused file with errors is
still refused; `jobs.plan` with a local path reuses too."""

from __future__ import annotations

import hashlib
import json
from datetime import date

import pytest

from finetune_ls.api import files, jobs
from finetune_ls.api.ledger import Ledger
from finetune_ls.core.catalog import bundled_catalog
from finetune_ls.core.engine import CheckSettings

import api_fixtures

client, training = api_fixtures.client, api_fixtures.training  # the fixtures test_api_uploads.py uses too


@pytest.fixture
def ledger(tmp_path):
    return Ledger(str(tmp_path))


def uploads(fake_openai) -> int:
    """Uploads begun: through the Files API, or the Uploads API (not counting its parts)."""
    return len([r for r in fake_openai.requests_to("POST /v1/") if r.path in ("/v1/files", "/v1/uploads")])


def test_the_same_content_again_is_the_file_uploaded_before(client, fake_openai, training, ledger):
    first = files.upload(client, str(training), ledger)
    again = files.upload(client, str(training), ledger)
    assert not first.reused and again.reused and again.file.id == first.file.id
    assert again.uploaded_at == ledger.latest("file")["time"] and again.report is not None  # it was checked
    assert uploads(fake_openai) == 1 and list(fake_openai.state.files) == [first.file.id]
    assert ledger.latest("file")["sha256"] == hashlib.sha256(training.read_bytes()).hexdigest()
    assert [e["kind"] for e in ledger.entries()] == ["file"]  # reusing makes no new id


def test_the_same_content_under_another_name_is_reused_too(client, fake_openai, training, ledger, tmp_path):
    first = files.upload(client, str(training), ledger)
    copy = tmp_path / "copy.jsonl"
    copy.write_bytes(training.read_bytes())
    assert files.uploaded_copy(client, ledger, str(copy)).file.id == first.file.id


def test_changed_content_is_uploaded(client, fake_openai, training, ledger):
    first = files.upload(client, str(training), ledger)
    training.write_text(training.read_text(encoding="utf-8").replace("q1 ", "Q1 "), encoding="utf-8")  # same size
    changed = files.upload(client, str(training), ledger)
    assert not changed.reused and changed.file.id != first.file.id and uploads(fake_openai) == 2


def test_new_uploads_again_and_the_newest_is_reused_after(client, fake_openai, training, ledger):
    first = files.upload(client, str(training), ledger)
    second = files.upload(client, str(training), ledger, reuse=False)
    assert not second.reused and second.file.id != first.file.id and uploads(fake_openai) == 2
    assert files.upload(client, str(training), ledger).file.id == second.file.id


def test_a_file_deleted_through_the_api_is_not_reused_and_that_is_no_error(client, fake_openai, training, ledger):
    first = files.upload(client, str(training), ledger)
    client.files.delete(first.file.id)  # elsewhere: the ledger does not know
    assert files.uploaded_copy(client, ledger, str(training)) is None
    again = files.upload(client, str(training), ledger)
    assert not again.reused and again.file.id != first.file.id


def test_a_file_deleted_through_this_tool_is_not_even_looked_up(client, fake_openai, training, ledger):
    first = files.upload(client, str(training), ledger)
    files.delete_file(client, first.file.id, ledger)
    before = len(fake_openai.requests_to("GET /v1/files/"))
    assert files.uploaded_copy(client, ledger, str(training)) is None
    assert len(fake_openai.requests_to("GET /v1/files/")) == before


def test_a_file_that_failed_processing_is_not_reused(client, fake_openai, training, ledger):
    first = files.upload(client, str(training), ledger)
    fake_openai.set_file_status(first.file.id, "error", "Invalid file format.")
    assert files.upload(client, str(training), ledger).file.id != first.file.id


def test_entries_without_a_hash_are_never_reused(client, fake_openai, training, ledger):
    first = files.upload(client, str(training), ledger)
    lines = [json.loads(line) for line in open(ledger.path, encoding="utf-8")]
    for entry in lines:
        entry.pop("sha256")  # as written before hashes were recorded
    with open(ledger.path, "w", encoding="utf-8") as out:
        out.writelines(json.dumps(entry) + "\n" for entry in lines)
    assert files.uploaded_copy(client, ledger, str(training)) is None
    assert files.upload(client, str(training), ledger).file.id != first.file.id


def test_another_purpose_is_not_reused(client, fake_openai, training, ledger):
    files.upload(client, str(training), ledger, purpose="batch", force=True)
    assert files.uploaded_copy(client, ledger, str(training)) is None


def test_a_reused_file_with_errors_is_still_refused_unless_forced(client, fake_openai, tmp_path, ledger):
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"messages":[{"role":"bot","content":"x"}]}\n' * 12, encoding="utf-8")
    first = files.upload(client, str(broken), ledger, force=True)
    with pytest.raises(files.CheckFailed):
        files.upload(client, str(broken), ledger)
    forced = files.upload(client, str(broken), ledger, force=True)
    assert forced.reused and forced.file.id == first.file.id and uploads(fake_openai) == 1


def test_the_uploads_api_records_the_hash_and_is_reused(client, fake_openai, training, ledger, monkeypatch):
    monkeypatch.setattr(files, "FILES_API_LIMIT", 1000)
    monkeypatch.setattr(files, "PART_BYTES", 700)
    first = files.upload(client, str(training), ledger)
    assert first.upload_id
    entry = ledger.latest("file")
    assert entry["sha256"] == hashlib.sha256(training.read_bytes()).hexdigest() and entry["upload"] == first.upload_id
    again = files.upload(client, str(training), ledger)
    assert again.reused and again.file.id == first.file.id and again.upload_id == first.upload_id
    assert uploads(fake_openai) == 1


def test_a_file_never_uploaded_is_read_once_for_its_upload(client, fake_openai, training, ledger, monkeypatch):
    hashed = []
    monkeypatch.setattr(files, "content_sha256", lambda path: hashed.append(path) or "not used")
    done = files.upload(client, str(training), ledger, force=True)  # no check: the upload is the one read
    assert hashed == [] and ledger.latest("file")["sha256"] == hashlib.sha256(training.read_bytes()).hexdigest()
    assert fake_openai.file_content(done.file.id) == training.read_bytes()


def test_a_retried_upload_hashes_what_was_sent_last(client, fake_openai, training, ledger, monkeypatch):
    hashed = []
    monkeypatch.setattr(files, "content_sha256", lambda path: hashed.append(path) or "read again")
    fake_openai.fail_next("POST /v1/files", 500)
    retrying = client.with_options(max_retries=1)
    done = files.upload(retrying, str(training), ledger, force=True)
    assert len(fake_openai.requests_to("POST /v1/files")) == 2 and not done.reused
    assert fake_openai.file_content(done.file.id) == training.read_bytes()
    # Hashed as it was sent, the second time from the start again: not read again for it.
    assert hashed == [] and ledger.latest("file")["sha256"] == hashlib.sha256(training.read_bytes()).hexdigest()


def test_a_job_on_a_local_path_trains_on_the_uploaded_copy(client, fake_openai, training, ledger):
    first = files.upload(client, str(training), ledger)
    settings = CheckSettings(model="gpt-4.1-mini-2025-04-14", today=date(2026, 12, 4))
    request = jobs.JobRequest("gpt-4.1-mini-2025-04-14", str(training))
    planned = jobs.plan(client, ledger, bundled_catalog(), settings, request)
    assert planned.request.training_file == first.file.id and [d.file.id for d in planned.reused] == [first.file.id]
    assert planned.summary["examples"] == 40 and uploads(fake_openai) == 1
    anew = jobs.plan(client, ledger, bundled_catalog(), settings, request, reuse=False)
    assert anew.request.training_file != first.file.id and not anew.reused and uploads(fake_openai) == 2
    by_id = jobs.plan(client, ledger, bundled_catalog(), settings, jobs.JobRequest("gpt-4.1-mini-2025-04-14",
                                                                                   first.file.id))
    assert by_id.summary["examples"] == 40  # the estimate from the local file the ledger knows
