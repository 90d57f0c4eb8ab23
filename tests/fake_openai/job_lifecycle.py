"""How a fine-tuning job moves, driven by the test instead of by time.

validating_files -> queued -> running (one metrics event per training step,
one step per advance) -> succeeded. `fail` ends a job with an `error`.
Statuses stay open strings: the live API also reports pausing/paused.
"""

from __future__ import annotations

from typing import Any

from . import azure
from .state import FakeState

TERMINAL = {"succeeded", "failed", "cancelled"}
DEFAULT_EPOCHS = 3  # what "auto" resolves to in the fake


def _epochs(job: dict[str, Any]) -> int:
    n_epochs = job["hyperparameters"].get("n_epochs")
    return n_epochs if isinstance(n_epochs, int) else DEFAULT_EPOCHS


def _epoch_end_steps(total_steps: int, epochs: int) -> set[int]:
    return {max(1, round(total_steps * epoch / epochs)) for epoch in range(1, epochs + 1)}


def _metrics(job: dict[str, Any], step: int, total_steps: int) -> dict[str, Any]:
    # Deterministic, falling loss curves: tests can assert exact values.
    train_loss = round(2.0 / (1 + step), 4)
    data: dict[str, Any] = {
        "step": step,
        "total_steps": total_steps,
        "train_loss": train_loss,
        "train_mean_token_accuracy": round(1 - train_loss / 4, 4),
    }
    if job["validation_file"]:
        data["valid_loss"] = round(train_loss * 1.1, 4)
        data["valid_mean_token_accuracy"] = round(1 - train_loss * 1.1 / 4, 4)
        if step in _epoch_end_steps(total_steps, _epochs(job)):
            data["full_valid_loss"] = round(train_loss * 1.05, 4)
            data["full_valid_mean_token_accuracy"] = round(1 - train_loss * 1.05 / 4, 4)
    return data


def _step_message(data: dict[str, Any]) -> str:
    text = f"Step {data['step']}/{data['total_steps']}: training loss={data['train_loss']:.2f}"
    if "valid_loss" in data:
        text += f", validation loss={data['valid_loss']:.2f}"
    return text


def _run_step(state: FakeState, job: dict[str, Any]) -> None:
    step = state.job_steps_done[job["id"]] + 1
    state.job_steps_done[job["id"]] = step
    data = _metrics(job, step, state.training_steps)
    state.add_event(job["id"], _step_message(data), type="metrics", data=data)


def _results_csv(state: FakeState, job: dict[str, Any]) -> bytes:
    # Columns as the guide documents them (finetuning-facts.md §1e).
    rows = ["step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy"]
    for event in state.job_events[job["id"]]:
        if event["type"] == "metrics":
            data = event["data"]
            values = (
                data["step"],
                data["train_loss"],
                data["train_mean_token_accuracy"],
                data.get("valid_loss", ""),
                data.get("valid_mean_token_accuracy", ""),
            )
            rows.append(",".join(str(value) for value in values))
    return ("\n".join(rows) + "\n").encode()


def _model_name(state: FakeState, job: dict[str, Any]) -> str:
    if job["id"] in state.azure_jobs:
        return azure.fine_tuned_model(job)
    job_number = job["id"].rsplit("fake", 1)[-1]
    suffix = job.get("user_provided_suffix") or ""
    return f"ft:{job['model']}:{state.organization}:{suffix}:fk{job_number}"


def _checkpoint_names(state: FakeState, job: dict[str, Any], model_name: str, step: int) -> tuple[str, str]:
    """(id, model name) of the checkpoint at a step."""
    if job["id"] in state.azure_jobs:
        return azure.checkpoint(job, step)
    return state.new_id("ftckpt_"), f"{model_name}:ckpt-step-{step}"


def _succeed(state: FakeState, job: dict[str, Any]) -> None:
    model_name = _model_name(state, job)
    for event in state.job_events[job["id"]]:
        step = event["data"].get("step")
        if event["type"] == "metrics" and step in _epoch_end_steps(state.training_steps, _epochs(job)):
            metrics = {key: value for key, value in event["data"].items() if key != "total_steps"}
            checkpoint_id, checkpoint_name = _checkpoint_names(state, job, model_name, step)
            state.job_checkpoints.setdefault(job["id"], []).append(
                {
                    "id": checkpoint_id,
                    "object": "fine_tuning.job.checkpoint",
                    "created_at": state.now(),
                    "fine_tuned_model_checkpoint": checkpoint_name,
                    "fine_tuning_job_id": job["id"],
                    "metrics": metrics,
                    "step_number": step,
                }
            )
            state.add_event(job["id"], f"Checkpoint created at step {step}")
    # SFT keeps the checkpoints of the last three epochs only.
    state.job_checkpoints[job["id"]] = state.job_checkpoints.get(job["id"], [])[-3:]
    results = state.add_file("step_metrics.csv", "fine-tune-results", _results_csv(state, job))
    training_bytes = state.files.get(job["training_file"], {}).get("bytes", 400)
    job.update(
        status="succeeded",
        fine_tuned_model=model_name,
        finished_at=state.now(),
        trained_tokens=max(1, training_bytes // 4) * _epochs(job),
        result_files=[results["id"]],
        estimated_finish=None,
    )
    state.add_model(model_name, owned_by=state.organization_id)
    state.add_event(job["id"], f"New fine-tuned model created: {model_name}")
    state.add_event(job["id"], "The job has successfully completed")


def advance(state: FakeState, job_id: str) -> str:
    """Move a job one step on; returns its new status."""
    job = state.job(job_id)
    status = job["status"]
    if status == "validating_files":
        job["status"] = "queued"
        state.add_event(job_id, "Files validated, moving job to queued state")
    elif status == "queued":
        job["status"] = "running"
        job["estimated_finish"] = state.now() + 60 * state.training_steps
        state.add_event(job_id, "Fine-tuning job started")
        _run_step(state, job)
    elif status == "running" and state.job_steps_done[job_id] < state.training_steps:
        _run_step(state, job)
    elif status == "running":
        _succeed(state, job)
    else:
        raise ValueError(f"job {job_id} is {status}; advance moves only validating_files, queued and running jobs")
    return job["status"]


def advance_to(state: FakeState, job_id: str, target: str) -> str:
    status = state.job(job_id)["status"]
    while status != target:
        if status in TERMINAL:
            raise ValueError(f"job {job_id} ended as {status} before reaching {target}")
        status = advance(state, job_id)
    return status


def fail(
    state: FakeState,
    job_id: str,
    message: str,
    code: str = "invalid_training_file",
    param: str | None = "training_file",
) -> None:
    job = state.job(job_id)
    job.update(
        status="failed",
        error={"code": code, "message": message, "param": param},
        finished_at=state.now(),
        estimated_finish=None,
    )
    state.add_event(job_id, message, level="error")


def cancel(state: FakeState, job_id: str) -> None:
    job = state.job(job_id)
    job.update(status="cancelled", estimated_finish=None)
    state.add_event(job_id, "Fine-tuning job cancelled")


def pause(state: FakeState, job_id: str) -> None:
    # The live API checkpoints, reports "pausing", then "paused"; one step here.
    state.job(job_id)["status"] = "paused"
    state.add_event(job_id, "Fine-tuning job paused")


def resume(state: FakeState, job_id: str) -> None:
    state.job(job_id)["status"] = "running"
    state.add_event(job_id, "Fine-tuning job resumed")
