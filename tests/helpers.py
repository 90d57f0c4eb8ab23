"""Shared helpers for the tests (fixtures live in conftest.py)."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

from finetune_ls.core.engine import CheckSettings, check_bytes, check_text

ROOT = Path(__file__).resolve().parents[1]
# The real-world corpus lives beside the repository (../shared/corpus), or where
# FINETUNE_LS_CORPUS points; tests that need it skip with that reason when absent.
CORPUS = Path(os.environ.get("FINETUNE_LS_CORPUS", ROOT.parent / "shared" / "corpus"))
# Dates matter (models retire); tests pin the day the catalog describes.
TODAY = date(2026, 11, 26)


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


def answer_json(handler, status: int, body: object, headers: dict[str, str] | None = None) -> None:
    """Answer a request of a stdlib http.server handler with JSON (the loopback servers the
    tests start: the fake Entra ID, odd management answers, redirects)."""
    data = json.dumps(body).encode()
    handler.send_response(status)
    for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)
