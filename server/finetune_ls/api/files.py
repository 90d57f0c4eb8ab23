"""Uploading training files (checked first), listing and deleting them. Files up to
512 MB go through the Files API in one request; bigger ones through the Uploads API in
64 MB parts. Every id is in the ledger before it is reported, with the sha256 of what was
sent, so a file uploaded before with the same content is reused instead of sent again."""

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
HASH_CHUNK_BYTES = 8 * 1024 * 1024
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
    reused: bool = False  # the ledger's earlier upload of the same content: nothing was sent
    uploaded_at: str | None = None  # a reused file's time in the ledger (UTC, ISO 8601)


def check_before_upload(path: str, settings: CheckSettings | None = None) -> FileReport:
    """The engine's check of the file; raises CheckFailed when it has errors."""
    report = check_path(path, settings or CheckSettings())
    errors = sum(1 for finding in report.findings if finding.severity == "error")
    if errors:
        raise CheckFailed(report, errors)
    return report


def upload(client: openai.OpenAI, path: str, ledger: Ledger, *, purpose: str = "fine-tune",
           settings: CheckSettings | None = None, force: bool = False, progress: Progress | None = None,
           cancelled: Callable[[], bool] | None = None, wait: bool = True, reuse: bool = True) -> Uploaded:
    """Check, then reuse the file uploaded before with the same content (`uploaded_copy`;
    reuse=False uploads again), or upload and (by default) wait until it is processed. The
    check runs either way (unless force): a file with errors is refused, reused or not."""
    report = None
    if not force:
        report = check_before_upload(path, settings)
    ledger.ensure_writable()  # before the paid call, not after it (and before it is read for a copy)
    sha256 = None
    if reuse:
        copy, sha256 = _copy_and_hash(client, ledger, path, purpose)
        if copy is not None:
            copy.report = report
            return copy
    size = regular_size(path)  # a device or a pipe is refused before any paid call
    name = os.path.basename(path)
    if size <= FILES_API_LIMIT:
        with open_regular(path) as handle:
            sent = _ProgressReader(handle, size, progress, cancelled)
            created = answers.made(lambda: client.files.create(file=(name, sent), purpose=purpose),
                                   "the file upload", note=_MAYBE_UPLOADED)
        # Only the hash of the bytes as sent: a file that changed while it was read gets none,
        # and is never reused (a hash from before or after the send may not be what was sent).
        sha256 = sent.sha256()
        ledger.record("file", created.id, path=os.path.abspath(path), bytes=size, purpose=purpose, sha256=sha256)
        upload_id = None
    else:
        created, upload_id = _upload_in_parts(client, path, name, size, purpose, ledger, progress, cancelled)
    if wait:
        created = wait_for_processing(client, created.id)
    return Uploaded(created, report, upload_id)


def uploaded_copy(client: openai.OpenAI, ledger: Ledger, path: str, purpose: str = "fine-tune") -> Uploaded | None:
    """The file this workspace uploaded before with the same content as `path` (sha256) and
    purpose: the newest ledger entry that no `file-deleted` entry names and that the API
    still has, processed (reused=True, uploaded_at its time). None when there is none; a
    file the API no longer has, has failed or cannot be seen (another account or provider)
    is passed over, not an error. Entries written before hashes were recorded have no
    `sha256` and are never reused: what they hold is not known. The file is hashed only
    when the ledger holds an upload of its size and purpose, so a file never uploaded is
    not read for nothing."""
    return _copy_and_hash(client, ledger, path, purpose)[0]


def _copy_and_hash(client: openai.OpenAI, ledger: Ledger, path: str, purpose: str) -> tuple[Uploaded | None, str | None]:
    """(the reusable copy or None, the file's sha256 when it had to be computed)."""
    size = regular_size(path)
    candidates = [entry for entry in ledger.live_files() if isinstance(entry.get("sha256"), str)
                  and entry.get("purpose") == purpose and entry.get("bytes") == size]
    if not candidates:
        return None, None
    sha256 = content_sha256(path)
    for entry in candidates:
        if entry["sha256"] == sha256:
            found = _processed_or_none(client, entry["id"])
            if found is not None:
                return Uploaded(found, None, entry.get("upload"), reused=True, uploaded_at=entry.get("time")), sha256
    return None, sha256


def _processed_or_none(client: openai.OpenAI, file_id: str) -> openai.types.FileObject | None:
    try:
        found = answers.made(lambda: client.files.retrieve(file_id), f"the status of {file_id}")
    except (openai.NotFoundError, openai.PermissionDeniedError, openai.BadRequestError):
        return None  # deleted elsewhere, or a file of another account or provider: uploaded anew
    return found if found.status == "processed" else None


def content_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open_regular(path) as handle:
        while chunk := handle.read(HASH_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _upload_in_parts(client: openai.OpenAI, path: str, name: str, size: int, purpose: str, ledger: Ledger,
                     progress: Progress | None, cancelled: Callable[[], bool] | None):
    session = answers.made(lambda: client.uploads.create(bytes=size, filename=name, mime_type="application/jsonl",
                                                         purpose=purpose), "the upload's start")
    ledger.record("upload", session.id, path=os.path.abspath(path), bytes=size, purpose=purpose)
    part_ids, sent, digest, sha256 = [], 0, hashlib.md5(usedforsecurity=False), hashlib.sha256()
    with open_regular(path) as handle:
        while chunk := handle.read(PART_BYTES):
            if cancelled is not None and cancelled():
                client.uploads.cancel(session.id)
                ledger.record("upload-cancelled", session.id)
                raise Cancelled(f"Upload of {name} cancelled after {sent:,} of {size:,} bytes.")
            digest.update(chunk)
            sha256.update(chunk)
            part_ids.append(answers.made(lambda: client.uploads.parts.create(session.id, data=chunk),
                                         "an upload's part").id)
            sent += len(chunk)
            if progress:
                progress(sent, size)
    done = answers.made(lambda: client.uploads.complete(session.id, part_ids=part_ids, md5=digest.hexdigest()),
                        "the upload's completion", note=_MAYBE_UPLOADED)
    if done.file is None or not getattr(done.file, "id", None):
        raise RuntimeError(f"the upload {session.id} completed without a file")
    ledger.record("file", done.file.id, path=os.path.abspath(path), bytes=size, purpose=purpose, upload=session.id,
                  sha256=sha256.hexdigest())
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
    the upload when the user cancels. It can be rewound, so the SDK's retries resend it.
    It hashes what is sent as it goes, so the file is read once, not again for its hash."""

    def __init__(self, handle, size: int, progress: Progress | None, cancelled: Callable[[], bool] | None):
        self.handle, self.size, self.progress, self.cancelled = handle, size, progress, cancelled
        self.name = getattr(handle, "name", "file")
        self._digest, self._hashed = hashlib.sha256(), 0  # the bytes hashed: those from the start, in order

    def read(self, count: int = -1) -> bytes:
        if self.cancelled is not None and self.cancelled():
            raise Cancelled("Upload cancelled.")
        start = self.handle.tell()
        data = self.handle.read(count)
        if start == self._hashed:  # reads out of order (after a seek elsewhere) are not hashed
            self._digest.update(data)
            self._hashed += len(data)
        if self.progress:
            self.progress(self.handle.tell(), self.size)
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        position = self.handle.seek(offset, whence)
        if position == 0:  # a retry sends it all again
            self._digest, self._hashed = hashlib.sha256(), 0
        return position

    def sha256(self) -> str | None:
        """The hash of the whole file as sent; None when it was not read whole and in order."""
        return self._digest.hexdigest() if self._hashed == self.size else None

    def tell(self) -> int:
        return self.handle.tell()

    def seekable(self) -> bool:  # the SDK (3.x) replays only a body that says so
        return True

    def fileno(self) -> int:
        return self.handle.fileno()
