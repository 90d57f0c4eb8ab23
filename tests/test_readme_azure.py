"""The README's Azure OpenAI block, run as a user would paste it: its `export` lines and
each `finetune-ls` line, in order, in a pseudo-terminal (the commands that ask get a typed
"yes", as at a terminal), against the fake Azure OpenAI (Entra ID only, no key), the fake
Entra ID and the fake management API. The block's placeholders (the endpoint, the
resource, `file-abc`, `ftjob-abc`, the fine-tuned model and its deployment) are replaced by
what the fakes made; the management endpoint, which the README leaves at Azure's public
cloud, is the fake's. A README line edited is a line tested."""

from __future__ import annotations

import os
import pty
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

from azure_cli import outside_removed
from fake_entra import SENTINEL_TOKEN_PREFIX, FakeEntra
from fake_openai import SENTINEL_KEY
from finetune_ls.api.deployments import default_name
from finetune_ls.api.entra import DATA_SCOPE
from finetune_ls.api.ledger import Ledger

REPO = Path(__file__).resolve().parents[1]
CHAT = '{"messages":[{"role":"user","content":"q%d"},{"role":"assistant","content":"a%d"}]}\n'


def readme_azure_block() -> list[str]:
    """The lines of the first ```sh block under "## Azure OpenAI", comments removed."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Azure OpenAI\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [line.split("  #", 1)[0].strip() for line in block.splitlines() if line.split("  #", 1)[0].strip()]


def run_in_terminal(args: list[str], env: dict, cwd: Path) -> subprocess.CompletedProcess:
    """The command with a terminal for its standard input, on which "yes" is typed."""
    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen(args, stdin=terminal, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                   cwd=cwd, text=True)
        os.write(controller, b"yes\n")
        out, err = process.communicate(timeout=120)
    finally:
        os.close(terminal)
        os.close(controller)
    return subprocess.CompletedProcess(args, process.returncode, out, err)


def test_the_readme_azure_block_runs_as_written(fake_openai, fake_management, fake_entra, tmp_path):
    fake_openai.accept_entra_token(FakeEntra.token_for(DATA_SCOPE))
    (tmp_path / "train.jsonl").write_text("".join(CHAT % (i, i) for i in range(12)), encoding="utf-8")
    env = outside_removed()
    env.update(FINETUNE_LS_DEPLOY_POLL_SECONDS="0.01", AZURE_MANAGEMENT_ENDPOINT=fake_management.endpoint)
    standing_in = {"https://NAME.openai.azure.com": fake_openai.root_url, "NAME": fake_management.account}
    resource = {"AZURE_SUBSCRIPTION_ID": fake_management.subscription,
                "AZURE_RESOURCE_GROUP": fake_management.resource_group}
    ledger = Ledger(str(tmp_path))
    replacements: dict[str, str] = {}
    outputs: list[str] = []
    ran = []
    for line in readme_azure_block():
        words = shlex.split(line)
        if words[:2] == ["pip", "install"]:
            extra = re.fullmatch(r"finetune-ls\[(\w+)\]", words[2]).group(1)
            extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
            assert "azure-identity" in " ".join(extras[extra])  # this test's environment has it (the test extra)
            continue
        if words[0] == "export":
            for assignment in words[1:]:
                name, _, value = assignment.partition("=")
                env[name] = resource.get(name, standing_in.get(value, value))
            continue
        assert words[0] == "finetune-ls", line
        args = [replacements.get(word, word) for word in words[1:]]
        done = run_in_terminal([sys.executable, "-m", "finetune_ls", *args], env, tmp_path)
        outputs += [done.stdout, done.stderr]
        assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
        ran.append(args[:2])
        if args[:2] == ["files", "upload"]:
            replacements["file-abc"] = ledger.latest("file")["id"]
        elif args[:2] == ["jobs", "create"]:
            job = ledger.latest("job")["id"]
            replacements["ftjob-abc"] = job
            fake_openai.advance(job, to="succeeded")
            model = fake_openai.job(job)["fine_tuned_model"]
            fake_openai.set_answer(model, "from the deployed model")
            for word in " ".join(readme_azure_block()).split():
                if word.endswith(".ft-abc"):  # the model the job made, and the name it is deployed under
                    assert default_name(word) in readme_azure_block()[-1]
                    replacements[word], replacements[default_name(word)] = model, default_name(model)
        elif args[:2] == ["check", "train.jsonl"]:
            assert "Azure" in done.stdout and "Developer" in done.stdout, done.stdout
        elif args[:2] == ["jobs", "show"]:
            assert "GlobalStandard" in done.stdout, done.stdout
        elif args[:2] == ["deployments", "create"]:
            assert "Type yes to confirm" in done.stdout and "no hosting fee" in done.stdout + done.stderr
        elif args[0] == "complete":
            assert "from the deployed model" in done.stdout, done.stdout
    assert ran == [["check", "train.jsonl"], ["files", "upload"], ["jobs", "create"], ["jobs", "show"],
                   ["deployments", "create"], ["complete", replacements[next(w for w in replacements if ".ft-" in w)]],
                   ["deployments", "delete"]]
    assert not fake_management.deployments or all(d.state == "deleted" for d in fake_management.deployments.values())
    everything = "\n".join(outputs) + (tmp_path / ".finetune" / "ledger.jsonl").read_text(encoding="utf-8")
    assert SENTINEL_KEY not in everything and SENTINEL_TOKEN_PREFIX not in everything
