"""The fake OpenAI in Azure's shapes (tests/fake_openai/azure.py), through the official SDK:
the v1 and dated paths, a key in `api-key` or as the bearer, Entra tokens accepted and
expired, Azure's job statuses and training type, the checkpoint copy and its opt-in
header, Azure's 401 bodies; and none of it on OpenAI's own paths."""

from __future__ import annotations

import openai
import pytest

from fake_openai import SENTINEL_KEY

TOKEN = "eyJ0eXAi-ENTRA-SENTINEL-fake-test"
MODEL = "gpt-4.1-mini-2025-04-14"


def v1(fake, **options) -> openai.OpenAI:
    return openai.OpenAI(base_url=fake.azure_v1_url, max_retries=0, **{"api_key": SENTINEL_KEY, **options})


def dated(fake, **options) -> openai.AzureOpenAI:
    return openai.AzureOpenAI(azure_endpoint=fake.root_url, api_version="2024-10-21", max_retries=0,
                              **{"api_key": SENTINEL_KEY, **options})


def a_job(fake, client, **extra):
    file_id = client.files.create(file=("t.jsonl", b'{"messages":[]}\n'), purpose="fine-tune").id
    return client.fine_tuning.jobs.create(model=MODEL, training_file=file_id, **extra)


def test_both_faces_share_one_state_in_azures_job_shape(fake_openai):
    job = a_job(fake_openai, v1(fake_openai), extra_body={"trainingType": "developertier"})
    assert job.status == "pending" and job.model_extra["trainingType"] == "Developer"
    assert dated(fake_openai).fine_tuning.jobs.retrieve(job.id).status == "pending"
    fake_openai.advance(job.id, to="running")
    running = dated(fake_openai).fine_tuning.jobs.retrieve(job.id)
    assert running.status == "running" and running.estimated_finish
    assert [r.wire_path for r in fake_openai.requests[-2:]] == [f"/openai/fine_tuning/jobs/{job.id}"] * 2
    # OpenAI's own paths keep OpenAI's shape, and know no trainingType.
    plain = openai.OpenAI(base_url=fake_openai.base_url, api_key=SENTINEL_KEY, max_retries=0)
    assert plain.fine_tuning.jobs.retrieve(job.id).status == "running"
    with pytest.raises(openai.BadRequestError, match="trainingType"):
        a_job(fake_openai, plain, extra_body={"trainingType": "Standard"})


def test_keys_and_entra_tokens(fake_openai):
    fake_openai.accept_any_sk_key = False
    assert v1(fake_openai).models.list().data  # the key as the bearer alone, as in Microsoft's Python example
    with pytest.raises(openai.AuthenticationError) as refused:
        dated(fake_openai, api_key="wrong").models.list()
    assert "invalid subscription key" in refused.value.response.json()["error"]["message"]
    with pytest.raises(openai.AuthenticationError) as unknown:
        v1(fake_openai, api_key=lambda: TOKEN).models.list()
    assert "Access token" in unknown.value.response.json()["message"]
    fake_openai.accept_entra_token(TOKEN)
    assert v1(fake_openai, api_key=lambda: TOKEN).models.list().data
    assert dated(fake_openai, api_key=None, azure_ad_token_provider=lambda: TOKEN).models.list().data
    fake_openai.expire_entra_token(TOKEN)
    with pytest.raises(openai.AuthenticationError):
        v1(fake_openai, api_key=lambda: TOKEN).models.list()
    assert all(TOKEN not in str(r) for r in fake_openai.requests)  # recorded without it


def test_the_checkpoint_copy_needs_its_header_and_azure(fake_openai):
    client = v1(fake_openai)
    job = a_job(fake_openai, client)
    fake_openai.advance(job.id, to="succeeded")
    checkpoint = client.fine_tuning.jobs.checkpoints.list(job.id).data[0].id
    path = f"/fine_tuning/jobs/{job.id}/checkpoints/{checkpoint}/copy"
    body = {"destinationResourceId": "/subscriptions/0/resourceGroups/r/providers/x/accounts/a", "region": "eastus2"}
    with pytest.raises(openai.BadRequestError, match="aoai-copy-ft-checkpoints"):
        client.post(path, cast_to=object, body=body)
    copied = client.post(path, cast_to=object, body=body, options={"headers": {"aoai-copy-ft-checkpoints": "preview"}})
    assert copied["copiedAccountDetails"] == [{**body, "status": "Copying"}]
    assert client.get(path, cast_to=object)["copiedAccountDetails"][0]["status"] == "Completed"
    plain = openai.OpenAI(base_url=fake_openai.base_url, api_key=SENTINEL_KEY, max_retries=0)
    with pytest.raises(openai.NotFoundError):
        plain.post(path, cast_to=object, body=body, options={"headers": {"aoai-copy-ft-checkpoints": "preview"}})
