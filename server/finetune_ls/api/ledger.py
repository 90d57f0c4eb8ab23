"""The ledger: every file, upload and job id the tool creates, written to the workspace
(.finetune/ledger.jsonl) before it is reported, so a crash or a closed editor never
orphans a paid upload or a running job, and `jobs list` can show them offline."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator

LEDGER_PATH = os.path.join(".finetune", "ledger.jsonl")


class Ledger:
    def __init__(self, workspace: str):
        self.path = os.path.join(workspace, LEDGER_PATH)

    def record(self, kind: str, identifier: str, **fields: object) -> dict:
        """Append one entry and make sure it is on disk before returning."""
        entry = {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "kind": kind, "id": identifier,
                 **{key: value for key, value in fields.items() if value is not None}}
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        return entry

    def entries(self, kind: str | None = None) -> Iterator[dict]:
        """What was recorded, oldest first; a damaged line (a crash mid-write) is skipped."""
        try:
            with open(self.path, encoding="utf-8") as handle:
                for line in handle:
                    try:
                        entry = json.loads(line)
                    except ValueError:
                        continue
                    if isinstance(entry, dict) and (kind is None or entry.get("kind") == kind):
                        yield entry
        except FileNotFoundError:
            return

    def path_of(self, file_id: str) -> str | None:
        """The local file an uploaded file was made from, while it is still there."""
        path = next((entry.get("path") for entry in self.entries("file") if entry.get("id") == file_id), None)
        return path if isinstance(path, str) and os.path.isfile(path) else None

    def latest(self, kind: str) -> dict | None:
        last = None
        for last in self.entries(kind):
            pass
        return last
