"""The contract-test harness itself: a correct call passes, a malformed one is caught
(both the kind steady refuses and the kind it answers 200 to), and streaming works."""

from __future__ import annotations

import httpx2
import openai
import pytest


def test_correct_calls_draw_no_diagnostic(steady, steady_client, steady_headers):
    since = steady.mark()
    # steady is stateless and always says has_more: read first pages only, never auto-paginate.
    assert steady_client.files.list().data
    assert steady_client.models.list().data
    job = steady_client.fine_tuning.jobs.retrieve("ftjob-abc")
    assert job.object == "fine_tuning.job"

    steady.assert_no_diagnostics(since=since)
    assert steady_headers.diagnosed == []
    assert [(r.method, r.path) for r in steady.requests()[since:]] == [
        ("GET", "/v1/files"), ("GET", "/v1/models"), ("GET", "/v1/fine_tuning/jobs/ftjob-abc"),
    ]


def test_structural_error_is_refused_with_steady_errors(steady, steady_client):
    since = steady.mark()
    # The typed method cannot leave out training_file, so post the malformed body raw.
    with pytest.raises(openai.BadRequestError) as refused:
        steady_client.post("/fine_tuning/jobs", body={"model": "gpt-4o-mini"}, cast_to=httpx2.Response)

    errors = refused.value.response.json()["steady"]["errors"]
    assert [(e["code"], e["path"]) for e in errors] == [("E3007", "body")]
    assert "training_file" in errors[0]["message"]
    with pytest.raises(AssertionError, match="E3007"):
        steady.assert_no_diagnostics(since=since)


def test_range_violation_answered_200_still_fails_the_helper(steady, steady_client, steady_headers):
    since = steady.mark()
    # suffix has maxLength 64: steady answers 200 and only records the violation.
    job = steady_client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file="file-abc", suffix="x" * 80)
    assert job.object == "fine_tuning.job"

    [in_headers] = steady_headers.diagnosed
    assert (in_headers.method, in_headers.status) == ("POST", 200)
    assert [(d["code"], d["path"]) for d in in_headers.diagnostics] == [("E4003", "body.suffix")]

    [in_log] = steady.diagnosed(since=since)
    assert (in_log.method, in_log.path, in_log.status) == ("POST", "/v1/fine_tuning/jobs", 200)
    with pytest.raises(AssertionError) as failed:
        steady.assert_no_diagnostics(since=since)
    message = str(failed.value)
    assert "POST /v1/fine_tuning/jobs -> 200" in message
    assert "E4003 (info) at body.suffix: String length violation (expected 64, got 80)" in message


def test_streamed_chat_completion_ends_cleanly(steady, steady_client, steady_headers):
    since = steady.mark()
    # The SDK sends Accept: application/json even when streaming; steady streams only
    # for text/event-stream.
    stream = steady_client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Say hello"}], stream=True,
        extra_headers={"Accept": "text/event-stream"},
    )
    with stream:
        chunks = list(stream)

    assert len(chunks) >= 2
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert "".join(c.choices[0].delta.content or "" for c in chunks)
    steady.assert_no_diagnostics(since=since)
    assert steady_headers.diagnosed == []
