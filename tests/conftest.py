"""Fixtures. Every test runs with its own empty result cache."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

# Tests never read the user's Hugging Face cache or token and never reach the Hub: huggingface_hub
# reads these once, when first imported, so they are set before anything imports it (subprocesses
# inherit them). Tests of the Hub sources set their own (tests/test_tokenizer_sources.py).
for _name in [name for name in os.environ if name.startswith(("HF_", "HUGGINGFACE_"))]:
    del os.environ[_name]
os.environ["HF_HOME"] = tempfile.mkdtemp(prefix="finetune-ls-tests-hf-")
os.environ["HF_HUB_CACHE"] = os.path.join(os.environ["HF_HOME"], "hub")
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_TOKEN"] = ""

from fake_entra import FakeEntra
from fake_azure.fixtures import fake_management  # noqa: F401  (a fake Azure management API, deployments)
from fake_openai.fixtures import fake_openai  # noqa: F401  (a stateful fake OpenAI server)

# Variables through which azure-identity could find a real identity on a developer's
# machine; a test that signs in must see only the fake one.
_AZURE_IDENTITY_VARIABLES = ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET", "AZURE_USERNAME",
                             "AZURE_FEDERATED_TOKEN_FILE", "MSI_ENDPOINT", "MSI_SECRET", "IDENTITY_ENDPOINT",
                             "IDENTITY_HEADER", "AZURE_TOKEN_CREDENTIALS")


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("FINETUNE_LS_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def cli_path() -> str:
    found = shutil.which("finetune-ls", path=str(Path(os.sys.executable).parent)) or shutil.which("finetune-ls")
    if not found:
        pytest.fail("the finetune-ls command is not installed in this environment")
    return found


@pytest.fixture
def fake_entra(monkeypatch, tmp_path):
    """A fake Entra ID managed-identity endpoint, set in this process's environment (a
    subprocess started with os.environ inherits it). The Azure CLI is hidden, so only the
    fake identity can answer."""
    from finetune_ls.api import entra

    for name in _AZURE_IDENTITY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AZURE_CONFIG_DIR", str(tmp_path / "no-azure-cli"))
    entra.forget_credential()
    with FakeEntra() as fake:
        for name, value in fake.environment().items():
            monkeypatch.setenv(name, value)
        yield fake
    entra.forget_credential()
