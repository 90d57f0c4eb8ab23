"""Uploading training files (checked first), listing and deleting them. Files up to
512 MB go through the Files API in one request; bigger ones through the Uploads API in
64 MB parts. Every id is in the ledger before it is reported."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import openai

from finetune_ls.api import answers
from finetune_ls.api.errors import Cancelled
from finetune_ls.api.ledger import Ledger
from finetune_ls.core.engine import CheckSettings, FileReport, check_path
from finetune_ls.core.regular_files import open_regular, regular_size

# Bytes: the Files API's limit per request, and the Uploads API's per part (tests lower them).
FILES_API_LIMIT = int(os.environ.get("FINETUNE_LS_FILES_API_LIMIT", 512 * 1024 * 1024))
PART_BYTES = int(os.environ.get("FINETUNE_LS_UPLOAD_PART_BYTES", 64 * 1024 * 1024))
PROCESSING_TIMEOUT = 1800.0  # seconds, as the SDK's wait_for_processing
_MAYBE_UPLOADED = "The file may have been uploaded all the same: the file list shows it."

Progress = Callable[[int, int], None]  # (bytes sent, bytes in all)


class CheckFailed(Exception):
    """The file has errors the provider would reject; upload refused (override: force)."""

    def __init__(self, report: FileReport, errors: int):
        self.report, self.errors = report, errors
        super().__init__(f"{report.path} has {errors:,} error{'s' if errors != 1 else ''} that OpenAI would reject; "
                         "fix them first (finetune-ls check shows them), or upload anyway with --force.")


@dataclass
class Uploaded:
    file: openai.types.FileObject
    report: FileReport | None
    upload_id: str | None = None  # when it went through the Uploads API


def check_before_upload(path: str, settings: CheckSettings | None = None) -> FileReport:
    """The engine's check of the file; raises CheckFailed when it has errors."""
    report = check_path(path, settings or CheckSettings())
    errors = sum(1 for finding in report.findings if finding.severity == "error")
    if errors:
        raise CheckFailed(report, errors)
    return report


def upload(client: openai.OpenAI, path: str, ledger: Ledger, *, purpose: str = "fine-tune",
           settings: CheckSettings | None = None, force: bool = False, progress: Progress | None = None,
           cancelled: Callable[[], bool] | None = None, wait: bool = True) -> Uploaded:
    """Check, upload and (by default) wait until the file is processed."""
    report = None
    if not force:
        report = check_before_upload(path, settings)
    ledger.ensure_writable()  # before the paid call, not after it
    size = regular_size(path)  # a device or a pipe is refused before any paid call
    name = os.path.basename(path)
    if size <= FILES_API_LIMIT:
        with open_regular(path) as handle:
            created = answers.made(lambda: client.files.create(
                file=(name, _ProgressReader(handle, size, progress, cancelled)), purpose=purpose),
                "the file upload", note=_MAYBE_UPLOADED)
        ledger.record("file", created.id, path=os.path.abspath(path), bytes=size, purpose=purpose)
        upload_id = None
    else:
        created, upload_id = _upload_in_parts(client, path, name, size, purpose, ledger, progress, cancelled)
    if wait:
        created = wait_for_processing(client, created.id)
    return Uploaded(created, report, upload_id)


def _upload_in_parts(client: openai.OpenAI, path: str, name: str, size: int, purpose: str, ledger: Ledger,
                     progress: Progress | None, cancelled: Callable[[], bool] | None):
    session = answers.made(lambda: client.uploads.create(bytes=size, filename=name, mime_type="application/jsonl",
                                                         purpose=purpose), "the upload's start")
    ledger.record("upload", session.id, path=os.path.abspath(path), bytes=size, purpose=purpose)
    part_ids, sent, digest = [], 0, hashlib.md5(usedforsecurity=False)
    with open_regular(path) as handle:
        while chunk := handle.read(PART_BYTES):
            if cancelled is not None and cancelled():
                client.uploads.cancel(session.id)
                ledger.record("upload-cancelled", session.id)
                raise Cancelled(f"Upload of {name} cancelled after {sent:,} of {size:,} bytes.")
            digest.update(chunk)
            part_ids.append(answers.made(lambda: client.uploads.parts.create(session.id, data=chunk),
                                         "an upload's part").id)
            sent += len(chunk)
            if progress:
                progress(sent, size)
    done = answers.made(lambda: client.uploads.complete(session.id, part_ids=part_ids, md5=digest.hexdigest()),
                        "the upload's completion", note=_MAYBE_UPLOADED)
    if done.file is None or not getattr(done.file, "id", None):
        raise RuntimeError(f"the upload {session.id} completed without a file")
    ledger.record("file", done.file.id, path=os.path.abspath(path), bytes=size, purpose=purpose, upload=session.id)
    return done.file, session.id


def wait_for_processing(client: openai.OpenAI, file_id: str, timeout: float = PROCESSING_TIMEOUT,
                        poll: float = 1.0) -> openai.types.FileObject:
    """Poll until the file is processed (or failed), with back-off up to 10 s."""
    deadline = time.monotonic() + timeout
    while True:
        current = answers.made(lambda: client.files.retrieve(file_id), f"the status of {file_id}")
        if current.status in ("processed", "error", "deleted") or current.status is None:
            return current
        if time.monotonic() > deadline:
            return current
        time.sleep(poll)
        poll = min(poll * 1.5, 10.0)


def list_files(client: openai.OpenAI, purpose: str | None = None, limit: int = 100) -> list:
    from finetune_ls.api.connection import on_dated_azure
    paged = {} if on_dated_azure(client) else {"limit": limit}  # Azure's dated file list takes no limit
    return answers.listed(lambda: client.files.list(purpose=purpose, **paged) if purpose
                          else client.files.list(**paged), "the file list")


def delete_file(client: openai.OpenAI, file_id: str, ledger: Ledger) -> bool:
    deleted = answers.made(lambda: client.files.delete(file_id), "the file delete").deleted
    if deleted:
        ledger.record("file-deleted", file_id)
    return deleted


class _ProgressReader:
    """A file handed to the SDK that reports how much of it was read (sent), and can stop
    the upload when the user cancels. It can be rewound, so the SDK's retries resend it."""

    def __init__(self, handle, size: int, progress: Progress | None, cancelled: Callable[[], bool] | None):
        self.handle, self.size, self.progress, self.cancelled = handle, size, progress, cancelled
        self.name = getattr(handle, "name", "file")

    def read(self, count: int = -1) -> bytes:
        if self.cancelled is not None and self.cancelled():
            raise Cancelled("Upload cancelled.")
        data = self.handle.read(count)
        if self.progress:
            self.progress(self.handle.tell(), self.size)
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.handle.seek(offset, whence)

    def tell(self) -> int:
        return self.handle.tell()

    def fileno(self) -> int:
        return self.handle.fileno()
