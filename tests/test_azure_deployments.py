"""Deployments on Azure through the `finetune-ls` command (a subprocess), against the fake
management API (tests/fake_azure) sharing its deployments with the fake OpenAI, signed in
through the fake Entra ID: the whole loop (upload, job, deploy, complete through the
deployment, delete it, delete the model), the failure paths (no quota, a region without
the model, a failed deployment, an expired token, a lost answer) each one sentence with
the deployment's name kept, `list --offline`, and neither the key nor the token in any
output or in the ledger.

The data plane is called on the v1 API (the default) with Microsoft Entra ID and no key
at all, or on the dated api-version paths (`--api-version 2024-10-21`) with the key; the
management API always takes the Entra token of its own scope."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

import without_azure_identity
from azure_cli import outside_removed
from fake_entra import SENTINEL_TOKEN_PREFIX, FakeEntra
from fake_openai import SENTINEL_KEY
from finetune_ls.api.entra import DATA_SCOPE
from finetune_ls.api.ledger import Ledger

CHAT = '{"messages":[{"role":"user","content":"q%d"},{"role":"assistant","content":"a%d"}]}\n'
MODEL = "gpt-4.1-mini-2025-04-14.ft-0123456789abcdef0123456789abcdef"


@pytest.fixture
def workspace(tmp_path):
    (tmp_path / "train.jsonl").write_text("".join(CHAT % (i, i) for i in range(12)), encoding="utf-8")
    return tmp_path


class Cli:
    """`finetune-ls` in the workspace, with the sentinel key for the data plane and the fake
    Entra for the management API; every output kept for the secrets check."""

    def __init__(self, fake_openai, management, workspace):
        self.openai, self.management, self.workspace, self.outputs = fake_openai, management, workspace, []

    data_auth = "entra"  # the data plane: "entra" on v1 with no key, or "key" on the dated paths

    def data_plane(self) -> list[str]:
        dated = ["--api-version", "2024-10-21"] if self.data_auth == "key" else []
        return ["--provider", "azure", "--azure-endpoint", self.openai.root_url, *dated, "--azure-auth", self.data_auth,
                "--max-retries", "0", "--timeout", "10"]

    def __call__(self, *args: str, resource: bool = True, data_plane: bool = False, command: list[str] | None = None):
        env = outside_removed()
        env.update(FINETUNE_LS_DEBUG="", FINETUNE_LS_DEPLOY_POLL_SECONDS="0.01", FINETUNE_LS_DEPLOY_SETTLE_SECONDS="1")
        if self.data_auth == "key":
            env["AZURE_OPENAI_API_KEY"] = SENTINEL_KEY
        line = [*(command or [sys.executable, "-m", "finetune_ls"]), *args,
                *(self.management.resource_args() if resource else ()), *(self.data_plane() if data_plane else ())]
        done = subprocess.run(line, cwd=self.workspace, env=env, capture_output=True, text=True, timeout=120,
                              stdin=subprocess.DEVNULL)
        self.outputs += [done.stdout, done.stderr]
        return done

    def json(self, *args: str, **options):
        done = self(*args, "--json", **options)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


@pytest.fixture
def cli(fake_openai, fake_management, workspace):
    fake_openai.accept_entra_token(FakeEntra.token_for(DATA_SCOPE))  # as Azure's data plane takes it
    run = Cli(fake_openai, fake_management, workspace)
    yield run
    ledger = workspace / ".finetune" / "ledger.jsonl"
    everything = "\n".join(run.outputs) + (ledger.read_text(encoding="utf-8") if ledger.exists() else "")
    assert run.outputs and SENTINEL_KEY not in everything and SENTINEL_TOKEN_PREFIX not in everything
    assert all(request.authorized for request in fake_management.requests)  # the management scope's token


def deployments_in(workspace, name: str) -> list[dict]:
    return [entry for entry in Ledger(str(workspace)).entries() if entry["id"] == name]


def error_line(done) -> str:
    """The one sentence a failed command ends with (progress lines come before it)."""
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines and lines[-1].startswith("finetune-ls: "), done.stderr
    return lines[-1]


@pytest.mark.parametrize("data_auth", ["entra", "key"])
def test_upload_job_deploy_complete_delete(cli, fake_openai, fake_management, workspace, data_auth):
    cli.data_auth = data_auth
    uploaded = cli.json("files", "upload", "train.jsonl", resource=False, data_plane=True)["file"]
    job = cli.json("jobs", "create", uploaded["id"], "--model", "gpt-4.1-mini-2025-04-14", "--suffix", "demo", "--yes",
                   resource=False, data_plane=True)
    fake_openai.advance(job["id"], to="succeeded")
    model = fake_openai.job(job["id"])["fine_tuned_model"]
    assert re.fullmatch(r"gpt-4\.1-mini-2025-04-14\.ft-[0-9a-f]{32}", model), model  # Azure's id (providers.md §1.4)
    fake_openai.set_answer(model, "from the deployed model")

    asked = cli("deployments", "create", model, "--sku", "Standard")
    assert asked.returncode == 1 and "$1.70 per hour" in asked.stderr and "15 days without calls" in asked.stderr
    assert f" as gpt-4-1-mini-2025-04-14-ft-{model[-32:][:12]} " in asked.stderr  # the default name
    assert "--yes" in asked.stderr and not fake_management.requests_to("PUT")  # never implied in a script

    made = cli("deployments", "create", model, "--name", "demo-ft", "--sku", "Developer", "--yes", "--json")
    assert made.returncode == 0, made.stderr
    deployment = json.loads(made.stdout)
    assert deployment == {"name": "demo-ft", "model": model, "sku": "Developer", "capacity": 50, "state": "Succeeded",
                          "hourlyUsd": 0, "expires": deployment["expires"], "source": "azure"}
    assert deployment["expires"] and "demo-ft: Creating" in made.stderr and "accepted by Azure" in made.stderr
    put = fake_management.requests_to("PUT")[-1]
    assert put.query["api-version"] == ["2026-07-01"] and put.path.endswith("/deployments/demo-ft")
    assert put.json == {"sku": {"name": "DeveloperTier", "capacity": 50},
                        "properties": {"model": {"format": "OpenAI", "name": model, "version": "1"}}}
    states = [entry.get("state") for entry in deployments_in(workspace, "demo-ft")]
    assert states == ["requested", "Creating", "Succeeded"]  # named before the PUT, again once accepted

    trial = cli("complete", model, "train.jsonl", "--json", data_plane=True)
    assert trial.returncode == 0, trial.stderr
    assert json.loads(trial.stdout)["answer"] == "from the deployed model"
    assert "through the deployment demo-ft" in trial.stderr
    sent = fake_openai.requests_to("POST /v1/chat/completions")[-1]
    assert sent.json["model"] == "demo-ft"
    assert sent.wire_path == ("/openai/v1/chat/completions" if data_auth == "entra" else
                              "/openai/deployments/demo-ft/chat/completions")

    listed = cli.json("deployments", "list")
    assert listed["offline"] is False and [d["name"] for d in listed["deployments"]] == ["demo-ft"]
    unasked = cli("deployments", "delete", "demo-ft")
    assert unasked.returncode == 1 and "no hosting fee" in unasked.stderr and not fake_management.requests_to("DELETE")
    assert cli.json("deployments", "delete", "demo-ft", "--yes") == {"name": "demo-ft", "deleted": True}
    assert fake_management.state_of("demo-ft") is None and "demo-ft" not in fake_openai.state.deployments
    assert cli.json("models", "delete", model, "--yes", resource=False, data_plane=True)["deleted"] is True

    offline = cli.json("deployments", "list", "--offline", resource=False)
    assert offline["offline"] is True
    assert [(d["name"], d["state"], d["source"]) for d in offline["deployments"]] == [("demo-ft", "deleted", "ledger")]
    gone = cli("complete", model, "train.jsonl", data_plane=True)  # deleted: no longer called through it
    assert gone.returncode == 1 and f"deployments create {model}" in error_line(gone)


@pytest.mark.parametrize("fault, words", [
    (lambda fake: fake.refuse_next_put(409), "No quota for this deployment (409 InsufficientQuota)"),
    (lambda fake: fake.refuse_next_put(400), "No quota for this deployment (400 InsufficientQuota)"),
    (lambda fake: fake.unsupported(MODEL), "region does not offer this model"),
    (lambda fake: fake.expire_tokens(), "refused the Microsoft Entra ID token as expired"),
], ids=["quota-409", "quota-400", "region", "token-expired"])
def test_a_refused_deployment_is_one_sentence_and_its_name_is_kept(cli, fake_management, fake_entra, workspace,
                                                                   fault, words):
    fault(fake_management)
    if "expired" in words:
        fake_entra.expire()
    done = cli("deployments", "create", MODEL, "--name", "refused-ft", "--sku", "Standard", "--yes")
    assert done.returncode == 1
    sentence = error_line(done)
    assert words in sentence and "refused-ft" in sentence and sentence.count("finetune-ls:") == 1
    # Refused at its PUT: named before it, marked refused after; an expired token is refused at the look-up
    # before the PUT, when nothing can have been made.
    states = [] if "expired" in words else ["requested", "refused"]
    assert [entry.get("state") for entry in deployments_in(workspace, "refused-ft")] == states
    assert fake_management.state_of("refused-ft") is None


def test_a_failed_deployment_says_so_and_stays_to_be_deleted(cli, fake_management, workspace):
    fake_management.fail_provisioning("The fine-tuned model could not be loaded.")
    done = cli("deployments", "create", MODEL, "--name", "broken-ft", "--sku", "GlobalStandard", "--yes")
    assert done.returncode == 1
    sentence = error_line(done)
    assert "broken-ft" in sentence and "ended Failed" in sentence and "could not be loaded" in sentence
    assert "deployments delete broken-ft" in sentence
    assert [entry.get("state") for entry in deployments_in(workspace, "broken-ft")] == ["requested", "Creating",
                                                                                       "Failed"]
    listed = cli.json("deployments", "list")["deployments"]
    assert [(d["name"], d["state"], d["hourlyUsd"]) for d in listed] == [("broken-ft", "Failed", 1.7)]
    asked = cli("deployments", "delete", "broken-ft")
    assert "$1.70 per hour" in asked.stderr  # the question names what it costs while it stays


def test_a_lost_answer_to_the_create_loses_no_name_and_makes_one_deployment(cli, fake_management, workspace):
    fake_management.lose_next_put()
    done = cli("deployments", "create", MODEL, "--name", "lost-ft", "--yes", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["state"] == "Succeeded"
    assert len(fake_management.requests_to("PUT")) == 1  # found by its name, not sent again
    assert [entry.get("state") for entry in deployments_in(workspace, "lost-ft")] == ["requested", "Creating",
                                                                                     "Succeeded"]


def test_a_name_serving_another_model_is_not_overwritten(cli, fake_management, workspace):
    assert cli("deployments", "create", MODEL, "--name", "taken", "--yes").returncode == 0
    other = MODEL.replace("0123", "9999")
    done = cli("deployments", "create", other, "--name", "taken", "--yes")
    assert done.returncode == 1 and "already exists" in error_line(done) and MODEL in error_line(done)
    assert len(fake_management.requests_to("PUT")) == 1


def test_no_wait_returns_once_accepted_and_the_default_name_comes_from_the_model(cli, fake_management):
    made = cli.json("deployments", "create", "ftchkpt-0123456789abcdef0123456789abcdef", "--no-wait", "--yes")
    assert made["state"] == "Creating" and made["name"] == "ftchkpt-0123456789ab"
    assert fake_management.requests_to("PUT")[-1].json["properties"]["model"]["name"].startswith("ftchkpt-")


def test_complete_finds_the_deployment_through_the_management_api(cli, fake_openai, fake_management, workspace):
    """Made elsewhere (not in this workspace's ledger): the management API's list has it."""
    fake_openai.add_model(MODEL)
    fake_openai.set_answer(MODEL, "served")
    other = workspace / "elsewhere"
    other.mkdir()
    cli.workspace = other
    assert cli("deployments", "create", MODEL, "--name", "shared-ft", "--yes").returncode == 0
    cli.workspace = workspace
    without = cli("complete", MODEL, "train.jsonl", resource=False, data_plane=True)
    assert without.returncode == 1 and "no deployment" in error_line(without)
    trial = cli("complete", MODEL, "train.jsonl", "--json", data_plane=True)
    assert trial.returncode == 0, trial.stderr
    assert json.loads(trial.stdout)["answer"] == "served"
    assert fake_openai.requests_to("POST /v1/chat/completions")[-1].json["model"] == "shared-ft"


def test_delete_accepted_later_is_followed_until_gone(cli, fake_management, workspace):
    assert cli("deployments", "create", MODEL, "--name", "slow-ft", "--yes").returncode == 0
    fake_management.delete_accepted()
    assert cli.json("deployments", "delete", "slow-ft", "--yes") == {"name": "slow-ft", "deleted": True}
    assert deployments_in(workspace, "slow-ft")[-1]["kind"] == "deployment-deleted"
    missing = cli("deployments", "delete", "slow-ft", "--yes")
    assert missing.returncode == 1 and "no deployment named slow-ft" in error_line(missing)


def test_the_resource_missing_is_one_sentence_naming_flag_setting_and_variable(cli, fake_management):
    done = cli("deployments", "list", "--account", "aoai", resource=False)
    sentence = error_line(done)
    assert done.returncode == 1 and "--subscription" in sentence and "azureResourceGroup" in sentence
    assert "AZURE_SUBSCRIPTION_ID" in sentence and "--account" not in sentence
    assert not fake_management.requests


def test_without_entra_sign_in_the_sentence_says_the_management_api_takes_no_key(cli, fake_entra, fake_management):
    fake_entra.refuse("Identity not found")
    done = cli("deployments", "list", "--azure-auth", "key")
    sentence = error_line(done)
    assert done.returncode == 1 and "takes no API key" in sentence and "Entra ID refused a token" in sentence


def test_without_azure_identity_the_extra_is_named_and_that_a_key_will_not_do(cli, fake_management):
    done = cli("deployments", "list", "--azure-auth", "key", command=without_azure_identity.command())
    sentence = error_line(done)
    assert done.returncode == 1 and "pip install 'finetune-ls[azure]'" in sentence and "takes no API key" in sentence
    assert not fake_management.requests
