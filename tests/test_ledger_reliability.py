"""No id is lost (issue 13): a job create whose first call lands late, a ledger that cannot
be written (before or after the paid call), a ledger cut off mid-line or holding a bad
byte, and malformed API answers. Each through the `finetune-ls` command, run as a
process against the stateful fake OpenAI server over HTTP, with the sentinel key."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time

import pytest

from fake_openai import SENTINEL_KEY
from finetune_ls.api.ledger import Ledger

CHAT = '{"messages":[{"role":"user","content":"q%d"},{"role":"assistant","content":"a%d"}]}\n'
MODEL = "gpt-4.1-mini-2025-04-14"
TAG_KEY = "finetune_ls_request"


@pytest.fixture
def workspace(tmp_path):
    (tmp_path / "train.jsonl").write_text("".join(CHAT % (i, i) for i in range(12)), encoding="utf-8")
    return tmp_path


class Cli:
    """`finetune-ls` against the fake, in the workspace, with the sentinel key; every output
    is kept for the check that the key is in none of them."""

    def __init__(self, cli_path, fake, workspace):
        self.cli_path, self.fake, self.workspace, self.outputs = cli_path, fake, workspace, []
        self.base_url = fake.base_url  # still the address once the fake is stopped (connection refused)

    def command(self, *args: str, timeout: float = 10.0) -> list[str]:
        return [self.cli_path, *args, "--max-retries", "0", "--timeout", str(timeout)]

    def env(self, **extra: str) -> dict:
        env = {**os.environ, "OPENAI_BASE_URL": self.base_url, "OPENAI_API_KEY": SENTINEL_KEY,
               "FINETUNE_LS_DEBUG": "", **extra}
        env.pop("AZURE_OPENAI_API_KEY", None)
        return env

    def __call__(self, *args: str, timeout: float = 10.0, **env: str) -> subprocess.CompletedProcess:
        done = subprocess.run(self.command(*args, timeout=timeout), cwd=self.workspace, env=self.env(**env),
                              capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
        self.outputs += [done.stdout, done.stderr]
        return done

    def upload(self) -> str:
        done = self("files", "upload", "train.jsonl", "--json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)["file"]["id"]


@pytest.fixture
def cli(cli_path, fake_openai, workspace):
    run = Cli(cli_path, fake_openai, workspace)
    yield run
    ledger = workspace / ".finetune" / "ledger.jsonl"
    written = ledger.read_bytes().decode("utf-8", "replace") if ledger.is_file() else ""
    assert SENTINEL_KEY not in "\n".join(run.outputs) + written


def one_sentence(stderr: str) -> bool:
    return stderr.count("\n") == 1 and "Traceback" not in stderr and "internal error" not in stderr


def tagged_jobs(fake) -> dict[str, list[str]]:
    """The fake's jobs by request tag."""
    by_tag: dict[str, list[str]] = {}
    for job_id in list(fake.state.jobs):
        by_tag.setdefault(fake.job(job_id)["metadata"][TAG_KEY], []).append(job_id)
    return by_tag


# ---------------------------------------------------------------- 1: a create that lands late
def test_a_create_that_lands_after_the_client_gave_up_is_waited_for_not_made_twice(cli, fake_openai, workspace):
    file_id = cli.upload()
    fake_openai.delay_next("POST /v1/fine_tuning/jobs", 3.0)  # the job is made 3 s in; the client waits 1 s
    done = cli("jobs", "create", file_id, "--model", MODEL, "--yes", "--json", timeout=1.0,
               FINETUNE_LS_CREATE_SETTLE_SECONDS="20")
    assert done.returncode == 0, done.stderr
    job = json.loads(done.stdout)
    assert len(fake_openai.requests_to("POST /v1/fine_tuning/jobs")) == 1  # looked up, not made again
    assert list(tagged_jobs(fake_openai).values()) == [[job["id"]]]
    assert [e["id"] for e in Ledger(str(workspace)).entries("job")] == [job["id"]]


def test_two_jobs_with_one_tag_are_both_recorded_and_reported(cli, fake_openai, workspace):
    file_id = cli.upload()
    # The first create gets no answer and is made only when the retry comes, after the
    # (here short) wait for it: two jobs for one request.
    fake_openai.land_late_next("POST /v1/fine_tuning/jobs", hold_seconds=5.0)
    done = cli("jobs", "create", file_id, "--model", MODEL, "--yes", timeout=1.0,
               FINETUNE_LS_CREATE_SETTLE_SECONDS="0.3")
    assert done.returncode == 0, done.stderr
    [both] = tagged_jobs(fake_openai).values()
    assert len(both) == 2 and fake_openai.landed_late
    assert all(job_id in done.stdout for job_id in both)
    assert "2 jobs were made" in done.stderr and all(job_id in done.stderr for job_id in both)
    assert sorted(e["id"] for e in Ledger(str(workspace)).entries("job")) == sorted(both)
    offline = cli("jobs", "list", "--offline")
    assert all(job_id in offline.stdout for job_id in both)


def test_a_create_whose_every_attempt_may_have_landed_says_so_and_names_its_tag(cli, fake_openai, workspace):
    file_id = cli.upload()
    fake_openai.fail_next("POST /v1/fine_tuning/jobs", 500, times=3)  # each may have made the job
    done = cli("jobs", "create", file_id, "--model", MODEL, "--yes", FINETUNE_LS_CREATE_SETTLE_SECONDS="0.3")
    assert done.returncode == 1 and one_sentence(done.stderr), done.stderr
    [request] = [e for e in Ledger(str(workspace)).entries("job-request")]
    assert "may still be made" in done.stderr and f"{TAG_KEY}={request['id']}" in done.stderr
    assert len(fake_openai.requests_to("POST /v1/fine_tuning/jobs")) == 3 and not fake_openai.state.jobs


def test_a_create_that_could_not_connect_is_not_waited_for(cli, fake_openai, workspace):
    file_id = cli.upload()
    fake_openai.stop()  # refused: the create was never sent, so there is no job to wait for
    done = cli("jobs", "create", file_id, "--model", MODEL, "--yes", FINETUNE_LS_CREATE_SETTLE_SECONDS="1000")
    assert done.returncode == 1 and one_sentence(done.stderr), done.stderr
    assert "Could not connect" in done.stderr and "may still be made" not in done.stderr


# ---------------------------------------------------------------- 2: a ledger that cannot be written
def make_ledger_a_folder(workspace):
    shutil.rmtree(workspace / ".finetune")
    (workspace / ".finetune" / "ledger.jsonl").mkdir(parents=True)


def make_finetune_a_file(workspace):
    shutil.rmtree(workspace / ".finetune")
    (workspace / ".finetune").write_text("not a folder\n", encoding="utf-8")


@pytest.mark.parametrize("breakage", [make_ledger_a_folder, make_finetune_a_file])
def test_an_unwritable_ledger_stops_uploads_and_jobs_before_any_paid_call(cli, fake_openai, workspace, breakage):
    file_id = cli.upload()
    breakage(workspace)
    upload = cli("files", "upload", "train.jsonl")
    assert upload.returncode == 1 and one_sentence(upload.stderr), upload.stderr
    assert "cannot be written" in upload.stderr and "nothing was uploaded" in upload.stderr
    create = cli("jobs", "create", file_id, "--model", MODEL, "--yes")
    assert create.returncode == 1 and one_sentence(create.stderr), create.stderr
    assert "ledger" in create.stderr and "cannot be" in create.stderr  # read for the file's path, or written
    assert len(fake_openai.requests_to("POST /v1/files")) == 1  # the first upload only
    assert not fake_openai.requests_to("POST /v1/fine_tuning/jobs")


def test_a_job_is_not_started_when_the_ledger_reads_but_cannot_be_written(cli, fake_openai, workspace):
    file_id = cli.upload()
    ledger = workspace / ".finetune" / "ledger.jsonl"
    ledger.unlink()
    ledger.symlink_to(workspace / "gone" / "ledger.jsonl")  # reads as empty; a write finds no folder (even as root)
    create = cli("jobs", "create", file_id, "--model", MODEL, "--yes")
    assert create.returncode == 1 and one_sentence(create.stderr), create.stderr
    assert "cannot be written" in create.stderr and "nothing was uploaded or started" in create.stderr
    assert not fake_openai.requests_to("POST /v1/fine_tuning/jobs")


def test_a_ledger_write_that_fails_after_the_upload_still_prints_the_id(cli, fake_openai, workspace):
    gate = fake_openai.hold_next("POST /v1/files")
    process = subprocess.Popen(cli.command("files", "upload", "train.jsonl", timeout=60), cwd=workspace,
                               env=cli.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL, text=True)
    try:
        deadline = time.monotonic() + 60
        while not fake_openai.requests_to("POST /v1/files") and time.monotonic() < deadline:
            time.sleep(0.02)
        assert fake_openai.requests_to("POST /v1/files"), "the upload never reached the fake"
        ledger = workspace / ".finetune" / "ledger.jsonl"
        if ledger.exists():
            ledger.unlink()
        ledger.mkdir(parents=True)  # replaced while the upload is in flight
        gate.set()
        stdout, stderr = process.communicate(timeout=60)
    finally:
        gate.set()
        if process.poll() is None:
            process.kill()
            process.communicate()
    cli.outputs += [stdout, stderr]
    [file_id] = list(fake_openai.state.files)
    assert process.returncode == 0, stderr
    assert file_id in stdout and "internal error" not in stderr
    assert f"{file_id} (file) was made but could not be recorded in" in stderr and str(ledger) in stderr


# ---------------------------------------------------------------- 3, 4: a damaged ledger
def test_an_entry_after_a_line_cut_off_by_a_crash_starts_on_a_fresh_line(cli, fake_openai, workspace):
    ledger = workspace / ".finetune" / "ledger.jsonl"
    ledger.parent.mkdir()
    ledger.write_text('{"id": "file-old", "kind": "file"}\n{"id": "ftjob-cut', encoding="utf-8")  # no newline
    file_id = cli.upload()
    create = cli("jobs", "create", file_id, "--model", MODEL, "--yes", "--json")
    assert create.returncode == 0, create.stderr
    job_id = json.loads(create.stdout)["id"]
    kept = [(e["kind"], e["id"]) for e in Ledger(str(workspace)).entries()]
    assert ("file", file_id) in kept and ("job", job_id) in kept and ("file", "file-old") in kept
    offline = cli("jobs", "list", "--offline")
    assert offline.returncode == 0 and job_id in offline.stdout and "no jobs" not in offline.stdout
    assert "damaged line 2 " in offline.stderr  # the cut-off line, named


def test_a_bad_byte_in_the_ledger_skips_and_names_that_line_only(cli, fake_openai, workspace):
    ledger = workspace / ".finetune" / "ledger.jsonl"
    ledger.parent.mkdir()
    ledger.write_bytes(b'{"id": "ftjob-a", "kind": "job", "model": "m"}\n'
                       b'{"id": "ftjob-\xff", "kind": "job"}\n'
                       b'{"id": "ftjob-b", "kind": "job", "model": "m"}\n')
    offline = cli("jobs", "list", "--offline")
    assert offline.returncode == 0, offline.stderr
    assert "ftjob-a" in offline.stdout and "ftjob-b" in offline.stdout
    assert "damaged line 2 " in offline.stderr and str(ledger) in offline.stderr
    assert "internal error" not in offline.stderr
    file_id = cli.upload()
    create = cli("jobs", "create", file_id, "--model", MODEL, "--yes")  # reads the ledger for the file's path
    assert create.returncode == 0, create.stderr
    assert "damaged line 2 " in create.stderr and "UnicodeDecodeError" not in create.stderr
    assert len(list(Ledger(str(workspace)).entries("job"))) == 3


# ---------------------------------------------------------------- 13: malformed answers
JSON = "application/json"


@pytest.mark.parametrize("args, route, body, content_type, expected", [
    (("jobs", "list"), "GET /v1/fine_tuning/jobs", {"object": "list", "data": None}, JSON, "has no list of items"),
    (("jobs", "list"), "GET /v1/fine_tuning/jobs", [], JSON, "is not a JSON object but a list"),
    (("files", "list"), "GET /v1/files", {"object": "list", "data": [None]}, JSON, "not an object with an id"),
    (("models", "list"), "GET /v1/models", "just a string", JSON, "is not a JSON object but a string"),
    (("files", "list"), "GET /v1/files", b"<html>Sign in to the proxy</html>", JSON, "is not JSON"),
    (("files", "list"), "GET /v1/files", b"<html>Sign in to the proxy</html>", "text/html", "not a JSON object"),
])
def test_a_malformed_answer_is_one_sentence_and_exit_status_1(cli, fake_openai, args, route, body, content_type,
                                                               expected):
    fake_openai.answer_next(route, body, content_type=content_type)
    done = cli(*args)
    assert done.returncode == 1 and one_sentence(done.stderr), done.stderr
    assert expected in done.stderr and "OpenAI-compatible" in done.stderr


def test_a_create_answered_without_an_id_reports_no_job_and_records_no_null(cli, fake_openai, workspace):
    file_id = cli.upload()
    fake_openai.answer_next("POST /v1/fine_tuning/jobs", {"object": "fine_tuning.job", "status": "queued"})
    done = cli("jobs", "create", file_id, "--model", MODEL, "--yes")
    assert done.returncode == 1 and one_sentence(done.stderr), done.stderr
    assert "has no id" in done.stderr and "may have been made" in done.stderr
    assert "None" not in done.stdout
    assert not list(Ledger(str(workspace)).entries("job"))
    assert '"id": null' not in (workspace / ".finetune" / "ledger.jsonl").read_text(encoding="utf-8")
