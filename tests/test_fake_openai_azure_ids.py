"""The fake OpenAI names what an Azure job makes as Azure does (providers.md §1.4): the model
`{base}.ft-{32 hex}`, each checkpoint `ftchkpt-{32 hex}` with a `{base}.ft-{32 hex}` model
of its own; its model list is Azure's (the authoring spec's Model); a job made through
OpenAI's paths keeps OpenAI's `ft:` names."""

from __future__ import annotations

import re

import openai
import pytest

from fake_openai import SENTINEL_KEY

BASE = "gpt-4.1-mini-2025-04-14"
AZURE_MODEL = re.compile(rf"^{re.escape(BASE)}\.ft-[0-9a-f]{{32}}$")
AZURE_CHECKPOINT = re.compile(r"^ftchkpt-[0-9a-f]{32}$")


def v1(fake) -> openai.OpenAI:
    return openai.OpenAI(base_url=fake.azure_v1_url, api_key=SENTINEL_KEY, max_retries=0)


def dated(fake) -> openai.AzureOpenAI:
    return openai.AzureOpenAI(azure_endpoint=fake.root_url, api_version="2024-10-21", api_key=SENTINEL_KEY,
                              max_retries=0)


def plain(fake) -> openai.OpenAI:
    return openai.OpenAI(base_url=fake.base_url, api_key=SENTINEL_KEY, max_retries=0)


def succeeded_job(fake, client, **extra):
    file_id = client.files.create(file=("t.jsonl", b'{"messages":[]}\n'), purpose="fine-tune").id
    job = client.fine_tuning.jobs.create(model=BASE, training_file=file_id, **extra)
    fake.advance(job.id, to="succeeded")
    return client.fine_tuning.jobs.retrieve(job.id)


@pytest.mark.parametrize("face", [v1, dated])
def test_an_azure_job_makes_azure_ids(fake_openai, face):
    client = face(fake_openai)
    job = succeeded_job(fake_openai, client, suffix="mine")
    assert AZURE_MODEL.match(job.fine_tuned_model), job.fine_tuned_model
    checkpoints = client.fine_tuning.jobs.checkpoints.list(job.id).data
    assert checkpoints and all(AZURE_CHECKPOINT.match(c.id) for c in checkpoints), [c.id for c in checkpoints]
    names = [c.fine_tuned_model_checkpoint for c in checkpoints]
    assert all(AZURE_MODEL.match(name) for name in names) and len(set(names + [job.fine_tuned_model])) == 4, names
    # Another job's ids differ already in the first 12 hex digits (what a default deployment name keeps).
    other = succeeded_job(fake_openai, client)
    assert other.fine_tuned_model.split(".ft-")[1][:12] != job.fine_tuned_model.split(".ft-")[1][:12]


def test_azures_model_list_names_base_and_job(fake_openai):
    job = succeeded_job(fake_openai, v1(fake_openai))
    for client in (v1(fake_openai), dated(fake_openai)):
        listed = {model.id: model.model_dump() for model in client.models.list().data}
        made = listed[job.fine_tuned_model]
        assert made["model"] == BASE and made["fine_tune"] == job.id and made["status"] == "succeeded"
        assert isinstance(made["created_at"], int) and made["deprecation"]["inference"] > 0
        assert made["capabilities"]["inference"] and not made["capabilities"]["fine_tune"]
        assert made["owned_by"] is None and made["created"] is None  # Azure's Model has neither
        assert listed[BASE]["capabilities"]["fine_tune"] and "fine_tune" not in listed[BASE]
        assert client.models.retrieve(job.fine_tuned_model).model_dump()["fine_tune"] == job.id


def test_a_deployed_checkpoint_answers_as_its_checkpoint(fake_openai):
    job = succeeded_job(fake_openai, v1(fake_openai))
    checkpoint = v1(fake_openai).fine_tuning.jobs.checkpoints.list(job.id).data[0]
    with fake_openai.state.lock:  # as the fake management API fills it once a deployment serves
        fake_openai.state.deployments["my-checkpoint"] = checkpoint.id
    answer = v1(fake_openai).chat.completions.create(model="my-checkpoint",
                                                     messages=[{"role": "user", "content": "hi"}])
    assert answer.model == checkpoint.fine_tuned_model_checkpoint


def test_an_openai_job_keeps_openai_names(fake_openai):
    job = succeeded_job(fake_openai, plain(fake_openai), suffix="mine")
    assert job.fine_tuned_model.startswith(f"ft:{BASE}:") and ":mine:" in job.fine_tuned_model
    checkpoint = plain(fake_openai).fine_tuning.jobs.checkpoints.list(job.id).data[0]
    assert checkpoint.id.startswith("ftckpt_") and checkpoint.fine_tuned_model_checkpoint.startswith(
        f"{job.fine_tuned_model}:ckpt-step-")
    listed = {model.id: model for model in plain(fake_openai).models.list().data}
    assert listed[job.fine_tuned_model].owned_by and isinstance(listed[job.fine_tuned_model].created, int)
