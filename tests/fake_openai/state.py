"""Everything the fake remembers, in memory, behind one lock.

Stored objects are kept in their JSON wire shape, so answering is a copy and
never a translation; side data (file bytes, upload parts, job progress)
lives in separate maps.
"""

from __future__ import annotations

import copy
import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError, not_found

# The base models an eligible org can still fine-tune in late 2026, with the
# shutdown date `GET /v1/models` reports (finetuning-facts.md §0).
DEFAULT_BASE_MODELS: dict[str, str | None] = {
    "gpt-4.1-2025-04-14": "2027-01-14",
    "gpt-4.1-mini-2025-04-14": "2027-01-14",
    "gpt-4o-2024-08-06": "2027-01-14",
    "gpt-4o-mini-2024-07-18": "2027-01-14",
}

DEFAULT_ANSWER = "This is a canned answer from the fake OpenAI server."


@dataclass
class FakeState:
    organization: str = "fake-org"
    organization_id: str = "org-fake0000000000000000"
    file_processing_retrieves: int = 0  # retrieves that still report "uploaded"
    training_steps: int = 3
    auto_advance: bool = False
    default_answer: str = DEFAULT_ANSWER
    lock: threading.RLock = field(default_factory=threading.RLock)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    file_data: dict[str, bytes] = field(default_factory=dict)
    file_retrieves: dict[str, int] = field(default_factory=dict)
    uploads: dict[str, dict[str, Any]] = field(default_factory=dict)
    upload_parts: dict[str, dict[str, bytes]] = field(default_factory=dict)
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    job_events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # oldest first
    job_checkpoints: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # oldest first
    job_steps_done: dict[str, int] = field(default_factory=dict)
    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    answers: dict[str, str] = field(default_factory=dict)
    checkpoint_copies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # Azure: checkpoint id -> copies
    deployments: dict[str, str] = field(default_factory=dict)  # Azure: serving deployment -> model
    azure_jobs: set[str] = field(default_factory=set)  # jobs created through Azure's routes: Azure names their models
    _counter: itertools.count = field(default_factory=lambda: itertools.count(1))

    # Readable, ordered ids ("file-fake000001") make failing tests easy to read;
    # nothing in the API promises random ids.
    def new_id(self, prefix: str) -> str:
        return f"{prefix}fake{next(self._counter):06d}"

    @staticmethod
    def now() -> int:
        return int(time.time())

    def add_model(self, model_id: str, owned_by: str = "system", shutdown_date: str | None = None) -> dict[str, Any]:
        model = {
            "id": model_id,
            "object": "model",
            "created": self.now(),
            "owned_by": owned_by,
            "shutdown_date": shutdown_date,
        }
        self.models[model_id] = model
        return model

    def model(self, model_id: str) -> dict[str, Any]:
        if model_id not in self.models:
            raise ApiError(
                404,
                f"The model `{model_id}` does not exist or you do not have access to it.",
                param="model",
                code="model_not_found",
            )
        return self.models[model_id]

    def add_file(self, filename: str, purpose: str, data: bytes) -> dict[str, Any]:
        file_id = self.new_id("file-")
        status = "processed" if self.file_processing_retrieves <= 0 else "uploaded"
        self.files[file_id] = {
            "id": file_id,
            "object": "file",
            "bytes": len(data),
            "created_at": self.now(),
            "filename": filename,
            "purpose": purpose,
            "status": status,
        }
        # `expires_at` and `status_details` are left out rather than null: the
        # spec types them as plain integer/string.
        self.file_data[file_id] = data
        self.file_retrieves[file_id] = 0
        return self.files[file_id]

    def file(self, file_id: str) -> dict[str, Any]:
        if file_id not in self.files:
            raise not_found("File object", file_id)
        return self.files[file_id]

    def job(self, job_id: str) -> dict[str, Any]:
        if job_id not in self.jobs:
            raise not_found("fine-tuning job", job_id, param="fine_tuning_job_id")
        return self.jobs[job_id]

    def add_event(
        self,
        job_id: str,
        message: str,
        *,
        level: str = "info",
        type: str = "message",
        data: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        event = {
            "id": self.new_id("ftevent-"),
            "object": "fine_tuning.job.event",
            "created_at": self.now(),
            "level": level,
            "message": message,
            "type": type,
            "data": data or {},
        }
        self.job_events.setdefault(job_id, []).append(event)
        return event


def snapshot(value: Any) -> Any:
    """A copy that later changes to the state cannot reach."""
    return copy.deepcopy(value)
