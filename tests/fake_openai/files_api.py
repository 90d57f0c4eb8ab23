"""/v1/files: upload (multipart), list, retrieve, delete, download."""

from __future__ import annotations

from typing import Any

from .errors import invalid_parameter, missing_parameter
from .routing import Request, Response, Router, cursor_page, list_body
from .state import FakeState, snapshot

UPLOAD_PURPOSES = {"assistants", "batch", "fine-tune", "vision", "user_data", "evals"}


def create_file(state: FakeState, request: Request) -> dict[str, Any]:
    fields, files = request.form()
    if "file" not in files:
        raise missing_parameter("file")
    purpose = fields.get("purpose")
    if not purpose:
        raise missing_parameter("purpose")
    if purpose not in UPLOAD_PURPOSES:
        raise invalid_parameter(
            "purpose", f"Invalid value for 'purpose': '{purpose}'. Expected one of {sorted(UPLOAD_PURPOSES)}."
        )
    upload = files["file"]
    file = state.add_file(upload.filename or "upload", purpose, upload.data)
    # The SDK sends nested form fields in bracket form: expires_after[seconds].
    seconds = fields.get("expires_after[seconds]")
    if seconds is not None:
        if not seconds.isdigit() or not 3600 <= int(seconds) <= 2592000:
            raise invalid_parameter("expires_after.seconds", "expires_after.seconds must be between 3600 and 2592000.")
        file["expires_at"] = file["created_at"] + int(seconds)
    return snapshot(file)


def list_files(state: FakeState, request: Request) -> dict[str, Any]:
    purpose = request.arg("purpose")
    order = request.arg("order", "desc")
    if order not in ("asc", "desc"):
        raise invalid_parameter("order", f"Invalid value for 'order': '{order}'. Expected 'asc' or 'desc'.")
    files = [file for file in state.files.values() if purpose is None or file["purpose"] == purpose]
    if order == "desc":
        files.reverse()
    page, has_more = cursor_page(files, request.arg("after"), request.int_arg("limit", 10000, 1, 10000))
    return list_body(snapshot(page), has_more, with_ids=True)


def retrieve_file(state: FakeState, request: Request) -> dict[str, Any]:
    file_id = request.path_params["file_id"]
    file = state.file(file_id)
    # "Processing" is simulated by a count of retrieves, so a test decides how
    # long a client polls (files.wait_for_processing) without any clock.
    state.file_retrieves[file_id] += 1
    if file["status"] == "uploaded" and state.file_retrieves[file_id] > state.file_processing_retrieves:
        file["status"] = "processed"
    return snapshot(file)


def delete_file(state: FakeState, request: Request) -> dict[str, Any]:
    file_id = request.path_params["file_id"]
    state.file(file_id)
    del state.files[file_id], state.file_data[file_id], state.file_retrieves[file_id]
    return {"id": file_id, "object": "file", "deleted": True}


def file_content(state: FakeState, request: Request) -> Response:
    file_id = request.path_params["file_id"]
    state.file(file_id)
    return Response(state.file_data[file_id], content_type="application/octet-stream")


def set_file_status(state: FakeState, file_id: str, status: str, details: str | None = None) -> None:
    """For tests: e.g. mark a file "error" with the reason a client should show."""
    file = state.file(file_id)
    file["status"] = status
    if details is not None:
        file["status_details"] = details
    elif "status_details" in file:
        del file["status_details"]


def register(router: Router) -> None:
    router.add("POST", "/v1/files", create_file)
    router.add("GET", "/v1/files", list_files)
    router.add("GET", "/v1/files/{file_id}", retrieve_file)
    router.add("DELETE", "/v1/files/{file_id}", delete_file)
    router.add("GET", "/v1/files/{file_id}/content", file_content)
