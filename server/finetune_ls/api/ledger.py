"""The ledger: every file, upload and job id the tool creates, written to the workspace
(.finetune/ledger.jsonl) before it is reported, so a crash or a closed editor never
orphans a paid upload or a running job, and `jobs list` can show them offline.

Before a paid call the ledger is checked to be writable (`ensure_writable`), so an id is
not made that cannot be kept. Should a write still fail after the call (the disk filled,
the file was replaced meanwhile), the id is not lost: `warn` is told which id could not
be written where, and the caller reports the id as usual. A damaged line (a crash
mid-write, a stray byte) is skipped and named; the other entries are still read."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator

LEDGER_PATH = os.path.join(".finetune", "ledger.jsonl")


class LedgerError(Exception):
    """The ledger cannot be written before a paid call, or cannot be read: the message says
    where and why."""


class Ledger:
    def __init__(self, workspace: str, warn: Callable[[str], None] | None = None):
        """`warn` hears of ids that could not be written and of damaged lines; without it a
        failed write raises LedgerError (naming the id), and damaged lines are only counted."""
        self.path = os.path.abspath(os.path.join(workspace, LEDGER_PATH))  # messages name it in full
        self.warn = warn
        self.unrecorded: list[dict] = []  # entries whose write failed
        self.damaged: list[int] = []  # line numbers skipped by the last read
        self._named: set[int] = set()

    def ensure_writable(self) -> None:
        """Before a paid call: LedgerError if an id could not be recorded (the ledger is a
        folder or read-only, .finetune is a file, ...). Nothing is written."""
        try:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            with open(self.path, "ab"):
                pass
        except OSError as error:
            raise LedgerError(f"The ledger {self.path} cannot be written ({self._why(error)}), so nothing was "
                              "uploaded or started: make it a writable file (or use another workspace) and try "
                              "again.") from None

    def record(self, kind: str, identifier: str, **fields: object) -> dict:
        """Append one entry and make sure it is on disk before returning."""
        if not isinstance(identifier, str) or not identifier:
            raise ValueError(f"a {kind} entry needs an id, not {identifier!r}")
        entry = {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "kind": kind, "id": identifier,
                 **{key: value for key, value in fields.items() if value is not None}}
        try:
            self._append(entry)
        except (OSError, ValueError) as error:  # ValueError: a path that is not valid Unicode
            self.unrecorded.append(entry)
            message = (f"{identifier} ({kind}) was made but could not be recorded in {self.path} "
                       f"({self._why(error)}): keep this id, the ledger does not have it.")
            if self.warn is None:
                raise LedgerError(message) from None
            self.warn(message)
        return entry

    def _append(self, entry: dict) -> None:
        line = json.dumps(entry, ensure_ascii=False, sort_keys=True).encode("utf-8") + b"\n"
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        with open(self.path, "a+b") as handle:  # writes go to the end whatever was read
            if handle.seek(0, os.SEEK_END):
                handle.seek(-1, os.SEEK_END)
                if handle.read(1) != b"\n":  # the last entry was cut off mid-write: start on a fresh line
                    line = b"\n" + line
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())

    def entries(self, kind: str | None = None) -> Iterator[dict]:
        """What was recorded, oldest first. A damaged line (not a JSON entry with an id, or
        not UTF-8) is skipped, and named through `warn`."""
        self.damaged = []
        try:
            with open(self.path, "rb") as handle:
                for number, raw in enumerate(handle, 1):
                    if not raw.strip():
                        continue
                    try:
                        entry = json.loads(raw.decode("utf-8"))
                    except ValueError:  # UnicodeDecodeError is one too
                        entry = None
                    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
                        self.damaged.append(number)
                    elif kind is None or entry.get("kind") == kind:
                        yield entry
        except FileNotFoundError:
            return
        except OSError as error:
            raise LedgerError(f"The ledger {self.path} cannot be read ({self._why(error)}).") from None
        self._name_damaged()

    def _name_damaged(self) -> None:
        fresh = [number for number in self.damaged if number not in self._named]
        if fresh and self.warn is not None:
            self._named.update(fresh)
            lines = ", ".join(map(str, fresh))
            self.warn(f"skipped damaged line{'s' if len(fresh) > 1 else ''} {lines} of {self.path} (not a JSON "
                      "entry: cut off by a crash, or edited); the other entries are used.")

    def _why(self, error: Exception) -> str:
        folder = os.path.dirname(self.path)
        if os.path.exists(folder) and not os.path.isdir(folder):
            return f"{folder} is a file, not a folder"
        if os.path.isdir(self.path):
            return "it is a folder, not a file"
        return getattr(error, "strerror", None) or str(error)

    def path_of(self, file_id: str) -> str | None:
        """The local file an uploaded file was made from, while it is still there."""
        path = None
        for entry in self.entries("file"):  # read to the end, so damaged lines are named
            if path is None and entry.get("id") == file_id:
                path = entry.get("path")
        return path if isinstance(path, str) and os.path.isfile(path) else None

    def latest(self, kind: str) -> dict | None:
        last = None
        for last in self.entries(kind):
            pass
        return last

    def live_files(self) -> list[dict]:
        """The file entries, newest first, without the files a `file-deleted` entry names
        (deleted through this tool). One read of the ledger."""
        uploaded, deleted = [], set()
        for entry in self.entries():
            if entry.get("kind") == "file":
                uploaded.append(entry)
            elif entry.get("kind") == "file-deleted":
                deleted.add(entry["id"])
        return [entry for entry in reversed(uploaded) if entry["id"] not in deleted]
