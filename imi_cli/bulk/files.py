"""Reading a file named by a user: regular files only, and never more than a limit.

`/dev/zero` would be read until memory runs out, a FIFO would block until some other
process writes to it, and a folder or a device is never what was meant. The path is
checked with stat before it is opened (so a device is not even opened), opened
non-blocking (so a FIFO swapped in meanwhile cannot hang us), checked again on the open
descriptor, and read up to one byte past the limit (so a file that grows is caught too).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from imi_cli.errors import InvalidInput, NotFound, UsageError

MiB = 1024 * 1024


def _kind(mode: int) -> str:
    for test, kind in ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return kind
    return "not a regular file"


def _check(path: Path, info: os.stat_result, limit: int, what: str) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise UsageError(f"{path} is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise InvalidInput(f"{path} is {_kind(info.st_mode)}; only a regular file can be {what}",
                           hint="copy the data into a file first")
    if info.st_size > limit:
        raise TooBig(path, info.st_size, limit)


class TooBig(InvalidInput):
    """The file is over the limit (``size`` is at least limit + 1 if it grew while being read)."""

    def __init__(self, path: Path, size: int, limit: int) -> None:
        super().__init__(f"{path}: {size} bytes is over the limit of {limit} bytes",
                         hint="split it into smaller files")
        self.path, self.size, self.limit = path, size, limit


def read_regular_file(path: Path, limit: int, *, what: str = "read") -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them; else a clear error.

    ``what`` completes "only a regular file can be ...", e.g. "attached"."""
    path = Path(path)
    try:
        _check(path, os.stat(path), limit, what)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise NotFound(f"{path}: no such file") from None
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot be read ({exc.strerror})") from None
    with open(fd, "rb", closefd=True) as handle:
        _check(path, os.fstat(fd), limit, what)
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise TooBig(path, len(data), limit)
    return data
