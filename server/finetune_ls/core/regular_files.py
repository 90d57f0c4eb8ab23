"""Open a file to read it, refusing what is not a regular file: a device (/dev/zero never
ends, /dev/tty waits for a keyboard), a named pipe (waits for a writer that may never come)
or a socket. Every reader of a file named by a user goes through here.

The path is opened with O_NONBLOCK, so that opening a named pipe returns at once instead
of waiting for a writer, and then the opened descriptor is examined (not the path, which
could be replaced between a stat and an open). A regular file is handed back blocking, as
open() would.
"""

from __future__ import annotations

import errno
import os
import select
import stat
from typing import BinaryIO

_KINDS = ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"))
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # not on Windows, where opening a pipe by name does not wait
_FLAGS = os.O_RDONLY | _NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0) \
    | getattr(os, "O_BINARY", 0)


class NotRegularFile(OSError):
    """The path is not a regular file; `strerror` says what it is (an OSError, so that every
    `cannot read PATH: ...` already in place reports it in its one line)."""


def kind_of_mode(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def open_regular(path: str, allow_pipe: bool = False) -> BinaryIO:
    """The file, open for reading in binary. Raises NotRegularFile for anything but a regular
    file after following symbolic links; with `allow_pipe`, a pipe is accepted (a path the
    user named on the command line, such as `<(...)`) and waits for its writer as open() does."""
    descriptor = os.open(path, _FLAGS)
    try:
        mode = os.fstat(descriptor).st_mode
        if allow_pipe and stat.S_ISFIFO(mode):
            _wait_for_a_writer(descriptor)
            os.set_blocking(descriptor, True)
            return os.fdopen(descriptor, "rb")
        if not stat.S_ISREG(mode):
            raise NotRegularFile(errno.EINVAL, f"not a regular file ({kind_of_mode(mode)})", path)
        if _NONBLOCK:
            os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        if descriptor >= 0:
            os.close(descriptor)
        raise


def _wait_for_a_writer(descriptor: int) -> None:
    """Wait, as a blocking open() would, until a writer has come to a pipe opened without
    waiting: its first data, or its going (read as the end). Read before a writer came, the
    pipe would end at once; and it is not opened again, since a writer that came and went in
    between (its data in the pipe, or killed by SIGPIPE with no reader) would be lost."""
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(descriptor, select.POLLIN | select.POLLHUP)
        poller.poll()


def read_regular(path: str, allow_pipe: bool = False) -> bytes:
    """The whole file (see open_regular)."""
    with open_regular(path, allow_pipe) as handle:
        return handle.read()


def is_pipe(handle: BinaryIO) -> bool:
    return stat.S_ISFIFO(os.fstat(handle.fileno()).st_mode)


def regular_size(path: str) -> int:
    """The size of a regular file (NotRegularFile for anything else, which has no size to
    read by: /dev/zero says 0 and never ends)."""
    with open_regular(path) as handle:
        return os.fstat(handle.fileno()).st_size
