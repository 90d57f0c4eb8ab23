"""Where data preparation writes, and how: beside the input, never over it, never over
another file unless asked, only ever regular files, and every output or none.

A new file gets the mode any tool gives it (0666 less the umask); a replaced file keeps
its mode. Replacing a symbolic link replaces the file it points to, and the link stays."""

from __future__ import annotations

import errno
import os
import secrets
import stat

_NO_HARD_LINKS = (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.EMLINK)


class NotRegular(OSError):
    """An existing output that is not a regular file (a device, a FIFO, a directory): never replaced."""

    def __init__(self, path: str):
        super().__init__(errno.EINVAL, "not a regular file; only regular files are replaced", path)


def default_output(input_path: str, suffix: str) -> str:
    """NAME.SUFFIX.jsonl beside the input: data.csv -> data.chat.jsonl, data.jsonl -> data.train.jsonl."""
    return f"{os.path.splitext(input_path)[0]}.{suffix}.jsonl"


def refusal(input_path: str, output_path: str, replace: bool = False, how_to_replace: str = "") -> str | None:
    """Why the output may not be written there (None: it may): never over the input, never
    over what is not a regular file, and over another file only when the caller asked to
    replace it (`how_to_replace` says how)."""
    exists = os.path.lexists(output_path)
    if os.path.realpath(input_path) == os.path.realpath(output_path) or (
            os.path.exists(output_path) and os.path.exists(input_path) and os.path.samefile(input_path, output_path)):
        return f"{output_path} is the input file; an output never overwrites its input"
    if not_regular(output_path):
        return f"{output_path} is not a regular file; outputs never replace devices, pipes, folders or standard streams"
    if exists and not replace:
        return f"{output_path} exists{how_to_replace}"
    return None


def not_regular(path: str) -> bool:
    """Whether `path` names something other than a regular file or a new one: a device, a
    FIFO, a folder, or a standard stream (/dev/stdout leads to /proc/self/fd/1, which may be
    a file the shell opened: renaming over it would replace that file or the link itself)."""
    return (os.path.exists(path) and not os.path.isfile(path)) or _leads_into_proc(path)


def _leads_into_proc(path: str) -> bool:
    """Whether `path` is in /proc or a chain of symbolic links from it passes through /proc."""
    for _ in range(40):  # the kernel's own limit on links followed
        if os.path.abspath(path).startswith("/proc/"):
            return True
        if not os.path.islink(path):
            return False
        path = os.path.join(os.path.dirname(os.path.abspath(path)), os.readlink(path))
    return False


def write_atomically(path: str, data: str | bytes, replace: bool = False) -> None:
    """Write the whole file or nothing. Without `replace`, a file that appeared there
    meanwhile stays (FileExistsError)."""
    write_all([(path, data)], replace)


def write_all(outputs: list[tuple[str, str | bytes]], replace: bool = False) -> None:
    """Write every output or none: each goes to a temporary file beside it first, and only
    when all are complete are they moved into place; if one cannot be, those already
    placed are taken back (a new file removed, a replaced one restored)."""
    staged: list[tuple[str, str]] = []  # (where it goes, its temporary file)
    placed: list[tuple[str, bool, str | None]] = []  # (where it went, whether it replaced a file, its backup)
    path = ""
    try:
        for path, data in outputs:
            target = _target(path, replace)
            staged.append((target, _temporary_copy(target, data.encode("utf-8") if isinstance(data, str) else data)))
        for (path, _), (target, temporary) in zip(outputs, staged):
            replaced = os.path.lexists(target)
            placed.append((target, replaced, _place(temporary, target, replace)))
    except BaseException as problem:
        if isinstance(problem, OSError):  # named as the caller named it, not by its temporary file
            problem.filename, problem.filename2 = path, None
        for target, replaced, backup in reversed(placed):
            _take_back(target, replaced, backup)
        raise
    finally:
        for _, temporary in staged:
            _remove(temporary)
    for _, _, backup in placed:
        if backup:
            _remove(backup)


def _target(path: str, replace: bool) -> str:
    """The file to write: the one a symbolic link points to when replacing (the link stays)."""
    target = os.path.realpath(path) if replace and os.path.islink(path) else path
    if not_regular(path):
        raise NotRegular(path)
    return target


def _temporary_copy(target: str, data: bytes) -> str:
    """The data in a new file beside `target`, created as open() creates files (so with the
    umask), or with the mode of the file it is to replace."""
    folder = os.path.dirname(os.path.abspath(target))
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        temporary = os.path.join(folder, f".{os.path.basename(target)}.{secrets.token_hex(4)}.tmp")
        try:
            descriptor = os.open(temporary, flags, 0o666)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())  # a full disk or quota says so now, before anything is in place
        if os.path.isfile(target):
            os.chmod(temporary, stat.S_IMODE(os.stat(target).st_mode))
    except BaseException:
        _remove(temporary)
        raise
    return temporary


def _place(temporary: str, target: str, replace: bool) -> str | None:
    """Move the complete temporary file into place; the backup of a replaced file, if any."""
    if replace:
        backup = _backup(target)
        try:
            os.replace(temporary, target)
        except BaseException:
            if backup:
                _remove(backup)
            raise
        return backup
    try:
        os.link(temporary, target)  # fails, unlike a rename, when the name is taken
    except OSError as problem:
        if problem.errno not in _NO_HARD_LINKS:
            raise
        _copy_to_new(temporary, target)  # a file system without hard links (FAT, some shares)
    return None


def _backup(target: str) -> str | None:
    """A second name for the file about to be replaced, to restore it if a later output fails."""
    if not os.path.isfile(target):
        return None
    backup = os.path.join(os.path.dirname(target), f".{os.path.basename(target)}.{secrets.token_hex(4)}.bak")
    try:
        os.link(target, backup)
    except OSError:
        return None  # no hard links here: a failure later leaves the new file in place
    return backup


def _take_back(target: str, replaced: bool, backup: str | None) -> None:
    """Undo the placing of an output: the replaced file back, or the new file removed (a file
    replaced where no backup could be made stays as written)."""
    try:
        if backup:
            os.replace(backup, target)
        elif not replaced:
            os.unlink(target)
    except OSError:
        pass


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _copy_to_new(source: str, path: str) -> None:
    """Copy into a file made here, failing if the name is taken; a partial copy is removed."""
    with open(source, "rb") as stream:
        data = stream.read()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(descriptor, "wb") as target:
            target.write(data)
    except BaseException:
        os.unlink(path)
        raise
