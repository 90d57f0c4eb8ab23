"""pytest fixture `fake_openai`: a started FakeOpenAI, one per test.

Register it from tests/conftest.py with
`from fake_openai.fixtures import fake_openai  # noqa: F401`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .server import FakeOpenAI


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake
        # A crash inside the fake would otherwise pass for an API 500.
        assert not fake.server_errors, "the fake OpenAI server itself failed:\n" + "\n".join(fake.server_errors)
