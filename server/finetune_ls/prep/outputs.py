"""Where data preparation writes, and how: beside the input, never over it, never over
another file unless asked, and the whole file or nothing."""

from __future__ import annotations

import errno
import os
import tempfile


def default_output(input_path: str, suffix: str) -> str:
    """NAME.SUFFIX.jsonl beside the input: data.csv -> data.chat.jsonl, data.jsonl -> data.train.jsonl."""
    return f"{os.path.splitext(input_path)[0]}.{suffix}.jsonl"


def refusal(input_path: str, output_path: str, replace: bool = False, how_to_replace: str = "") -> str | None:
    """Why the output may not be written there (None: it may): never over the input, and
    over another file only when the caller asked to replace it (`how_to_replace` says how)."""
    exists = os.path.exists(output_path)
    if os.path.realpath(input_path) == os.path.realpath(output_path) or (
            exists and os.path.exists(input_path) and os.path.samefile(input_path, output_path)):
        return f"{output_path} is the input file; an output never overwrites its input"
    if exists and not replace:
        return f"{output_path} exists{how_to_replace}"
    return None


def write_atomically(path: str, data: str | bytes, replace: bool = False) -> None:
    """Write the whole file or nothing: a temporary file next to it, then moved into place.
    Without `replace`, a file that appeared there meanwhile stays (FileExistsError)."""
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data.encode("utf-8") if isinstance(data, str) else data)
        if replace:
            os.replace(temporary, path)
            return
        try:
            os.link(temporary, path)  # fails, unlike a rename, when the name is taken
        except OSError as problem:
            if problem.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
                raise
            _copy_to_new(temporary, path)  # a file system without hard links (FAT, some shares)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _copy_to_new(source: str, path: str) -> None:
    """Copy into a file made here, failing if the name is taken; a partial copy is removed."""
    with open(source, "rb") as stream:
        data = stream.read()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as target:
            target.write(data)
    except BaseException:
        os.unlink(path)
        raise
