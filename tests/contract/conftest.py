"""Fixtures for contract tests against steady, which mocks the OpenAI API from its published spec.

`steady` (session): the running server; `steady_headers` and `steady_client` (per test):
the official SDK pointed at it, with a hook keeping the x-steady-error-* headers.
"""

from __future__ import annotations

import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path

import openai
import pytest

from contract.steady import HeaderRecorder, Steady

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
# Shared beside the repository, never copied into it (../shared/openai-api/README.md).
SPEC = REPO.parent / "shared" / "openai-api" / "openapi.v1.sse.json"
STEADY_BIN = HERE / "node_modules" / ".bin" / "steady"
# Recognisable in any log or header dump, and never a real key.
SENTINEL_API_KEY = "sk-test-SENTINEL-0123456789"


def install_steady() -> None:
    """Install the pinned @stdy/cli from package-lock.json (its native binary comes inside)."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"steady needs {' and '.join(missing)}, not found on PATH")
    done = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=HERE, capture_output=True, text=True)
    if done.returncode != 0 or not STEADY_BIN.exists():
        pytest.fail(f"npm ci in {HERE} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


@contextmanager
def steady_serving(spec: Path, folder: Path, what: str):
    """steady serving one spec (installed first if need be), stopped afterwards."""
    if not spec.is_file():
        pytest.skip(f"{what} for contract tests is not at {spec}")
    if shutil.which("node") is None:
        pytest.skip("steady needs node, not found on PATH")  # the npm wrapper is a node script
    if not STEADY_BIN.exists():
        install_steady()
    server = Steady(STEADY_BIN, spec, folder / "steady.log").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def steady(tmp_path_factory):
    with steady_serving(SPEC, tmp_path_factory.mktemp("steady"), "the OpenAI spec") as server:
        yield server


@pytest.fixture
def steady_headers() -> HeaderRecorder:
    return HeaderRecorder()


@pytest.fixture
def steady_client(steady, steady_headers):
    # DefaultHttpxClient keeps the SDK's own timeouts and limits; a plain client would not.
    http_client = openai.DefaultHttpxClient(event_hooks={"response": [steady_headers]})
    with openai.OpenAI(base_url=steady.base_url, api_key=SENTINEL_API_KEY, max_retries=0,
                       http_client=http_client) as client:
        yield client
