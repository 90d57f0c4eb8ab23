"""Fixtures. Every test runs with its own empty result cache."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from fake_openai.fixtures import fake_openai  # noqa: F401  (a stateful fake OpenAI server)


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("FINETUNE_LS_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def cli_path() -> str:
    found = shutil.which("finetune-ls", path=str(Path(os.sys.executable).parent)) or shutil.which("finetune-ls")
    if not found:
        pytest.fail("the finetune-ls command is not installed in this environment")
    return found
