"""The VS Code extension's Azure loop end to end, in a real VS Code (code-server) driven
through Chromium, against the language server with provider azure and Microsoft Entra ID
sign-in: the fake OpenAI (Azure's v1 paths, Entra bearer tokens only), the fake Entra ID
(the real azure-identity asks it for tokens) and the fake management API (deployments).
No key is set anywhere. Start Job with a training type, the job succeeding, Deploy from
the Jobs view after the hourly-cost confirmation, the Deployments view, Try Model
answered through the deployment, Delete from the Deployments view. Screenshots of every
step go to client-vscode/e2e/artifacts/azure/. Fails (never skips) when a tool is missing:
client-vscode/e2e/install-tools.sh installs them."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from fake_azure import FakeManagement
from fake_entra import SENTINEL_TOKEN_PREFIX, FakeEntra
from fake_openai import FakeOpenAI
from finetune_ls.api.entra import DATA_SCOPE
from vscode.harness import REPO, CodeServer, build_vsix, fresh_artifacts, private_env, run_session

BASE_MODEL = "gpt-4.1-mini-2025-04-14"
TRAINING_TYPE = "GlobalStandard"
SKU = "Standard"
EXPECTED_STEPS = ["workbench", "entra-no-key", "training-type", "job-confirm", "job-succeeded", "checkpoints", "deploy-sku",
                  "deploy-confirm", "deployments-view", "try-model", "delete-confirm", "deployment-deleted"]


@pytest.fixture
def artifacts():
    return fresh_artifacts("azure")


def test_vscode_azure_loop_with_entra_end_to_end(tmp_path, artifacts, fake_entra):
    env = private_env(tmp_path)  # inherits the fake Entra's IDENTITY_ENDPOINT/IDENTITY_HEADER (fixture fake_entra)
    assert env["IDENTITY_ENDPOINT"] == fake_entra.endpoint
    env["AZURE_CONFIG_DIR"] = str(tmp_path / "no-azure-cli")
    env["FINETUNE_LS_FOLLOW_POLL"] = "1"
    env["FINETUNE_LS_DEPLOY_POLL_SECONDS"] = "0.5"
    vsix = build_vsix(env)

    workspace = tmp_path / "workspace"
    workspace.mkdir()
    shutil.copy(REPO / "examples" / "clean.jsonl", workspace / "support.jsonl")

    data_token = FakeEntra.token_for(DATA_SCOPE)
    # No key is accepted: every call that gets through signed in with Entra ID.
    with FakeOpenAI(api_keys=(), accept_any_sk_key=False, entra_tokens=(data_token,), auto_advance=True,
                    training_steps=4) as fake, FakeManagement(fake) as management:
        code = CodeServer(tmp_path / "vscode", env)
        settings = {"finetune.provider": "azure", "finetune.azureEndpoint": fake.root_url, "finetune.azureAuth": "entra",
                    **{f"finetune.{name}": value for name, value in management.settings().items()}}
        by_step = run_session(code, vsix, workspace, settings, artifacts, EXPECTED_STEPS, timeout=600,
                              script="drive-azure.mjs", model=BASE_MODEL, training_type=TRAINING_TYPE, sku=SKU)
        assert not fake.server_errors, fake.server_errors
        assert not management.server_errors, management.server_errors

        # The job: made on Azure's v1 path with the training type picked, and it succeeded.
        assert fake.requests and all(request.status != 401 for request in fake.requests), "a call was refused"
        assert all("api-key" not in request.headers for request in fake.requests), "a key was sent"
        creates = [r for r in fake.requests if r.route == "POST /v1/fine_tuning/jobs"]
        assert len(creates) == 1 and creates[0].json.get("trainingType") == TRAINING_TYPE, [r.json for r in creates]
        jobs = list(fake.state.jobs.values())
        assert len(jobs) == 1 and jobs[0]["status"] == "succeeded", jobs
        assert jobs[0]["model"] == BASE_MODEL
        fine_tuned = jobs[0]["fine_tuned_model"]
        # Azure's ids (providers.md §1.4): the model, and the checkpoint the Models view showed under it.
        assert re.fullmatch(re.escape(BASE_MODEL) + r"\.ft-[0-9a-f]{32}", fine_tuned), fine_tuned
        assert re.match(r"ftchkpt-[0-9a-f]{32}", by_step["checkpoints"]["checkpoint"]), by_step["checkpoints"]

        # The deployment: made with the SKU picked, for the fine-tuned model, then deleted.
        name = by_step["deployments-view"]["deployment"]
        # The name the client offered (and the driver kept): the base and the model id's unique start.
        assert name == BASE_MODEL.replace(".", "-") + "-ft-" + fine_tuned.split(".ft-")[1][:12], name
        puts = management.requests_to("PUT")
        assert len(puts) == 1 and puts[0].path.endswith(f"/deployments/{name}"), puts
        assert puts[0].json["sku"]["name"].lower() == SKU.lower(), puts[0].json
        assert puts[0].json["properties"]["model"]["name"] == fine_tuned, puts[0].json
        assert all(request.authorized for request in management.requests), "a management call without Entra's token"
        assert [r.path.rsplit("/", 1)[-1] for r in management.requests_to("DELETE")] == [name]
        assert name not in management.deployments
        # The catalog's Standard SKU costs $1.70 an hour: the confirmation and the view say so.
        assert "$1.70 per hour" in by_step["deploy-confirm"]["question"], by_step["deploy-confirm"]
        assert "$1.70/hour" in by_step["deployments-view"]["tooltip"], by_step["deployments-view"]
        assert "$1.70/hour" in by_step["deployments-view"]["view"], by_step["deployments-view"]
        # Try Model named the deployment, not the model: the server found it on its own.
        tries = [r for r in fake.requests if r.route in ("POST /v1/chat/completions", "POST /v1/responses")]
        assert tries and all(r.json.get("model") == name for r in tries), [r.json for r in tries]
        assert by_step["try-model"]["model"] == fine_tuned

    # Every id the calls returned went into the ledger, the deployment's name included.
    ledger = [json.loads(line) for line in (workspace / ".finetune" / "ledger.jsonl").read_text().splitlines()]
    assert any(name in json.dumps(entry) for entry in ledger), ledger
    # Entra's tokens appear in no log, output or settings file.
    texts = code.texts()
    texts.update({str(path): path.read_text(errors="replace") for path in artifacts.glob("*.log")})
    texts.update({str(path): path.read_text(errors="replace")
                  for path in list((tmp_path / "vscode" / "user-data").rglob("settings.json")) + list(workspace.rglob("*.json*"))})
    leaked = [path for path, text in texts.items() if SENTINEL_TOKEN_PREFIX in text]
    assert not leaked, f"an Entra ID token appears in {leaked}"
