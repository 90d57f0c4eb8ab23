"""/v1/uploads: create, add parts, complete (parts joined in the given order), cancel."""

from __future__ import annotations

import hashlib
from typing import Any

from .errors import ApiError, invalid_parameter, missing_parameter, not_found
from .routing import Request, Router
from .state import FakeState, snapshot

UPLOAD_PURPOSES = {"assistants", "batch", "fine-tune", "vision"}
MAX_UPLOAD_BYTES = 8 * 1024**3
MAX_PART_BYTES = 64 * 1024**2
UPLOAD_LIFETIME_SECONDS = 3600


def _upload(state: FakeState, request: Request) -> dict[str, Any]:
    upload_id = request.path_params["upload_id"]
    if upload_id not in state.uploads:
        raise not_found("Upload", upload_id, param="upload_id")
    return state.uploads[upload_id]


def _require_pending(upload: dict[str, Any]) -> None:
    if upload["status"] != "pending":
        raise ApiError(400, f"Upload {upload['id']} is already {upload['status']}.", param="upload_id")


def create_upload(state: FakeState, request: Request) -> dict[str, Any]:
    body = request.body_object()
    filename, purpose, size, mime_type = (
        request.require(body, name) for name in ("filename", "purpose", "bytes", "mime_type")
    )
    if purpose not in UPLOAD_PURPOSES:
        raise invalid_parameter(
            "purpose", f"Invalid value for 'purpose': '{purpose}'. Expected one of {sorted(UPLOAD_PURPOSES)}."
        )
    if not isinstance(size, int) or not 0 < size <= MAX_UPLOAD_BYTES:
        raise invalid_parameter("bytes", f"'bytes' must be an integer between 1 and {MAX_UPLOAD_BYTES}.")
    created_at = state.now()
    upload = {
        "id": state.new_id("upload_"),
        "object": "upload",
        "bytes": size,
        "created_at": created_at,
        "expires_at": created_at + UPLOAD_LIFETIME_SECONDS,
        "filename": filename,
        "purpose": purpose,
        "status": "pending",
        "file": None,
    }
    state.uploads[upload["id"]] = upload
    state.upload_parts[upload["id"]] = {}
    return snapshot(upload)


def add_part(state: FakeState, request: Request) -> dict[str, Any]:
    upload = _upload(state, request)
    _require_pending(upload)
    _, files = request.form()
    if "data" not in files:
        raise missing_parameter("data")
    data = files["data"].data
    if len(data) > MAX_PART_BYTES:
        raise invalid_parameter("data", f"A part may hold at most {MAX_PART_BYTES} bytes.")
    part_id = state.new_id("part_")
    state.upload_parts[upload["id"]][part_id] = data
    return {"id": part_id, "object": "upload.part", "created_at": state.now(), "upload_id": upload["id"]}


def complete_upload(state: FakeState, request: Request) -> dict[str, Any]:
    upload = _upload(state, request)
    _require_pending(upload)
    body = request.body_object()
    part_ids = body.get("part_ids")
    if not isinstance(part_ids, list) or not part_ids:
        raise missing_parameter("part_ids")
    parts = state.upload_parts[upload["id"]]
    unknown = [part_id for part_id in part_ids if part_id not in parts]
    if unknown:
        raise invalid_parameter(
            "part_ids", f"Unknown part id(s) for upload {upload['id']}: {', '.join(map(str, unknown))}."
        )
    data = b"".join(parts[part_id] for part_id in part_ids)
    if len(data) != upload["bytes"]:
        raise ApiError(
            400,
            f"The upload declared {upload['bytes']} bytes, but the parts hold {len(data)} bytes.",
            param="part_ids",
        )
    md5 = body.get("md5")
    if md5 and md5 != hashlib.md5(data).hexdigest():
        raise invalid_parameter("md5", "The md5 checksum does not match the uploaded bytes.")
    upload["file"] = state.add_file(upload["filename"], upload["purpose"], data)
    upload["status"] = "completed"
    return snapshot(upload)


def cancel_upload(state: FakeState, request: Request) -> dict[str, Any]:
    upload = _upload(state, request)
    _require_pending(upload)
    upload["status"] = "cancelled"
    return snapshot(upload)


def register(router: Router) -> None:
    router.add("POST", "/v1/uploads", create_upload)
    router.add("POST", "/v1/uploads/{upload_id}/parts", add_part)
    router.add("POST", "/v1/uploads/{upload_id}/complete", complete_upload)
    router.add("POST", "/v1/uploads/{upload_id}/cancel", cancel_upload)
