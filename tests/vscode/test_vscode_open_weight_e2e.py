"""An open-weight target end to end, in a real VS Code (code-server) driven through Chromium:
workspace settings `finetune.target: "trl"`, `finetune.model: "Qwen/Qwen3-8B"`,
`finetune.maxSeqLength: 64`, offline (`HF_HUB_OFFLINE=1`) with an empty private `HF_HOME`, so
the tokens are counted with the bundled Qwen3 tokenizer. The lenses name the target and the
model, the summary lens gives the CLI's counts, the over-long examples are squiggled and
listed in Problems at the lines `finetune-ls check --target trl` gives, a hover gives an
example's tokens, and a click on the Target lens answered with axolotl gives what
`--target axolotl` says. The server's private environment was made with the `hf` extra.
Screenshots of every step go to client-vscode/e2e/artifacts/open-weight/. Fails (never
skips) when a tool is missing: client-vscode/e2e/install-tools.sh installs them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from vscode.harness import REPO, CodeServer, build_vsix, fresh_artifacts, private_env, run_session

MODEL = "Qwen/Qwen3-8B"
MAX_SEQ_LENGTH = 64
FILE = "support.jsonl"  # a copy of examples/clean.jsonl: most of its examples are over 64 tokens
# The display names (server/finetune_ls/data/targets.json) and the length settings the lens names.
TARGETS = {"trl": ("TRL", "max_length"), "axolotl": ("axolotl", "sequence_len")}
EXPECTED_STEPS = ["workbench", "lenses", "problems", "hover", "target-question", "target-axolotl"]


@pytest.fixture
def artifacts():
    return fresh_artifacts("open-weight")


def cli_check(path, target: str, env: dict[str, str]) -> dict:
    """`finetune-ls check` on the file, as the editor is set up, in the same environment."""
    done = subprocess.run([sys.executable, "-m", "finetune_ls", "check", str(path), "--target", target, "--model", MODEL,
                           "--max-seq-length", str(MAX_SEQ_LENGTH), "--format", "json"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1), f"finetune-ls check --target {target} failed ({done.returncode}):\n{done.stderr}"
    return json.loads(done.stdout)["files"][0]


def expectations(report: dict, target: str) -> dict:
    """What the editor must show for a target: the summary lens's text from the CLI's summary
    (lsp/features/hints.py _open_weight_line, written out here) and the CLI's findings."""
    summary = report["summary"]
    name, setting = TARGETS[target]
    assert summary["target"] == target and summary["max_seq_length"] == MAX_SEQ_LENGTH, summary
    assert summary["tokenizer"]["source"] == "bundled", summary["tokenizer"]  # offline, empty HF_HOME
    assert 0 < summary["tokens"] < 1000, summary  # the lens writes 1,000 and more as 1.00k
    assert summary.get("epochs") is None and summary.get("estimated_cost_usd") is None, summary
    line = (f"{summary['examples']} examples · {summary['tokens']} tokens · {MODEL} on {name} · "
            f"{setting} {MAX_SEQ_LENGTH} · {summary['over_limit']} over")
    findings = [[f["line"], f["code"], f["message"]] for f in report["findings"]]
    return {"name": name, "model": MODEL, "summary": line, "findings": findings}


def test_vscode_open_weight_target_end_to_end(tmp_path, artifacts):
    env = private_env(tmp_path)
    hf_home = tmp_path / "hf-home"  # private and empty: no user cache
    hf_home.mkdir()
    env["HF_HUB_OFFLINE"] = "1"  # no download: the bundled tokenizer is the one left
    env["HF_HOME"] = str(hf_home)

    workspace = tmp_path / "workspace"
    (workspace / ".vscode").mkdir(parents=True)
    shutil.copy(REPO / "examples" / "clean.jsonl", workspace / FILE)
    (workspace / ".vscode" / "settings.json").write_text(json.dumps(
        {"finetune.target": "trl", "finetune.model": MODEL, "finetune.maxSeqLength": MAX_SEQ_LENGTH}, indent=2))

    # What the CLI says, for both targets: the editor must say the same.
    reports = {target: cli_check(workspace / FILE, target, env) for target in TARGETS}
    expected = {target: expectations(report, target) for target, report in reports.items()}
    over = {target: [f for f in report["findings"] if f["code"] == "example-too-long"] for target, report in reports.items()}
    assert len(over["trl"]) >= 3 and any(f["code"] == "examples-over-length" for f in reports["trl"]["findings"]), over
    # axolotl drops what TRL truncates: the same lines, other messages.
    assert [f["line"] for f in over["trl"]] == [f["line"] for f in over["axolotl"]], over
    assert all("TRL truncates" in f["message"] for f in over["trl"]), over["trl"]
    assert all("axolotl drops" in f["message"] for f in over["axolotl"]), over["axolotl"]
    hover_on = next(f for f in over["trl"] if f["line"] > 1)
    tokens = hover_on["message"].split(" tokens")[0].rsplit(" ", 1)[1]  # "This example has 79 tokens, over …"
    hover = [f"Example on line {hover_on['line']}: {tokens} tokens",
             f"Rendered with {MODEL}'s chat template (bundled: {reports['trl']['summary']['tokenizer']['where']}), "
             f"as TRL sees it; max_seq_length {MAX_SEQ_LENGTH}",
             hover_on["message"][:60]]

    vsix = build_vsix(env)
    code = CodeServer(tmp_path / "vscode", env)
    by_step = run_session(code, vsix, workspace, {}, artifacts, EXPECTED_STEPS, timeout=1200,
                          script="drive-open-weight.mjs", file=FILE, expected=json.dumps(expected),
                          hover_line=hover_on["line"], hover=json.dumps(hover))
    for target, step in (("trl", "lenses"), ("axolotl", "target-axolotl")):
        lenses = by_step[step]["lenses"]
        assert expected[target]["summary"] in lenses and f"Target: {TARGETS[target][0]}" in lenses, (target, lenses)
    # The Problems rows, one per CLI finding, at the CLI's lines (the drive waited for exactly these).
    for target, step in (("trl", "problems"), ("axolotl", "target-axolotl")):
        rows = by_step[step]["rows"]
        shown = sorted(int(row.split("[Ln ")[1].split(",")[0]) for row in rows)
        assert shown == sorted(f["line"] for f in reports[target]["findings"]), (target, rows)
        assert by_step[step]["squiggles"] == sorted({f["line"] for f in reports[target]["findings"]}), by_step[step]
    assert "tokens" in by_step["hover"]["hover"], by_step["hover"]
    assert "axolotl" in by_step["target-question"]["choices"], by_step["target-question"]

    # The server's private environment (bootstrap.ts: <globalStorage>/venv) has the hf extra.
    venv = tmp_path / "vscode" / "user-data" / "User" / "globalStorage" / "finetune-ls.finetune-ls" / "venv"
    assert venv.is_dir(), f"no server environment at {venv}"
    assert "[hf]" in (venv / "finetune-ls-wheel.txt").read_text(), (venv / "finetune-ls-wheel.txt").read_text()
    hub = list(venv.glob("lib/python3*/site-packages/huggingface_hub/__init__.py"))
    assert hub, f"huggingface_hub (the hf extra) is not installed in {venv}"
    # Offline: nothing was downloaded into the private Hugging Face home.
    assert not list(hf_home.rglob("tokenizer*.json")), list(hf_home.rglob("*"))
