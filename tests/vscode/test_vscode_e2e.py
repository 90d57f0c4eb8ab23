"""The VS Code extension end to end, in a real VS Code (code-server) driven through
Chromium: the built .vsix installed, a workspace with a broken training file checked on
screen, then the fine-tuning loop against the stateful fake OpenAI server. Screenshots of
every step go to client-vscode/e2e/artifacts/. Fails (never skips) when a tool is missing:
client-vscode/e2e/install-tools.sh installs them."""

from __future__ import annotations

import shutil

import pytest

from fake_openai import FakeOpenAI
from vscode.harness import CLIENT, REPO, CodeServer, build_vsix, private_env, redact_check, run_session

KEY = "sk-test-VSCODE-E2E-SENTINEL-5f3a9c"  # the only key the fake accepts: a call without it fails
EXPECTED_STEPS = ["workbench", "squiggles", "problems", "inlay-hint", "cost-lens", "quick-fix", "undo", "big-file",
                  "api-key",
                  "upload", "upload-reused", "job-file", "job-confirm", "job-started", "chart-live", "job-succeeded", "try-model",
                  "ghost-text", "delete-confirm", "model-deleted", "chart-light"]


def write_big_file(path, size=51 * 1024 * 1024):
    """Over VS Code's 50 MB limit for extensions: distinct examples, the last line broken."""
    examples = (REPO / "examples" / "clean.jsonl").read_text().splitlines()
    with open(path, "w") as out:
        written = count = 0
        while written < size:
            line = examples[count % len(examples)].replace("Nimbus", f"Nimbus {count}") + "\n"
            out.write(line)
            written += len(line.encode())
            count += 1
        out.write('{"messages": [{"role": "user", "content": "cut off"}\n')
    return count + 1  # the broken line's number


@pytest.fixture
def artifacts():
    folder = CLIENT / "e2e" / "artifacts"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():  # this test's own files; the Azure test's folder stays
        if old.is_file():
            old.unlink()
    return folder


def test_vscode_extension_end_to_end(tmp_path, artifacts):
    env = private_env(tmp_path)
    vsix = build_vsix(env)

    workspace = tmp_path / "workspace"
    workspace.mkdir()
    shutil.copy(REPO / "examples" / "train.jsonl", workspace / "train.jsonl")  # broken on purpose
    shutil.copy(REPO / "examples" / "clean.jsonl", workspace / "support.jsonl")
    big_last_line = write_big_file(workspace / "big.jsonl")

    with FakeOpenAI(api_keys=(KEY,), accept_any_sk_key=False, auto_advance=True, training_steps=8) as fake:
        env["FINETUNE_LS_FOLLOW_POLL"] = "1"  # a step a second: the chart is seen while the job runs
        code = CodeServer(tmp_path / "vscode", env)
        run_session(code, vsix, workspace, {"finetune.baseUrl": fake.base_url}, artifacts, EXPECTED_STEPS,
                    KEY, timeout=420, big_last_line=big_last_line)
        assert not fake.server_errors, fake.server_errors
        # The calls reached the fake with the key from secret storage, and did what the screen said.
        routes = [request.route for request in fake.requests]
        assert any(route.startswith("POST /v1/files") or route.startswith("POST /v1/uploads") for route in routes), routes
        assert any(route == "POST /v1/fine_tuning/jobs" for route in routes), routes
        assert all(request.status != 401 for request in fake.requests), "a call went without the key"
        jobs = list(fake.state.jobs.values())
        assert len(jobs) == 1 and jobs[0]["status"] == "succeeded", jobs
        # Upload, then Start Job on the uploaded file: one upload, and the job trains on it.
        uploaded = [f["id"] for f in fake.state.files.values() if f["purpose"] == "fine-tune"]  # not the results
        assert routes.count("POST /v1/files") == 1 and len(uploaded) == 1, (uploaded, routes)
        assert jobs[0]["training_file"] == uploaded[0], (uploaded, jobs[0]["training_file"])
        assert jobs[0]["model"] == "gpt-4o-mini-2024-07-18"
        assert jobs[0]["fine_tuned_model"] not in fake.state.models, "the model was not deleted"
        assert any(route.startswith("DELETE /v1/models/") for route in routes), routes

    leaked = redact_check(code.texts(), KEY)
    leaked += [str(path) for path in artifacts.glob("*.log") if KEY in path.read_text(errors="replace")]
    settings = list((tmp_path / "vscode" / "user-data").rglob("settings.json")) + list(workspace.rglob("*.json"))
    leaked += [str(path) for path in settings if KEY in path.read_text(errors="replace")]
    assert not leaked, f"the API key appears in {leaked}"
