"""`finetune-ls` run as a subprocess against the fake OpenAI served in Azure's shapes
(tests/fake_openai/azure.py), for the Azure tests."""

from __future__ import annotations

import os
import subprocess
import sys

from fake_openai import SENTINEL_KEY

CHAT = '{"messages":[{"role":"user","content":"q%d"},{"role":"assistant","content":"a%d"}]}\n'
MODEL = "gpt-4.1-mini-2025-04-14"
# What a developer's shell may hold that would send a test's calls elsewhere, or sign them
# in with something other than what the test gives: none of it reaches a test's process.
OUTSIDE_VARIABLES = ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "OPENAI_API_VERSION", "AZURE_OPENAI_ENDPOINT",
                     "OPENAI_BASE_URL", "AZURE_OPENAI_AD_TOKEN", "AZURE_SUBSCRIPTION_ID", "AZURE_RESOURCE_GROUP",
                     "AZURE_OPENAI_ACCOUNT", "AZURE_MANAGEMENT_ENDPOINT", "FINETUNE_LS_PROVIDER",
                     "FINETUNE_LS_AZURE_AUTH")


def outside_removed(**more: str) -> dict[str, str]:
    """This process's environment (the fake Entra's endpoint included) without
    OUTSIDE_VARIABLES, plus `more`."""
    return {**{k: v for k, v in os.environ.items() if k not in OUTSIDE_VARIABLES}, **more}


class AzureCli:
    """Runs `finetune-ls ... --provider azure` against the fake; keeps every output for the
    secrets check. `key` goes into AZURE_OPENAI_API_KEY (None: no key anywhere)."""

    def __init__(self, fake, workspace, entra_token: str | None):
        self.fake, self.workspace, self.entra_token, self.outputs = fake, workspace, entra_token, []

    def __call__(self, *args: str, key: str | None = SENTINEL_KEY, env: dict | None = None,
                 command: list[str] | None = None, endpoint: str | None = None):
        environment = outside_removed()
        if key is not None:
            environment["AZURE_OPENAI_API_KEY"] = key
        environment.update(env or {})
        line = [*(command or [sys.executable, "-m", "finetune_ls"]), *args, "--provider", "azure",
                "--azure-endpoint", endpoint or self.fake.root_url, "--max-retries", "0", "--timeout", "10"]
        done = subprocess.run(line, cwd=self.workspace, env=environment, capture_output=True, text=True,
                              timeout=120, stdin=subprocess.DEVNULL)
        self.outputs += [done.stdout, done.stderr]
        return done

    def everything(self) -> str:
        ledger = self.workspace / ".finetune" / "ledger.jsonl"
        return "\n".join(self.outputs) + (ledger.read_text(encoding="utf-8") if ledger.exists() else "")


def openai_cli(fake, workspace, *args: str) -> subprocess.CompletedProcess:
    """`finetune-ls ARGS` with the OpenAI provider (the default) against the same fake."""
    env = {**os.environ, "OPENAI_API_KEY": SENTINEL_KEY, "OPENAI_BASE_URL": fake.base_url}
    return subprocess.run([sys.executable, "-m", "finetune_ls", *args], cwd=workspace, env=env, capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)


def one_sentence(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("finetune-ls: "), stderr
    return lines[0]
