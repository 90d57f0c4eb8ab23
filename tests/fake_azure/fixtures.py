"""pytest fixture `fake_management`: a started FakeManagement sharing its deployments with
the test's fake OpenAI, behind the test's fake Entra ID."""

from __future__ import annotations

import pytest

from .management import FakeManagement


@pytest.fixture
def fake_management(fake_openai, fake_entra):
    with FakeManagement(fake_openai) as fake:
        yield fake
        assert not fake.server_errors, "the fake management API itself failed:\n" + "\n".join(fake.server_errors)
