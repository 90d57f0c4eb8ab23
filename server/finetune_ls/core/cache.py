"""A content-addressed cache of per-line results, so an unchanged line is never
checked twice, and of the whole file's folded chunks, so a re-run on an unchanged
file only reads and hashes it.

One folder per checked path and settings, under $FINETUNE_LS_CACHE_DIR or the
user's cache folder (never inside the workspace), holding one shard per chunk
of the file; each worker writes its own shard, so results never travel back
through the parent. Every run rewrites the shards, so the cache only holds the
file's current lines and does not grow. Failing to read or write it is never an
error: the check just runs cold. marshal (not pickle) reads the shards, so a
damaged or planted file can fail to load but cannot run code.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
import tempfile
from pathlib import Path

from finetune_ls import __version__

_FORMAT = 2
_SUFFIX = ".shard"
_WHOLE_FILE = "file.result"
_HASH_BLOCK = 1024 * 1024


def cache_dir() -> Path:
    configured = os.environ.get("FINETUNE_LS_CACHE_DIR")
    if configured:
        return Path(configured)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "finetune-ls"


_checker_digest: str | None = None


def checker_digest() -> str:
    """Of the checker's own code and data: a rule whose severity or wording changes without a
    new version number (a checkout, an editable install) must not be served from the cache."""
    global _checker_digest
    if _checker_digest is None:
        package = Path(__file__).resolve().parent.parent
        sha = hashlib.sha256()
        for path in sorted([*(package / "core").glob("*.py"), *(package / "data").glob("*.json")]):
            try:
                sha.update(path.name.encode() + b"\0" + path.read_bytes())
            except OSError:
                continue
        _checker_digest = sha.hexdigest()[:16]
    return _checker_digest


FileStat = tuple[int, int, int, int]  # size, mtime_ns, inode, ctime_ns


def _stat_key(stat: os.stat_result) -> FileStat:
    return stat.st_size, stat.st_mtime_ns, stat.st_ino, stat.st_ctime_ns


def file_key(path: str) -> tuple[bytes, FileStat] | None:
    """The sha256 of a file's bytes and its stat when read; None when it cannot be read. The
    stat lets the caller see whether the file changed before or while it was checked."""
    from finetune_ls.core.regular_files import open_regular

    try:
        with open_regular(path) as handle:
            before = os.fstat(handle.fileno())
            sha = hashlib.sha256()
            for block in iter(lambda: handle.read(_HASH_BLOCK), b""):
                sha.update(block)
        return sha.digest(), _stat_key(before)
    except (OSError, ValueError):
        return None


def file_stat(path: str) -> FileStat | None:
    try:
        return _stat_key(os.stat(path))
    except OSError:
        return None


def line_key(raw: bytes) -> bytes:
    return hashlib.sha256(raw).digest()[:16]  # sha256 is hardware-accelerated on current CPUs


class LineCache:
    """Per-line results of one file under one configuration."""

    def __init__(self, path: str, fingerprint: str):
        key = f"{os.path.abspath(path)}|{fingerprint}|{__version__}|{checker_digest()}"
        name = hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:32]  # a name may not be UTF-8
        self.folder = cache_dir() / name
        self.fingerprint = fingerprint

    def load(self) -> dict[bytes, tuple]:
        entries: dict[bytes, tuple] = {}
        try:
            shards = sorted(self.folder.glob("*" + _SUFFIX))
        except OSError:
            return entries
        for shard in shards:
            entries.update(self._read(shard))
        return entries

    def load_around(self, index: int) -> dict[bytes, tuple]:
        """The results that chunk `index` and its neighbours wrote last time: what a worker that
        was not forked with the whole cache loads for its chunk. Chunks are a share of the
        file's size, so when it grows or shrinks by a few percent its lines move by up to a
        chunk; lines that moved further are checked again."""
        entries: dict[bytes, tuple] = {}
        for neighbour in (index - 1, index, index + 1):
            if neighbour >= 0:
                entries.update(self._read(self.shard(neighbour)))
        return entries

    def _read(self, shard: Path) -> dict[bytes, tuple]:
        try:
            data = marshal.loads(shard.read_bytes())
        except (OSError, ValueError, EOFError, TypeError):
            return {}
        if isinstance(data, tuple) and len(data) == 3 and data[:2] == (_FORMAT, self.fingerprint) \
                and isinstance(data[2], dict):
            return data[2]
        return {}

    def shard(self, index: int) -> Path:
        return self.folder / f"{index:06d}{_SUFFIX}"

    def write_shard(self, index: int, entries: dict[bytes, tuple]) -> None:
        self._write(self.shard(index), (_FORMAT, self.fingerprint, entries))

    def _write(self, target: Path, *values: object) -> None:
        temporary = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            with os.fdopen(handle, "wb") as out:
                for value in values:
                    marshal.dump(value, out)
            os.replace(temporary, target)
        except (OSError, ValueError):
            if temporary:
                try:
                    os.unlink(temporary)
                except OSError:
                    pass

    def load_file(self, digest: bytes) -> list | None:
        """The chunk records (entries.chunk_record) of the whole file whose bytes hash to
        `digest`, as the last complete check left them; None when there are none."""
        try:
            with open(self.folder / _WHOLE_FILE, "rb") as stored:
                # The header first: after an edit, the records of the old bytes are not even read.
                if marshal.load(stored) != (_FORMAT, self.fingerprint, digest):
                    return None
                records = marshal.load(stored)
        except (OSError, ValueError, EOFError, TypeError):
            return None
        return records if isinstance(records, list) else None

    def write_file(self, digest: bytes, records: list) -> None:
        self._write(self.folder / _WHOLE_FILE, (_FORMAT, self.fingerprint, digest), records)

    def forget_file(self) -> None:
        try:
            (self.folder / _WHOLE_FILE).unlink()
        except OSError:
            pass

    def keep_only(self, shards: int) -> None:
        """Remove shards left from an earlier run that had more chunks."""
        try:
            for shard in self.folder.glob("*" + _SUFFIX):
                if not shard.stem.isdigit() or int(shard.stem) >= shards:
                    shard.unlink()
        except OSError:
            pass
