"""The Fine-tuning views' context menus and the Model/Epochs lenses in a real VS Code
(code-server through Chromium), against the stateful fake OpenAI server: jobs paused, resumed
and cancelled from a row's context menu and from the palette, a model tried and another
deleted from the Models view, a file deleted from the Files view, each checked on screen and
in the fake; and the extension's activation time as VS Code measured it. Screenshots and
activation.json go to client-vscode/e2e/artifacts/views/."""

from __future__ import annotations

import json

import openai

from fake_openai import FakeOpenAI
from vscode.harness import REPO, CodeServer, build_vsix, fresh_artifacts, private_env, redact_check, run_session

KEY = "sk-test-VSCODE-VIEWS-SENTINEL-81c2d7"  # the only key the fake accepts
BASE = "gpt-4o-mini-2024-07-18"
EXPECTED_STEPS = ["model-lens-choices", "model-lens", "epochs-lens-choices", "epochs-lens",
                  "job-menu-running", "menu-paused", "job-menu-paused", "menu-resumed", "menu-cancel-confirm",
                  "menu-cancelled", "palette-paused", "palette-running", "palette-cancelled",
                  "model-menu", "model-tried", "model-delete-confirm", "model-deleted",
                  "file-delete-confirm", "file-deleted", "activation"]


def write_training_file(path, examples=3000):
    """Distinct examples enough for a cost lens in dollars, so the figures' ratios can be read."""
    lines = (REPO / "examples" / "clean.jsonl").read_text().splitlines()
    with open(path, "w") as out:
        for count in range(examples):
            out.write(lines[count % len(lines)].replace("Nimbus", f"Nimbus {count}") + "\n")


def seed(fake: FakeOpenAI, training) -> dict[str, str]:
    """Through the fake's HTTP API, as a user would have it before opening VS Code: two running
    jobs, two fine-tuned models (from two finished jobs), and a file nothing uses."""
    client = openai.OpenAI(api_key=KEY, base_url=fake.base_url, max_retries=0)
    uploaded = client.files.create(file=open(training, "rb"), purpose="fine-tune").id
    spare = client.files.create(file=("old-data.jsonl", (REPO / "examples" / "clean.jsonl").read_bytes()),
                                purpose="fine-tune").id

    def job(suffix: str, status: str) -> dict:
        made = client.fine_tuning.jobs.create(model=BASE, training_file=uploaded, suffix=suffix)
        fake.advance(made.id, to=status)
        return fake.job(made.id)

    menu_job, palette_job = job("menu", "running")["id"], job("palette", "running")["id"]
    try_model = job("keep", "succeeded")["fine_tuned_model"]
    drop_model = job("drop", "succeeded")["fine_tuned_model"]
    return {"menu_job": menu_job, "palette_job": palette_job, "try_model": try_model, "drop_model": drop_model,
            "drop_file": spare}


def test_vscode_views_context_menus_and_lenses(tmp_path):
    artifacts = fresh_artifacts("views")
    env = private_env(tmp_path)
    vsix = build_vsix(env)
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    write_training_file(workspace / "views.jsonl")

    with FakeOpenAI(api_keys=(KEY,), accept_any_sk_key=False, auto_advance=False, training_steps=3) as fake:
        seeded = seed(fake, workspace / "views.jsonl")
        seeded_requests = len(fake.requests)
        code = CodeServer(tmp_path / "vscode", env)
        by_step = run_session(code, vsix, workspace, {"finetune.baseUrl": fake.base_url, "finetune.model": BASE},
                              artifacts, EXPECTED_STEPS, KEY, timeout=600, script="drive-views.mjs",
                              api=fake.base_url, training="views.jsonl", **seeded)
        assert not fake.server_errors, fake.server_errors

        # What the extension asked of the fake, in order, and where it left things.
        routes = [request.route for request in fake.requests[seeded_requests:]]
        for job in (seeded["menu_job"], seeded["palette_job"]):
            actions = [route.rsplit("/", 1)[-1] for route in routes
                       if route.startswith(f"POST /v1/fine_tuning/jobs/{job}/")]
            assert actions == ["pause", "resume", "cancel"], (job, actions)
            assert fake.job(job)["status"] == "cancelled"
        tried = [request.json.get("model") for request in fake.requests[seeded_requests:]
                 if request.route == "POST /v1/chat/completions"]
        assert tried == [seeded["try_model"]], tried
        assert seeded["try_model"] in fake.state.models
        assert seeded["drop_model"] not in fake.state.models
        assert seeded["drop_file"] not in fake.state.files
        assert all(request.status != 401 for request in fake.requests), "a call went without the key"

    activation = json.loads((artifacts / "activation.json").read_text())
    assert activation["ms"] == by_step[EXPECTED_STEPS[-1]]["activationMs"] and activation["ms"] > 0, activation
    print(f"\nthe extension's activation time (VS Code's Running Extensions): {activation['ms']} ms "
          f"({'startup' if activation['startup'] else 'on an event'})")

    leaked = redact_check(code.texts(), KEY)
    leaked += [str(path) for path in artifacts.glob("*.log") if KEY in path.read_text(errors="replace")]
    assert not leaked, f"the API key appears in {leaked}"
