"""Every OpenAI operation finetune-ls implements, called through its own code against
steady, the mock driven by OpenAI's published spec: no request may draw a diagnostic."""

from __future__ import annotations

import pytest

from finetune_ls.api import complete, files, jobs, models
from finetune_ls.api.errors import Cancelled
from finetune_ls.api.ledger import Ledger
from finetune_ls.core.catalog import bundled_catalog

CHAT = '{"messages":[{"role":"user","content":"q%d"},{"role":"assistant","content":"a%d"}]}\n'


@pytest.fixture
def training_file(tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_text("".join(CHAT % (i, i) for i in range(12)), encoding="utf-8")
    return path


@pytest.fixture
def checked(steady, steady_headers):
    """Run a test, then assert that none of its requests drew a diagnostic."""
    since = steady.mark()
    yield
    steady.assert_no_diagnostics(since)
    assert not steady_headers.diagnosed, [r.describe() for r in steady_headers.diagnosed]


def test_files(steady_client, checked, training_file, tmp_path, monkeypatch):
    ledger = Ledger(str(tmp_path))
    uploaded = files.upload(steady_client, str(training_file), ledger, wait=False)
    files.wait_for_processing(steady_client, uploaded.file.id, timeout=0)
    files.list_files(steady_client, "fine-tune", limit=5)
    files.delete_file(steady_client, uploaded.file.id, ledger)
    # The Uploads API, in parts (as for files over 512 MB). Not the ledger's copy: steady's example
    # delete says nothing was deleted, and its example file is processed, so the first one would be reused.
    monkeypatch.setattr(files, "FILES_API_LIMIT", 100)
    monkeypatch.setattr(files, "PART_BYTES", 300)
    with pytest.raises(RuntimeError, match="completed without a file"):  # steady's example Upload has none
        files.upload(steady_client, str(training_file), ledger, wait=False, reuse=False)
    kinds = [entry["kind"] for entry in ledger.entries()]
    assert kinds[0] == "file" and kinds[-1] == "upload"  # the upload's id is kept even though it failed
    with pytest.raises(Cancelled):  # cancelled before its first part: uploads.cancel
        files.upload(steady_client, str(training_file), ledger, wait=False, cancelled=lambda: True, reuse=False)
    assert [entry["kind"] for entry in ledger.entries()][-2:] == ["upload", "upload-cancelled"]


def test_jobs(steady_client, checked, tmp_path):
    ledger = Ledger(str(tmp_path))
    request = jobs.JobRequest("gpt-4.1-mini-2025-04-14", "file-abc", "supervised",
                              {"n_epochs": 3, "batch_size": 8, "learning_rate_multiplier": 0.5}, suffix="demo",
                              seed=7, validation_file="file-def", metadata={"project": "x"})
    job = jobs.create_job(steady_client, ledger, request).job
    assert ledger.latest("job")["id"] == job.id
    dpo = jobs.JobRequest("gpt-4.1-mini-2025-04-14", "file-abc", "dpo", {"beta": 0.1})
    jobs.create_job(steady_client, ledger, dpo)
    jobs.find_tagged(steady_client, "abc")
    jobs.list_jobs(steady_client, limit=5)
    jobs.events(steady_client, job.id)
    assert list(jobs.follow(steady_client, job.id, stop=lambda: True))
    api = steady_client.fine_tuning.jobs
    for call in (api.retrieve, api.cancel, api.pause, api.resume, api.checkpoints.list):
        call(job.id)


def test_models_and_completions(steady_client, checked, tmp_path):
    models.list_fine_tuned(steady_client, bundled_catalog())
    models.delete_model(steady_client, "ft:gpt-4.1-mini-2025-04-14:org:demo:abc", Ledger(str(tmp_path)))
    chat = {"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "q"},
                         {"role": "assistant", "content": "a", "weight": 1}]}
    trial = complete.try_model(steady_client, "ft:gpt-4.1-mini-2025-04-14:org:demo:abc", chat, max_tokens=50)
    assert trial.expected == "a"
    legacy = complete.try_model(steady_client, "ft:babbage-002:org:demo:abc", {"prompt": "p ->", "completion": " c"})
    assert legacy.expected == " c"
