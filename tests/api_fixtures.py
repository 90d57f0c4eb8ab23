"""Fixtures shared by the tests of the project's upload code against the stateful fake
(test_api_uploads.py, test_api_upload_reuse.py): an SDK client with the sentinel key and
a small chat training file."""

from __future__ import annotations

import openai
import pytest

from fake_openai import SENTINEL_KEY

CHAT = '{"messages":[{"role":"user","content":"q%d é"},{"role":"assistant","content":"a%d 😀"}]}\n'


@pytest.fixture
def client(fake_openai):
    return openai.OpenAI(base_url=fake_openai.base_url, api_key=SENTINEL_KEY, max_retries=0)


@pytest.fixture
def training(tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_text("".join(CHAT % (i, i) for i in range(40)), encoding="utf-8")
    return path
