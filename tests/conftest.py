"""Shared fixtures. Every test runs with its own empty result cache."""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import pytest

from finetune_ls.core.engine import CheckSettings, check_bytes, check_text

ROOT = Path(__file__).resolve().parents[1]
# The real-world corpus lives beside the repository (../shared/corpus), or where
# FINETUNE_LS_CORPUS points; tests that need it skip with that reason when absent.
CORPUS = Path(os.environ.get("FINETUNE_LS_CORPUS", ROOT.parent / "shared" / "corpus"))
# Dates matter (models retire); tests pin the day the catalog describes.
TODAY = date(2026, 11, 26)


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("FINETUNE_LS_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def cli_path() -> str:
    found = shutil.which("finetune-ls", path=str(Path(os.sys.executable).parent)) or shutil.which("finetune-ls")
    if not found:
        pytest.fail("the finetune-ls command is not installed in this environment")
    return found


def settings(**overrides) -> CheckSettings:
    overrides.setdefault("today", TODAY)
    return CheckSettings(**overrides)


def check(text: str, **overrides):
    """Check a text the way the language server does."""
    return check_text(text, settings(**overrides))


def check_file_bytes(data: bytes, **overrides):
    """Check bytes the way the CLI does."""
    return check_bytes(data, settings(**overrides), jobs=1)


def codes(report) -> list[str]:
    return [finding.code for finding in report.findings]
