"""A checkpoint's whole loop on Azure through `finetune-ls` (a subprocess), with Azure's ids
(providers.md §1.4): a job's checkpoints are `ftchkpt-<32 hex>`; one is deployed by its id
under the default name, completed through that deployment, and the deployment deleted.
Fakes and the command runner as in test_azure_deployments.py."""

from __future__ import annotations

import re

import pytest

from fake_entra import FakeEntra
from finetune_ls.api.entra import DATA_SCOPE
from test_azure_deployments import CHAT, Cli


@pytest.fixture
def cli(fake_openai, fake_management, tmp_path):
    (tmp_path / "train.jsonl").write_text("".join(CHAT % (i, i) for i in range(12)), encoding="utf-8")
    fake_openai.accept_entra_token(FakeEntra.token_for(DATA_SCOPE))
    return Cli(fake_openai, fake_management, tmp_path)


def test_a_checkpoint_deployed_by_its_id_answers(cli, fake_openai, fake_management):
    uploaded = cli.json("files", "upload", "train.jsonl", resource=False, data_plane=True)["file"]
    job = cli.json("jobs", "create", uploaded["id"], "--model", "gpt-4.1-mini-2025-04-14", "--yes",
                   resource=False, data_plane=True)
    fake_openai.advance(job["id"], to="succeeded")
    checkpoints = cli.json("jobs", "checkpoints", job["id"], resource=False, data_plane=True)
    checkpoint = checkpoints[-1]  # the oldest
    assert re.fullmatch(r"ftchkpt-[0-9a-f]{32}", checkpoint["id"]), checkpoint
    fake_openai.set_answer(checkpoint["fine_tuned_model_checkpoint"], "from the checkpoint")

    made = cli.json("deployments", "create", checkpoint["id"], "--sku", "Developer", "--yes")
    assert made["name"] == checkpoint["id"][:20] and made["model"] == checkpoint["id"] and made["state"] == "Succeeded"
    assert fake_management.requests_to("PUT")[-1].json["properties"]["model"]["name"] == checkpoint["id"]

    trial = cli("complete", checkpoint["id"], "train.jsonl", "--json", data_plane=True)
    assert trial.returncode == 0, trial.stderr
    assert '"from the checkpoint"' in trial.stdout and f"through the deployment {made['name']}" in trial.stderr
    assert fake_openai.requests_to("POST /v1/chat/completions")[-1].json["model"] == made["name"]

    gone = cli("deployments", "delete", made["name"], "--yes")
    assert gone.returncode == 0, gone.stderr
