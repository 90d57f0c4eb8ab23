"""Azure's job details through the `finetune-ls` command against the fake in Azure's
shapes: the training type on create (Azure only), the estimated finish and the training
type where Azure gives them, the checkpoints, and copying a checkpoint to another resource
(the v1 preview path and its opt-in header), recorded in the ledger."""

from __future__ import annotations

import json
import time

import pytest

from azure_cli import CHAT, MODEL, AzureCli, one_sentence, openai_cli
from fake_openai import SENTINEL_KEY
from finetune_ls.api.ledger import Ledger

DESTINATION = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/other"


@pytest.fixture
def workspace(tmp_path):
    (tmp_path / "train.jsonl").write_text("".join(CHAT % (i, i) for i in range(12)), encoding="utf-8")
    return tmp_path


@pytest.fixture
def cli(fake_openai, workspace):
    run = AzureCli(fake_openai, workspace, None)
    yield run
    assert run.outputs and SENTINEL_KEY not in run.everything() and "Traceback" not in run.everything()


def uploaded(cli) -> str:
    done = cli("files", "upload", "train.jsonl", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["file"]["id"]


def test_the_training_type_goes_to_azure_and_comes_back(cli, fake_openai):
    file_id = uploaded(cli)
    created = cli("jobs", "create", file_id, "--model", MODEL, "--training-type", "globalstandard", "--yes", "--json")
    assert created.returncode == 0, created.stderr
    sent = fake_openai.requests_to("POST /v1/fine_tuning/jobs")[-1]
    assert sent.wire_path == "/openai/v1/fine_tuning/jobs" and sent.json["trainingType"] == "GlobalStandard"
    job = json.loads(created.stdout)
    assert job["status"] == "pending" and job["trainingType"] == "GlobalStandard"  # Azure's status, echoed type
    assert Ledger(str(cli.workspace)).latest("job-request")["training_type"] == "GlobalStandard"
    shown = cli("jobs", "show", job["id"])
    assert "training type: GlobalStandard" in shown.stdout and "estimated finish" not in shown.stdout
    fake_openai.advance(job["id"], to="running")
    running = cli("jobs", "show", job["id"]).stdout
    finish = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(fake_openai.job(job["id"])["estimated_finish"]))
    assert f"estimated finish: {finish}" in running


def test_a_training_type_is_refused_off_azure_and_checked(cli, fake_openai, workspace):
    done = openai_cli(fake_openai, workspace, "jobs", "create", "train.jsonl", "--model", MODEL,
                      "--training-type", "Developer", "--yes")
    cli.outputs += [done.stdout, done.stderr]
    assert done.returncode == 2 and "Azure OpenAI choice" in one_sentence(done.stderr)
    assert not fake_openai.requests  # refused before any upload
    wrong = cli("jobs", "create", "file-x", "--model", MODEL, "--training-type", "Premium", "--yes")
    assert wrong.returncode == 2 and "Standard, GlobalStandard, Developer" in wrong.stderr


def test_following_shows_the_estimated_finish(cli, fake_openai):
    file_id = uploaded(cli)
    job = json.loads(cli("jobs", "create", file_id, "--model", MODEL, "--yes", "--json").stdout)
    fake_openai.advance(job["id"], to="running")
    fake_openai.auto_advance = True
    followed = cli("jobs", "events", job["id"], "--follow", "--poll", "0.01")
    assert followed.returncode == 0, followed.stderr
    assert "-- running (estimated finish 20" in followed.stdout and "-- succeeded" in followed.stdout


def test_checkpoints_and_copying_one_to_another_resource(cli, fake_openai):
    file_id = uploaded(cli)
    job = json.loads(cli("jobs", "create", file_id, "--model", MODEL, "--yes", "--json").stdout)
    fake_openai.advance(job["id"], to="succeeded")
    listed = cli("jobs", "checkpoints", job["id"], "--json")
    assert listed.returncode == 0, listed.stderr
    checkpoints = json.loads(listed.stdout)
    assert checkpoints and all(c["fine_tuning_job_id"] == job["id"] for c in checkpoints)
    checkpoint = checkpoints[0]["id"]
    copied = cli("jobs", "copy-checkpoint", job["id"], checkpoint, "--destination", DESTINATION,
                 "--region", "swedencentral")
    assert copied.returncode == 0, copied.stderr
    assert "swedencentral: Copying" in copied.stdout
    sent = fake_openai.requests_to(f"POST /v1/fine_tuning/jobs/{job['id']}/checkpoints")[-1]
    assert sent.wire_path == f"/openai/v1/fine_tuning/jobs/{job['id']}/checkpoints/{checkpoint}/copy"
    assert sent.headers["aoai-copy-ft-checkpoints"] == "preview"
    assert sent.json == {"destinationResourceId": DESTINATION, "region": "swedencentral"}
    recorded = Ledger(str(cli.workspace)).latest("checkpoint-copy")
    assert recorded["checkpoint"] == checkpoint and recorded["destination"] == DESTINATION
    bad = cli("jobs", "copy-checkpoint", job["id"], checkpoint, "--destination", "other", "--region", "x")
    assert bad.returncode == 1 and "invalidPayload" in one_sentence(bad.stderr)


def test_copying_a_checkpoint_is_refused_off_azure(cli, fake_openai, workspace):
    done = openai_cli(fake_openai, workspace, "jobs", "copy-checkpoint", "ftjob-1", "ftckpt-1",
                      "--destination", DESTINATION, "--region", "x")
    cli.outputs += [done.stdout, done.stderr]
    assert done.returncode == 2 and "Azure OpenAI feature" in one_sentence(done.stderr)
    assert not fake_openai.requests
