"""Fine-tuning jobs: checked before they are made, made once even when a create call is
retried, followed until they end (status, events, the metrics of the loss curve)."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date

import openai

from finetune_ls.api import answers, files
from finetune_ls.api.ledger import Ledger
from finetune_ls.core.catalog import ModelCatalog
from finetune_ls.core.engine import CheckSettings, check_path
from finetune_ls.core.shapes import FORMAT_METHOD

TAG_KEY = "finetune_ls_request"  # metadata key that marks the jobs this tool creates
# Azure's training types, as its v1 Python example spells them in `trainingType`
# (providers.md §1.1; which other spellings the service takes is unconfirmed).
TRAINING_TYPES = ("Standard", "GlobalStandard", "Developer")
# Copying a checkpoint to another resource is a preview of Azure's v1 API, opted into by header (§1.5).
COPY_CHECKPOINT_HEADERS = {"aoai-copy-ft-checkpoints": "preview", "accept": "application/json"}
TERMINAL = ("succeeded", "failed", "cancelled")
METHODS = ("supervised", "dpo", "reinforcement")
CREATE_ATTEMPTS = 3
RETRYABLE = (openai.APITimeoutError, openai.APIConnectionError, openai.InternalServerError, openai.RateLimitError)
# Seconds to keep looking such a create up by its tag before trying again: it may land
# after the client gave up. Tests shorten it.
CREATE_SETTLE_SECONDS = float(os.environ.get("FINETUNE_LS_CREATE_SETTLE_SECONDS", "30"))


class JobRefused(Exception):
    """The job would fail or cannot be made: the message says why and what to do."""


class JobMaybeMade(JobRefused):
    """No attempt of a create was answered and no job with its tag showed: it may still land."""


@dataclass
class JobRequest:
    model: str
    training_file: str
    method: str = "supervised"
    hyperparameters: dict = field(default_factory=dict)  # n_epochs, batch_size, learning_rate_multiplier, beta
    suffix: str | None = None
    seed: int | None = None
    validation_file: str | None = None
    metadata: dict = field(default_factory=dict)
    training_type: str | None = None  # Azure only: Standard, GlobalStandard, Developer

    def body(self, tag: str) -> dict:
        """The create call's arguments (the method object carries the hyperparameters)."""
        method: dict = {"type": self.method}
        if self.hyperparameters:
            method[self.method] = {"hyperparameters": dict(self.hyperparameters)}
        body = {"model": self.model, "training_file": self.training_file, "method": method,
                "metadata": {**self.metadata, TAG_KEY: tag}}
        for key in ("suffix", "seed", "validation_file"):
            if getattr(self, key) is not None:
                body[key] = getattr(self, key)
        if self.training_type:  # not in OpenAI's API, nor the SDK's arguments: Azure's extra field
            body["extra_body"] = {"trainingType": self.training_type}
        return body


def training_type_named(value: str | None) -> str | None:
    """The training type as Azure spells it, from any casing; ValueError names the choices."""
    if value in (None, ""):
        return None
    for name in TRAINING_TYPES:
        if value.replace(" ", "").lower() == name.lower():
            return name
    raise ValueError(f"Unknown training type {value!r}: use one of {', '.join(TRAINING_TYPES)}.")


def training_type_refusal(request: JobRequest, provider: str | None) -> str | None:
    if request.training_type and provider != "azure":
        return (f"A training type ({request.training_type}) is an Azure OpenAI choice: leave it out for "
                f"{provider or 'openai'}, or use --provider azure.")
    return None


def refusal(request: JobRequest, catalog: ModelCatalog, today: date, file_format: str | None) -> str | None:
    """Why the job would fail before it is made: a model that can no longer be trained,
    or a file whose format does not fit the method. None when it looks right."""
    if request.method not in METHODS:
        return f"Unknown method {request.method!r}: use one of {', '.join(METHODS)}."
    info = catalog.resolve(request.model)
    provider = catalog.provider_name
    if info is not None and provider != "OpenAI":  # the provider's own dates and training types (Azure)
        if not info.can_train(today):
            serving = f"; deployments of its fine-tunes serve until {info.shutdown}" if info.shutdown else ""
            return (f"{request.model} can no longer be fine-tuned on {provider} (training retired {info.training_ends}"
                    f"{serving}); choose a model that can still be trained.")
        wanted = getattr(request, "training_type", None)
        if wanted and info.training_types and info.training_type(wanted) is None:
            return (f"{request.model} offers no {wanted} training on {provider} (it offers: "
                    f"{', '.join(t.name for t in info.training_types)}).")
    if info is not None:
        if not info.can_train(today):
            return (f"{request.model} can no longer be fine-tuned (training ended {info.training_ends}); "
                    "choose a model that can still be trained.")
        if request.method not in info.methods:
            return f"{request.model} cannot be trained with {request.method} (it takes: {', '.join(info.methods)})."
    if file_format is not None and FORMAT_METHOD.get(file_format) not in (None, request.method):
        return (f"The training file is {file_format} data, which {request.method} does not take "
                f"(use method {FORMAT_METHOD[file_format]}).")
    return None


@dataclass
class PlannedJob:
    request: JobRequest  # with file ids only
    summary: dict | None  # the engine's summary of the local training file, for the estimate
    reused: list = field(default_factory=list)  # files.Uploaded: local files the ledger held uploaded already


def file_id_of(client: openai.OpenAI, ledger: Ledger, value: str, settings: CheckSettings,
               reuse: bool = True, reused: list | None = None) -> tuple[str, str | None]:
    """(file id, local path): a local path is checked and uploaded first (or, with `reuse`,
    the file uploaded before with the same content is taken, and added to `reused`); for a
    file id, the path it was uploaded from, when the ledger knows it."""
    if os.path.isfile(value):
        done = files.upload(client, value, ledger, settings=settings, reuse=reuse)
        if done.reused and reused is not None:
            reused.append(done)
        return done.file.id, value
    return value, ledger.path_of(value)


def plan(client: openai.OpenAI, ledger: Ledger, catalog: ModelCatalog, settings: CheckSettings,
         request: JobRequest, reuse: bool = True) -> PlannedJob:
    """The job as it will be made: local files uploaded (checked first; with `reuse`, an
    upload of the same content the ledger holds is taken instead), the training file's
    summary for the cost estimate, and JobRefused for a job that would fail."""
    problem = training_type_refusal(request, settings.provider)
    if problem:  # before any upload
        raise JobRefused(problem)
    reused: list = []
    training, local = file_id_of(client, ledger, request.training_file, settings, reuse, reused)
    validation = (file_id_of(client, ledger, request.validation_file, settings, reuse, reused)[0]
                  if request.validation_file else None)
    if getattr(request, "training_type", None) and settings.training_type is None:
        settings = replace(settings, training_type=request.training_type)  # the estimate prices that type
    report = check_path(local, settings) if local else None
    request = replace(request, training_file=training, validation_file=validation)
    problem = refusal(request, catalog, settings.resolved_today(), report.format if report else None)
    if problem:
        raise JobRefused(problem)
    return PlannedJob(request, report.summary if report else None, reused)


def estimate(summary: dict | None) -> str:
    """The cost estimate shown before a job is started."""
    if summary is None:
        return "no local copy of the file, so no cost estimate"
    cost = summary.get("estimated_cost_usd")
    tokens = summary.get("billed_tokens") or summary.get("trained_tokens") or summary.get("tokens")
    text = (f"{summary.get('examples', 0):,} examples, {tokens or 0:,} billed tokens"
            + (f", about ${cost:,.2f}" if cost is not None else ""))
    if summary.get("training_type"):  # Azure: the price depends on the training type, and is not confirmed
        text += (f", {summary['training_type']} training on Azure OpenAI"
                 + (" at an unconfirmed price" if cost is not None else f": {summary.get('cost_note')}"))
    return text


def create_job(client: openai.OpenAI, ledger: Ledger, request: JobRequest,
               settle: float | None = None) -> CreatedJob:
    """Create the job once. The SDK sends no idempotency key, so a create that timed out may
    still make a job, even a while later: each attempt carries the same tag in `metadata`,
    and after an attempt whose fate is unknown the jobs with that tag are looked up until
    one shows or `settle` seconds pass, before trying again. Should two jobs with the tag
    exist all the same (the first landed later still), both are recorded and returned."""
    settle = CREATE_SETTLE_SECONDS if settle is None else settle
    ledger.ensure_writable()  # before the paid call, not after it
    tag = uuid.uuid4().hex
    ledger.record("job-request", tag, model=request.model, training_file=request.training_file,
                  method=request.method, **({"training_type": request.training_type} if request.training_type else {}))
    once = client.with_options(max_retries=0)  # retries are ours, so each one is reconciled first
    unsure = False  # whether an attempt may have made a job we were not told of
    last_error: Exception | None = None
    for attempt in range(CREATE_ATTEMPTS):
        try:
            job = answers.made(lambda: once.fine_tuning.jobs.create(**request.body(tag)), "the job create",
                               note=f"The job may have been made all the same: the job list shows it "
                                    f"(metadata {TAG_KEY}={tag}).")
        except RETRYABLE as error:
            if _out_of_quota(error):
                raise  # retrying cannot help, and nothing was made
            last_error = error
            if _may_have_landed(error):
                unsure = True
                found = wait_for_tagged(once, tag, settle)
                if found:
                    return _recorded(ledger, request, tag, found)
            elif attempt + 1 < CREATE_ATTEMPTS:  # refused, or never sent: nothing to wait for
                time.sleep(min(8.0, 0.5 * 2 ** (attempt + 1)))
            continue
        except answers.MalformedAnswer:
            found = wait_for_tagged(once, tag, 0)  # one look: the answer lost the id, maybe not the job
            if found:
                return _recorded(ledger, request, tag, found)
            raise
        created = _recorded(ledger, request, tag, [job])
        if unsure:  # an earlier attempt may have landed after all: it is recorded and reported too
            late = [other for other in wait_for_tagged(once, tag, 0) if other.id != job.id]
            created.others = _recorded(ledger, request, tag, late).all
        return created
    if unsure:
        raise JobMaybeMade(f"No attempt of the job create ended clearly (the last: {type(last_error).__name__}) "
                           "and no job with its tag showed; it may still be made: look for it in the job list "
                           f"(metadata {TAG_KEY}={tag}) before starting it again.") from last_error
    raise last_error


def _out_of_quota(error: Exception) -> bool:
    """A 429 that says the quota or credit is used up (OpenAI's insufficient_quota, Azure's
    quotaExceeded), not that requests came too fast."""
    from finetune_ls.api.errors import error_code
    return isinstance(error, openai.RateLimitError) and error_code(error) in ("insufficient_quota", "quotaExceeded")


def _may_have_landed(error: Exception) -> bool:
    """Whether a failed create may have reached the service and made its job: not when it
    was refused (429), nor when it was never sent (no connection); after a time-out, a
    dropped connection or a server error, it may have."""
    if isinstance(error, openai.RateLimitError):
        return False
    # By name: the SDK's transport is httpx, or httpx2 in openai 3.
    return type(error.__cause__).__name__ not in ("ConnectError", "ConnectTimeout")


@dataclass
class CreatedJob:
    job: openai.types.fine_tuning.FineTuningJob | None  # the job made (or found by its tag)
    others: list = field(default_factory=list)  # more jobs with the same tag: attempts made after all

    @property
    def all(self) -> list:
        return [self.job, *self.others] if self.job is not None else []


def _recorded(ledger: Ledger, request: JobRequest, tag: str, made: list) -> CreatedJob:
    """Each job into the ledger before it is reported."""
    for job in made:
        ledger.record("job", job.id, model=job.model, training_file=request.training_file, tag=tag)
    return CreatedJob(made[0] if made else None, made[1:])


def wait_for_tagged(client: openai.OpenAI, tag: str, settle: float) -> list:
    """The jobs with the tag, looked up until one shows or `settle` seconds pass."""
    deadline = time.monotonic() + settle
    pause = 0.25
    while True:
        try:
            found = find_tagged(client, tag)
        except (openai.OpenAIError, answers.MalformedAnswer):
            found = []  # the lookup failed too; the next one (or the next attempt) may not
        left = deadline - time.monotonic()
        if found or left <= 0:
            return found
        time.sleep(min(pause, left))
        pause = min(pause * 1.5, 3.0)


def find_tagged(client: openai.OpenAI, tag: str) -> list:
    """The jobs made with this request tag, oldest first."""
    from finetune_ls.api.connection import on_dated_azure
    # Azure's dated paths take no metadata filter: the newest jobs are looked through instead.
    listed = answers.listed(lambda: client.fine_tuning.jobs.list(limit=20) if on_dated_azure(client)
                            else client.fine_tuning.jobs.list(metadata={TAG_KEY: tag}, limit=10),
                            "the job lookup by tag")
    tagged = [job for job in reversed(listed) if (job.metadata or {}).get(TAG_KEY) == tag]
    return sorted(tagged, key=lambda job: job.created_at or 0)


def list_jobs(client: openai.OpenAI, limit: int = 20) -> list:
    return answers.listed(lambda: client.fine_tuning.jobs.list(limit=limit), "the job list")


def events(client: openai.OpenAI, job_id: str, limit: int = 100) -> list:
    """The job's events, oldest first (the API gives newest first)."""
    return list(reversed(answers.listed(lambda: client.fine_tuning.jobs.list_events(job_id, limit=limit),
                                        "the job's events")))


def metrics_of(event) -> dict | None:
    """The numbers of a metrics event (step, train_loss, valid_loss, train_mean_token_accuracy, ...)."""
    data = getattr(event, "data", None)
    if getattr(event, "type", None) != "metrics" or not isinstance(data, dict):
        return None
    return {key: value for key, value in data.items() if isinstance(value, (int, float)) and not isinstance(value, bool)}


def follow(client: openai.OpenAI, job_id: str, *, on_event: Callable[[object], None] | None = None,
           poll: float = 5.0, max_poll: float = 60.0, stop: Callable[[], bool] | None = None,
           sleep: Callable[[float], None] = time.sleep) -> Iterator:
    """Yield the job each time its status changes, calling `on_event` for every new
    event in order, until it ends (or `stop` says so). Polls with back-off while nothing
    happens. Statuses the API adds later are passed on as they are."""
    seen: set[str] = set()
    last_status = None
    wait = poll
    while True:
        job = answers.made(lambda: client.fine_tuning.jobs.retrieve(job_id), f"the status of {job_id}")
        fresh = [event for event in events(client, job_id) if event.id not in seen]
        for event in fresh:
            seen.add(event.id)
            if on_event:
                on_event(event)
        if job.status != last_status:
            last_status = job.status
            yield job
        if job.status in TERMINAL or (stop is not None and stop()):
            return
        wait = poll if fresh else min(max_poll, wait * 1.5)
        sleep(wait)


def estimated_finish(job) -> str | None:
    """When the job is expected to end (UTC, ISO 8601), where the service says (Azure, and
    OpenAI while running)."""
    value = getattr(job, "estimated_finish", None)
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(value))


def checkpoints(client: openai.OpenAI, job_id: str) -> list:
    return answers.listed(lambda: client.fine_tuning.jobs.checkpoints.list(job_id), "the job's checkpoints")


def copy_checkpoint(client: openai.OpenAI, ledger: Ledger, job_id: str, checkpoint_id: str, destination: str,
                    region: str) -> dict:
    """Copy a checkpoint to another Azure resource (a preview of Azure's v1 API): the
    destination is its full resource id, in the same tenant, and must have run a
    fine-tuning job already. The copy is recorded in the ledger before it is reported."""
    ledger.ensure_writable()
    answer = client.post(f"/fine_tuning/jobs/{job_id}/checkpoints/{checkpoint_id}/copy",
                         cast_to=object, body={"destinationResourceId": destination, "region": region},
                         options={"headers": COPY_CHECKPOINT_HEADERS})
    if not isinstance(answer, dict):
        raise answers.MalformedAnswer("the checkpoint copy", f"is not a JSON object but {type(answer).__name__}")
    ledger.record("checkpoint-copy", str(answer.get("checkpointedModelName") or checkpoint_id), job=job_id,
                  checkpoint=checkpoint_id, destination=destination, region=region)
    return answer
