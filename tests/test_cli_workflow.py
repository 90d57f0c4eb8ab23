"""The whole loop through the `finetune-ls` command against the project's stateful fake
OpenAI server over real HTTP: upload, job, events, success, model, completion, delete;
the failure paths each with their sentence and no lost id; and the key nowhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from fake_openai import SENTINEL_KEY
from finetune_ls.api.ledger import Ledger

CHAT = '{"messages":[{"role":"user","content":"q%d"},{"role":"assistant","content":"a%d"}]}\n'


@pytest.fixture
def workspace(tmp_path):
    (tmp_path / "train.jsonl").write_text("".join(CHAT % (i, i) for i in range(12)), encoding="utf-8")
    (tmp_path / "broken.jsonl").write_text('{"messages":[{"role":"bot","content":"x"}]}\n' * 12, encoding="utf-8")
    return tmp_path


class Cli:
    """Runs `finetune-ls` with the sentinel key, against the fake, in the workspace; every
    output is kept so the secrets check can read all of it."""

    def __init__(self, fake, workspace):
        self.fake, self.workspace, self.outputs = fake, workspace, []
        self.base_url = fake.base_url  # still the address once the fake is stopped (connection refused)

    def __call__(self, *args: str, key: str | None = SENTINEL_KEY, retries: int = 0, timeout: float = 10.0,
                 key_variable: str = "OPENAI_API_KEY"):
        env = {**os.environ, "OPENAI_BASE_URL": self.base_url, "FINETUNE_LS_DEBUG": ""}
        env.pop("OPENAI_API_KEY", None)
        env.pop("AZURE_OPENAI_API_KEY", None)
        if key is not None:
            env[key_variable] = key
        command = [sys.executable, "-m", "finetune_ls", *args, "--max-retries", str(retries),
                   "--timeout", str(timeout)]
        done = subprocess.run(command, cwd=self.workspace, env=env, capture_output=True, text=True, timeout=120,
                              stdin=subprocess.DEVNULL)
        self.outputs += [done.stdout, done.stderr]
        return done

    def json(self, *args: str):
        done = self(*args, "--json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


@pytest.fixture
def cli(fake_openai, workspace):
    run = Cli(fake_openai, workspace)
    yield run
    everything = "\n".join(run.outputs) + (workspace / ".finetune" / "ledger.jsonl").read_text(encoding="utf-8") \
        if (workspace / ".finetune" / "ledger.jsonl").exists() else "\n".join(run.outputs)
    assert run.outputs and SENTINEL_KEY not in everything


def test_upload_job_follow_model_complete_delete(cli, fake_openai, workspace):
    uploaded = cli.json("files", "upload", "train.jsonl")["file"]
    assert uploaded["status"] == "processed" and uploaded["filename"] == "train.jsonl"
    done = cli("jobs", "create", uploaded["id"], "--model", "gpt-4.1-mini-2025-04-14", "--suffix", "demo",
               "--epochs", "2", "--json")
    assert done.returncode == 1 and "--yes" in done.stderr  # never implied in a script
    job = cli.json("jobs", "create", uploaded["id"], "--model", "gpt-4.1-mini-2025-04-14", "--suffix", "demo",
                   "--epochs", "2", "--yes")
    created = fake_openai.requests_to("POST /v1/fine_tuning/jobs")[-1].json
    assert created["method"] == {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 2}}}
    assert "finetune_ls_request" in created["metadata"]
    fake_openai.advance(job["id"], to="succeeded")
    follow = cli("jobs", "events", job["id"], "--follow", "--poll", "0.01")
    assert follow.returncode == 0 and "-- succeeded" in follow.stdout and "Step" in follow.stdout
    model = fake_openai.job(job["id"])["fine_tuned_model"]
    listed = cli.json("models", "list")
    assert [m["id"] for m in listed] == [model] and listed[0]["base"] == "gpt-4.1-mini-2025-04-14"
    trial = cli.json("complete", model, "train.jsonl", "--line", "3")
    assert trial["expected"] == "a2" and trial["answer"]
    assert cli("models", "delete", model, "--json").returncode == 1  # not confirmed
    assert cli.json("models", "delete", model, "--yes")["deleted"] is True
    ledger = Ledger(str(workspace))
    kinds = [(e["kind"], e["id"]) for e in ledger.entries()]
    assert ("file", uploaded["id"]) in kinds and ("job", job["id"]) in kinds and ("model", model) in kinds
    assert ("model-deleted", model) in kinds
    offline = cli.json("jobs", "list", "--offline")
    assert [e["id"] for e in offline] == [job["id"]]


def test_a_file_with_errors_is_not_uploaded_unless_forced(cli, fake_openai):
    refused = cli("files", "upload", "broken.jsonl")
    assert refused.returncode == 1 and "error" in refused.stderr and "--force" in refused.stderr
    assert not fake_openai.requests_to("POST /v1/files")
    assert cli.json("files", "upload", "broken.jsonl", "--force")["file"]["id"]


def test_a_job_whose_create_timed_out_is_found_not_made_twice(cli, fake_openai, workspace):
    file_id = cli.json("files", "upload", "train.jsonl")["file"]["id"]
    fake_openai.delay_next("POST /v1/fine_tuning/jobs", 3.0)
    job = cli.json("jobs", "create", file_id, "--model", "gpt-4.1-mini-2025-04-14", "--yes", "--timeout", "1")
    made = [r for r in fake_openai.requests_to("POST /v1/fine_tuning/jobs")]
    assert len(made) == 1  # found by its tag, not created again
    assert Ledger(str(workspace)).latest("job")["id"] == job["id"]


def test_a_model_that_can_no_longer_be_trained_is_refused_before_any_job(cli, fake_openai):
    file_id = cli.json("files", "upload", "train.jsonl")["file"]["id"]
    refused = cli("jobs", "create", file_id, "--model", "gpt-3.5-turbo-0125", "--yes")
    assert refused.returncode == 1 and "can no longer be fine-tuned" in refused.stderr
    assert not fake_openai.requests_to("POST /v1/fine_tuning/jobs")


@pytest.mark.parametrize("status, extra, expected", [
    (401, {}, "key was refused"),
    (403, {}, "Not allowed (403)"),
    (404, {}, "Not found (404)"),
    (429, {"headers": {"retry-after": "7"}}, "wait 7 s"),
    (429, {}, "wait a minute"),
    (429, {"code": "insufficient_quota"}, "Out of credit"),
    (500, {}, "server error (500)"),
])
def test_each_failure_is_one_sentence(cli, fake_openai, status, extra, expected):
    fake_openai.fail_next("GET /v1/fine_tuning/jobs", status, **extra)
    failed = cli("jobs", "list")
    assert failed.returncode == 1 and expected in failed.stderr
    assert failed.stderr.count("\n") == 1 and "Traceback" not in failed.stderr


def test_a_wrong_key_a_missing_key_a_timeout_and_a_refused_connection(cli, fake_openai, workspace):
    wrong = cli("files", "list", key="not-a-valid-key-1234567890")
    assert wrong.returncode == 1 and "key was refused" in wrong.stderr and "not-a-valid-key-1234567890" not in wrong.stderr
    missing = cli("files", "list", key=None)
    assert missing.returncode == 1 and "No API key" in missing.stderr
    fake_openai.delay_next("GET /v1/files", 3.0)
    slow = cli("files", "list", timeout=0.5)
    assert slow.returncode == 1 and "did not answer in time" in slow.stderr
    fake_openai.stop()
    refused = cli("files", "list")
    assert refused.returncode == 1 and "Could not connect" in refused.stderr and "connection refused" in refused.stderr


def test_a_failed_job_gives_its_reason_and_keeps_its_id(cli, fake_openai, workspace):
    file_id = cli.json("files", "upload", "train.jsonl")["file"]["id"]
    job = cli.json("jobs", "create", file_id, "--model", "gpt-4.1-mini-2025-04-14", "--yes")
    fake_openai.fail(job["id"], "The training file has 3 examples; at least 10 are required.")
    follow = cli("jobs", "events", job["id"], "--follow", "--poll", "0.01")
    assert follow.returncode == 1 and "-- failed" in follow.stdout
    shown = cli("jobs", "show", job["id"])
    assert "at least 10 are required" in shown.stdout
    assert Ledger(str(workspace)).latest("job")["id"] == job["id"]


def test_files_are_listed_and_deleted_only_when_confirmed(cli, fake_openai, workspace):
    file_id = cli.json("files", "upload", "train.jsonl")["file"]["id"]
    assert [f["id"] for f in cli.json("files", "list", "--purpose", "fine-tune")] == [file_id]
    assert cli("files", "delete", file_id).returncode == 1 and file_id in [f["id"] for f in cli.json("files", "list")]
    assert cli.json("files", "delete", file_id, "--yes") == {"id": file_id, "deleted": True}
    assert cli.json("files", "list") == []
    assert ("file-deleted", file_id) in [(e["kind"], e["id"]) for e in Ledger(str(workspace)).entries()]


def test_a_job_paused_resumed_and_cancelled_keeps_every_step_in_the_ledger(cli, fake_openai, workspace):
    file_id = cli.json("files", "upload", "train.jsonl")["file"]["id"]
    job = cli.json("jobs", "create", file_id, "--model", "gpt-4.1-mini-2025-04-14", "--yes")
    fake_openai.advance(job["id"], to="running")
    assert cli.json("jobs", "pause", job["id"])["status"] == "paused"  # not in the spec's enum: shown as it is
    assert "paused" in cli("jobs", "show", job["id"]).stdout
    assert cli.json("jobs", "resume", job["id"])["status"] == "running"
    assert cli.json("jobs", "cancel", job["id"])["status"] == "cancelled"
    refused = cli("jobs", "resume", job["id"])  # a cancelled job cannot be resumed: the API says why
    assert refused.returncode == 1 and "refused (400" in refused.stderr
    kinds = [e["kind"] for e in Ledger(str(workspace)).entries() if e["id"] == job["id"]]
    assert kinds == ["job", "job-pause", "job-resume", "job-cancel"]


def test_azure_openai_with_a_deployment_for_inference(cli, fake_openai, workspace):
    azure = ("--provider", "azure", "--azure-endpoint", cli.base_url[:-len("/v1")], "--api-version", "2025-04-01-preview")
    done = cli("files", "upload", "train.jsonl", *azure, "--json", key_variable="AZURE_OPENAI_API_KEY")
    assert done.returncode == 0, done.stderr
    upload = fake_openai.requests_to("POST /v1/files")[-1]
    assert upload.query.get("api-version") == ["2025-04-01-preview"] and upload.headers.get("api-key") == "<redacted>"
    fake_openai.add_model("ft-deployment-1")
    fake_openai.set_answer("ft-deployment-1", "from Azure")
    trial = cli("complete", "ft:gpt-4.1-mini-2025-04-14:org:demo:abc", "train.jsonl", *azure, "--json",
                "--deployment", "ft:gpt-4.1-mini-2025-04-14:org:demo:abc=ft-deployment-1",
                key_variable="AZURE_OPENAI_API_KEY")
    assert trial.returncode == 0, trial.stderr
    assert json.loads(trial.stdout)["answer"] == "from Azure"
    assert fake_openai.requests_to("POST /v1/chat/completions")[-1].json["model"] == "ft-deployment-1"
    missing = cli("files", "list", *azure, key_variable="OPENAI_API_KEY")  # Azure reads its own variable
    assert missing.returncode == 1 and "AZURE_OPENAI_API_KEY" in missing.stderr


def test_an_upload_of_the_same_content_reuses_the_file_and_says_so(cli, fake_openai, workspace):
    first = cli.json("files", "upload", "train.jsonl")
    assert first["reused"] is False
    again = cli("files", "upload", "train.jsonl")
    assert again.returncode == 0, again.stderr
    day = Ledger(str(workspace)).latest("file")["time"][:10]
    assert again.stdout.startswith(f"{first['file']['id']}  train.jsonl  ")
    assert f"(already uploaded on {day}, same content; --new uploads again)" in again.stdout
    reused = cli.json("files", "upload", "train.jsonl")
    assert reused["reused"] is True and reused["file"]["id"] == first["file"]["id"] and reused["uploaded_at"]
    assert len(fake_openai.requests_to("POST /v1/files")) == 1
    anew = cli.json("files", "upload", "train.jsonl", "--new")
    assert anew["reused"] is False and anew["file"]["id"] != first["file"]["id"]
    assert len(fake_openai.requests_to("POST /v1/files")) == 2
    # A job on the local path trains on the newest upload of it, and says so; --new uploads again.
    job = cli("jobs", "create", "train.jsonl", "--model", "gpt-4.1-mini-2025-04-14", "--yes", "--json")
    assert job.returncode == 0, job.stderr
    assert json.loads(job.stdout)["training_file"] == anew["file"]["id"]
    assert f"training on {anew['file']['id']} (train.jsonl): already uploaded on {day}" in job.stderr
    assert len(fake_openai.requests_to("POST /v1/files")) == 2
    fresh = cli.json("jobs", "create", "train.jsonl", "--model", "gpt-4.1-mini-2025-04-14", "--yes", "--new")
    assert fresh["training_file"] not in (first["file"]["id"], anew["file"]["id"])
    assert len(fake_openai.requests_to("POST /v1/files")) == 3
