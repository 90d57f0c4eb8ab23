"""Azure OpenAI's shape of the same API, so the fake also serves Azure clients
(providers.md §1.5):

- the v1 API, `/openai/v1/...` (OpenAI's paths and shapes under a prefix, the plain
  OpenAI client with a base URL), and the dated paths, `/openai/...?api-version=...`
  (AzureOpenAI), with inference under /openai/deployments/{deployment}/..., where the
  deployment stands for the model;
- the key in an `api-key` header or as `Authorization: Bearer <key>`, or a Microsoft
  Entra ID token as the bearer (accepted once the test hands it over);
- Azure's job object (statuses pending/running/..., `trainingType` echoed), its error
  bodies (`error(code)`, for fail_next) and its 401s;
- copying a checkpoint to another resource (a preview, opted into by header);
- Azure's ids for what a job made: the model `{base}.ft-{32 hex}`, each checkpoint
  `ftchkpt-{32 hex}` serving as `{base}.ft-{32 hex}` of its own (providers.md §1.4, and
  the checkpoint lists of Microsoft's fine-tuning tutorials), and its model list's shape
  (the authoring spec's Model: created_at, status, model, fine_tune, capabilities,
  lifecycle_status, deprecation; assumed the same on /openai/v1/models).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from datetime import date, datetime, timezone
from typing import Any

from .errors import ApiError
from .routing import Request, Response, Router
from .state import FakeState, snapshot

_DEPLOYMENT = re.compile(r"^/openai/deployments/(?P<name>[^/]+)(?P<rest>/.*)$")
V1_PREFIX = "/openai/v1/"

# Azure's 401s. The key's is in Azure's error envelope; the token's comes from the gateway
# in front of the service, in its own shape (as users report it, e.g.
# github.com/Azure-Samples/azure-search-openai-demo/issues/458).
KEY_REFUSED = {"error": {"code": "401", "message": (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an "
    "active subscription and use a correct regional API endpoint for your resource.")}}
TOKEN_REFUSED = {"statusCode": 401, "message": (
    "Unauthorized. Access token is missing, invalid, audience is incorrect (https://cognitiveservices.azure.com), "
    "or have expired.")}

# Azure's error codes (the authoring spec's ErrorCode) with a status and a message like the
# service's, for fail_next(route, *error(code)).
_ERRORS: dict[str, tuple[int, str]] = {
    "jsonlValidationFailed": (400, "Validation of jsonl data failed: line 3 is not valid JSON."),
    "quotaExceeded": (429, "Quota exceeded: this resource already runs the most fine-tuning jobs its quota allows."),
    "invalidPayload": (400, "The specified base model does not support fine-tuning in this region."),
    "DeploymentNotFound": (404, "The API deployment for this resource does not exist. If you created the deployment "
                                "within the last 5 minutes, please wait a moment and try again."),
    "404": (404, "Resource not found"),
}
# Azure reports no validating_files or queued: a job waits as "pending" (SPEC-AUTH 2024-10-21).
_STATUSES = {"validating_files": "pending", "queued": "pending"}


def error(code: str, message: str | None = None) -> tuple[int, dict[str, Any]]:
    """(status, body) of an Azure error, for fake.fail_next(route, *error("quotaExceeded"))."""
    status, default = _ERRORS[code]
    return status, {"error": {"code": code, "message": message or default}}


def as_openai(request: Request) -> Request:
    """The request as the OpenAI API would have received it (unchanged if it is one),
    marked as Azure's."""
    if not request.path.startswith("/openai/"):
        return request
    if request.path.startswith(V1_PREFIX):
        return dataclasses.replace(request, path="/v1/" + request.path[len(V1_PREFIX):], azure="v1")
    deployment = _DEPLOYMENT.match(request.path)
    if deployment is None:
        return dataclasses.replace(request, path="/v1" + request.path[len("/openai"):], azure="dated")
    body = request.body
    try:
        value = json.loads(body) if body else None
    except ValueError:
        value = None
    if isinstance(value, dict):
        body = json.dumps({**value, "model": deployment.group("name")}).encode()
    return dataclasses.replace(request, path="/v1" + deployment.group("rest"), body=body, azure="dated")


def key_of(request: Request) -> str | None:
    return request.headers.get("api-key")


def as_azure(response: Response) -> Response:
    """An answer in Azure's shape: its job statuses."""
    body = response.body
    if isinstance(body, dict):
        for job in body.get("data") if isinstance(body.get("data"), list) else [body]:
            if isinstance(job, dict) and job.get("object") == "fine_tuning.job":
                job["status"] = _STATUSES.get(job.get("status"), job.get("status"))
    return response


def _hex(*parts: object) -> str:
    # 32 lowercase hex digits like Azure's, but the same on every run and distinct in their
    # first 12 (what a default deployment name keeps).
    return hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()[:32]


def fine_tuned_model(job: dict[str, Any]) -> str:
    """The model a job made, as Azure names it (no suffix in it: UNCONFIRMED whether Azure
    puts one in)."""
    return f"{job['model']}.ft-{_hex(job['id'])}"


def checkpoint(job: dict[str, Any], step: int) -> tuple[str, str]:
    """(id, fine_tuned_model_checkpoint) of a job's checkpoint at a step, as Azure names them."""
    return f"ftchkpt-{_hex(job['id'], 'checkpoint', step)}", f"{job['model']}.ft-{_hex(job['id'], step)}"


def checkpoint_model(state: FakeState, name: str) -> str | None:
    """The checkpoint model a name stands for (its id or its model name), None for none."""
    for checkpoints in state.job_checkpoints.values():
        for found in checkpoints:
            if name in (found["id"], found["fine_tuned_model_checkpoint"]):
                return found["fine_tuned_model_checkpoint"]
    return None


def _unix(day: str | None) -> int | None:
    if not day:
        return None
    return int(datetime.combine(date.fromisoformat(day), datetime.min.time(), timezone.utc).timestamp())


def model_object(state: FakeState, model: dict[str, Any]) -> dict[str, Any]:
    """A model as Azure's model list shows it (the authoring spec's Model): a fine-tuned
    one names its base (`model`) and its job (`fine_tune`)."""
    job = next((job for job in state.jobs.values() if job["fine_tuned_model"] == model["id"]), None)
    base = state.models.get(job["model"], {}) if job else {}
    shutdown = _unix(model.get("shutdown_date") or base.get("shutdown_date"))  # the spec requires one
    answer: dict[str, Any] = {"id": model["id"], "object": "model", "created_at": model["created"],
                              "status": "succeeded"}
    if job is not None:
        answer.update(model=job["model"], fine_tune=job["id"])
    answer.update(
        capabilities={"fine_tune": job is None, "inference": True, "completion": False, "chat_completion": True,
                      "embeddings": False},
        lifecycle_status="generally-available",
        deprecation={key: shutdown for key in (("inference",) if job else ("fine_tune", "inference"))
                     if shutdown is not None},
    )
    return answer


def _azure_only(request: Request) -> None:
    if not request.azure:
        raise ApiError(404, f"Invalid URL ({request.method} {request.path})")


def copy_checkpoint(state: FakeState, request: Request) -> dict[str, Any]:
    _azure_only(request)
    if request.headers.get("aoai-copy-ft-checkpoints") != "preview":
        raise ApiError(400, "This preview operation needs the header aoai-copy-ft-checkpoints: preview.",
                       code="invalidPayload")
    job_id, checkpoint_id = request.path_params["job_id"], request.path_params["checkpoint_id"]
    found = [c for c in state.job_checkpoints.get(state.job(job_id)["id"], []) if c["id"] == checkpoint_id]
    if not found:
        raise ApiError(404, f"No such checkpoint: '{checkpoint_id}'", code="notFound")
    body = request.body_object()
    destination, region = request.require(body, "destinationResourceId"), request.require(body, "region")
    if not str(destination).startswith("/subscriptions/"):
        raise ApiError(400, "destinationResourceId must be a resource id (/subscriptions/...).", code="invalidPayload")
    copies = state.checkpoint_copies.setdefault(checkpoint_id, [])
    copies.append({"destinationResourceId": destination, "region": region, "status": "Copying"})
    return {"checkpointedModelName": found[0]["fine_tuned_model_checkpoint"], "fineTuningJobId": job_id,
            "copiedAccountDetails": snapshot(copies)}


def copy_status(state: FakeState, request: Request) -> dict[str, Any]:
    _azure_only(request)
    job_id, checkpoint_id = request.path_params["job_id"], request.path_params["checkpoint_id"]
    state.job(job_id)
    copies = state.checkpoint_copies.get(checkpoint_id, [])
    for copy in copies:  # one look later, each copy is done
        copy["status"] = "Completed"
    return {"checkpointedModelName": checkpoint_id, "fineTuningJobId": job_id, "copiedAccountDetails": snapshot(copies)}


def register(router: Router) -> None:
    path = "/v1/fine_tuning/jobs/{job_id}/checkpoints/{checkpoint_id}/copy"
    router.add("POST", path, copy_checkpoint)
    router.add("GET", path, copy_status)
