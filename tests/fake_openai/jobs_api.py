"""/v1/fine_tuning/jobs: create, list, retrieve, cancel, pause, resume, events, checkpoints."""

from __future__ import annotations

from typing import Any

from . import job_lifecycle
from .errors import ApiError, invalid_parameter
from .routing import Request, Router, cursor_page, list_body
from .state import FakeState, snapshot

# What each method's hyperparameters default to before the service picks values.
AUTO_HYPERPARAMETERS: dict[str, dict[str, Any]] = {
    "supervised": {"batch_size": "auto", "learning_rate_multiplier": "auto", "n_epochs": "auto"},
    "dpo": {"batch_size": "auto", "beta": "auto", "learning_rate_multiplier": "auto", "n_epochs": "auto"},
    "reinforcement": {
        "batch_size": "auto",
        "compute_multiplier": "auto",
        "eval_interval": "auto",
        "eval_samples": "auto",
        "learning_rate_multiplier": "auto",
        "n_epochs": "auto",
        "reasoning_effort": "default",
    },
}
# Inclusive ranges from the spec; learning_rate_multiplier and beta are (0, max].
RANGES = {"batch_size": (1, 256), "n_epochs": (1, 50), "learning_rate_multiplier": (0, float("inf")), "beta": (0, 2)}


def _check_hyperparameters(kind: str, values: dict[str, Any]) -> None:
    for name, value in values.items():
        if name not in RANGES or value == "auto":
            continue
        low, high = RANGES[name]
        exclusive_low = name in ("learning_rate_multiplier", "beta")
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not (low < value if exclusive_low else low <= value)
            or value > high
        ):
            raise invalid_parameter(f"method.{kind}.hyperparameters.{name}", f"Invalid value for '{name}': {value!r}.")


def _method(body: dict[str, Any]) -> dict[str, Any]:
    """The job's `method`, built from `method` or from the legacy `hyperparameters`."""
    method = body.get("method") or {
        "type": "supervised",
        "supervised": {"hyperparameters": body.get("hyperparameters") or {}},
    }
    kind = method.get("type") if isinstance(method, dict) else None
    if kind not in AUTO_HYPERPARAMETERS:
        raise invalid_parameter(
            "method.type", f"Invalid value for 'method.type': {kind!r}. Expected supervised, dpo or reinforcement."
        )
    details = dict(method.get(kind) or {})
    if kind == "reinforcement" and "grader" not in details:
        raise ApiError(
            400,
            "Missing required parameter: 'method.reinforcement.grader'.",
            param="method.reinforcement.grader",
            code="missing_required_parameter",
        )
    _check_hyperparameters(kind, details.get("hyperparameters") or {})
    details["hyperparameters"] = {**AUTO_HYPERPARAMETERS[kind], **(details.get("hyperparameters") or {})}
    return {"type": kind, kind: details}


def _training_input(state: FakeState, body: dict[str, Any], name: str) -> str | None:
    file_id = body.get(name)
    if file_id is None:
        return None
    file = state.files.get(file_id)
    if file is None:
        raise ApiError(400, f"invalid {name}: {file_id}", param=name)
    if file["purpose"] != "fine-tune":
        raise ApiError(
            400, f"File {file_id} has purpose '{file['purpose']}'; fine-tuning needs purpose 'fine-tune'.", param=name
        )
    return file_id


def _check_metadata(metadata: Any) -> None:
    if metadata is None:
        return
    if not isinstance(metadata, dict) or len(metadata) > 16:
        raise invalid_parameter("metadata", "metadata must be an object with at most 16 pairs.")
    for key, value in metadata.items():
        if len(key) > 64 or not isinstance(value, str) or len(value) > 512:
            raise invalid_parameter(
                "metadata", "metadata keys are at most 64 characters and values strings of at most 512."
            )


def create_job(state: FakeState, request: Request) -> dict[str, Any]:
    body = request.body_object()
    model = request.require(body, "model")
    request.require(body, "training_file")
    if model not in state.models:
        raise ApiError(400, f"Model {model} is not available for fine-tuning or does not exist.", param="model")
    training_file = _training_input(state, body, "training_file")
    validation_file = _training_input(state, body, "validation_file")
    suffix = body.get("suffix")
    if suffix is not None and (not isinstance(suffix, str) or not 1 <= len(suffix) <= 64):
        raise invalid_parameter("suffix", "suffix must be 1 to 64 characters.")
    _check_metadata(body.get("metadata"))
    training_type = _training_type(request, body)
    method = _method(body)
    job_id = state.new_id("ftjob-")
    state.jobs[job_id] = {
        "id": job_id,
        "object": "fine_tuning.job",
        "created_at": state.now(),
        "error": None,
        "fine_tuned_model": None,
        "finished_at": None,
        "hyperparameters": {
            key: method[method["type"]]["hyperparameters"][key] for key in AUTO_HYPERPARAMETERS["supervised"]
        },
        "model": model,
        "organization_id": state.organization_id,
        "result_files": [],
        "status": "validating_files",
        "trained_tokens": None,
        "training_file": training_file,
        "validation_file": validation_file,
        "integrations": body.get("integrations") or [],
        "seed": body["seed"] if isinstance(body.get("seed"), int) else 42,
        "estimated_finish": None,
        "method": method,
        "metadata": body.get("metadata"),
        "user_provided_suffix": suffix,  # in the live API, not in the spec
        **({"trainingType": training_type} if training_type else {}),  # Azure echoes it
    }
    if request.azure:
        state.azure_jobs.add(job_id)
    state.job_steps_done[job_id] = 0
    state.add_event(job_id, f"Created fine-tuning job: {job_id}")
    state.add_event(
        job_id,
        f"Validating training file: {training_file}"
        + (f" and validation file: {validation_file}" if validation_file else ""),
    )
    return snapshot(state.jobs[job_id])


def _metadata_filter(request: Request) -> dict[str, str] | None:
    """`metadata[k]=v` pairs; `metadata=null` asks for jobs without metadata."""
    if request.arg("metadata") == "null":
        return None
    return {
        key[len("metadata[") : -1]: values[-1]
        for key, values in request.query.items()
        if key.startswith("metadata[") and key.endswith("]")
    }


def _training_type(request: Request, body: dict[str, Any]) -> str | None:
    """Azure's trainingType (case-insensitive, as its pages spell it differently); OpenAI
    knows no such argument."""
    value = body.get("trainingType")
    if value is None:
        return None
    if not request.azure:
        raise ApiError(400, "Unrecognized request argument supplied: trainingType", param="trainingType")
    names = {"standard": "Standard", "globalstandard": "GlobalStandard", "developer": "Developer",
             "developertier": "Developer"}
    if not isinstance(value, str) or value.lower() not in names:
        raise ApiError(400, f"Invalid trainingType '{value}'.", param="trainingType", code="invalidPayload")
    return names[value.lower()]


def list_jobs(state: FakeState, request: Request) -> dict[str, Any]:
    wanted = _metadata_filter(request)
    jobs = list(reversed(state.jobs.values()))  # newest first, as the live API lists them
    if wanted is None:
        jobs = [job for job in jobs if not job["metadata"]]
    else:
        jobs = [job for job in jobs if all((job["metadata"] or {}).get(key) == value for key, value in wanted.items())]
    page, has_more = cursor_page(jobs, request.arg("after"), request.int_arg("limit", 20, 1, 100))
    return list_body(snapshot(page), has_more, with_ids=False)


def _job_id(request: Request) -> str:
    return request.path_params["job_id"]


def retrieve_job(state: FakeState, request: Request) -> dict[str, Any]:
    job = state.job(_job_id(request))
    if state.auto_advance and job["status"] in ("validating_files", "queued", "running"):
        job_lifecycle.advance(state, job["id"])
    return snapshot(job)


def _transition(state: FakeState, request: Request, allowed: set[str], verb: str, action) -> dict[str, Any]:
    job = state.job(_job_id(request))
    if job["status"] not in allowed:
        raise ApiError(
            400, f"Cannot {verb} job {job['id']}: its status is {job['status']}.", param="fine_tuning_job_id"
        )
    action(state, job["id"])
    return snapshot(job)


def cancel_job(state: FakeState, request: Request) -> dict[str, Any]:
    return _transition(
        state, request, {"validating_files", "queued", "running", "pausing", "paused"}, "cancel", job_lifecycle.cancel
    )


def pause_job(state: FakeState, request: Request) -> dict[str, Any]:
    return _transition(state, request, {"running"}, "pause", job_lifecycle.pause)


def resume_job(state: FakeState, request: Request) -> dict[str, Any]:
    return _transition(state, request, {"paused"}, "resume", job_lifecycle.resume)


def list_events(state: FakeState, request: Request) -> dict[str, Any]:
    job = state.job(_job_id(request))
    events = list(reversed(state.job_events.get(job["id"], [])))  # newest first, as observed live
    page, has_more = cursor_page(events, request.arg("after"), request.int_arg("limit", 20, 1, 100))
    return list_body(snapshot(page), has_more, with_ids=False)


def list_checkpoints(state: FakeState, request: Request) -> dict[str, Any]:
    job = state.job(_job_id(request))
    checkpoints = list(reversed(state.job_checkpoints.get(job["id"], [])))
    page, has_more = cursor_page(checkpoints, request.arg("after"), request.int_arg("limit", 10, 1, 100))
    return list_body(snapshot(page), has_more, with_ids=True)


def register(router: Router) -> None:
    router.add("POST", "/v1/fine_tuning/jobs", create_job)
    router.add("GET", "/v1/fine_tuning/jobs", list_jobs)
    router.add("GET", "/v1/fine_tuning/jobs/{job_id}", retrieve_job)
    router.add("POST", "/v1/fine_tuning/jobs/{job_id}/cancel", cancel_job)
    router.add("POST", "/v1/fine_tuning/jobs/{job_id}/pause", pause_job)
    router.add("POST", "/v1/fine_tuning/jobs/{job_id}/resume", resume_job)
    router.add("GET", "/v1/fine_tuning/jobs/{job_id}/events", list_events)
    router.add("GET", "/v1/fine_tuning/jobs/{job_id}/checkpoints", list_checkpoints)
