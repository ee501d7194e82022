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
from typing import BinaryIO

from imi_cli.errors import InvalidInput, NotFound, UsageError
from imi_cli.i18n import N_, _, t

MiB = 1024 * 1024
# What a file that is not a regular one is, and what was to be done with it: one sentence each
_NOT_REGULAR = {
    ("fifo", "read"): N_("{path} is a FIFO (named pipe); only a regular file can be read"),
    ("chr", "read"): N_("{path} is a character device; only a regular file can be read"),
    ("blk", "read"): N_("{path} is a block device; only a regular file can be read"),
    ("sock", "read"): N_("{path} is a socket; only a regular file can be read"),
    ("other", "read"): N_("{path} is not a regular file; only a regular file can be read"),
    ("fifo", "attached"): N_("{path} is a FIFO (named pipe); only a regular file can be attached"),
    ("chr", "attached"): N_("{path} is a character device; only a regular file can be attached"),
    ("blk", "attached"): N_("{path} is a block device; only a regular file can be attached"),
    ("sock", "attached"): N_("{path} is a socket; only a regular file can be attached"),
    ("other", "attached"): N_("{path} is not a regular file; only a regular file can be attached"),
}
_KIND_WORDS = {"fifo": "a FIFO (named pipe)", "chr": "a character device", "blk": "a block device",
               "sock": "a socket", "other": "not a regular file"}


def _kind(mode: int) -> str:
    for test, kind in ((stat.S_ISFIFO, "fifo"), (stat.S_ISCHR, "chr"), (stat.S_ISBLK, "blk"),
                       (stat.S_ISSOCK, "sock")):
        if test(mode):
            return kind
    return "other"


def _check(path: Path, info: os.stat_result, limit: int, what: str) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise UsageError(t("{path} is a folder, not a file", path=path))
    if not stat.S_ISREG(info.st_mode):
        kind = _kind(info.st_mode)
        template = _NOT_REGULAR.get((kind, what))
        text = (t(template, path=path) if template else
                f"{path} is {_KIND_WORDS[kind]}; only a regular file can be {what}")
        raise InvalidInput(text, hint=_("copy the data into a file first"))
    if info.st_size > limit:
        raise TooBig(path, info.st_size, limit)


class TooBig(InvalidInput):
    """The file is over the limit (``size`` is at least limit + 1 if it grew while being read)."""

    def __init__(self, path: Path, size: int, limit: int) -> None:
        from imi_cli.i18n import formats

        super().__init__(t("{path}: {size} bytes is over the limit of {limit} bytes", path=path,
                           size=formats.number(size), limit=formats.number(limit)),
                         hint=_("split it into smaller files"))
        self.path, self.size, self.limit = path, size, limit


def read_regular_file(path: Path, limit: int, *, what: str = "read") -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them; else a clear error.

    ``what`` completes "only a regular file can be ...", e.g. "attached"."""
    with open_regular_file(path, limit, what=what) as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise TooBig(path, len(data), limit)
    return data


def open_regular_file(path: Path, limit: int, *, what: str = "read") -> BinaryIO:
    """The regular file ``path`` open for reading, checked as ``read_regular_file`` checks it; a
    reader in pieces counts what it reads and raises ``TooBig`` past ``limit``."""
    path = Path(path)
    try:
        _check(path, os.stat(path), limit, what)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise NotFound(msgid="no_such_file", params={"path": str(path)}) from None
    except OSError as exc:
        # Translators: {reason} is the system's English explanation ("Permission denied")
        raise InvalidInput(t("{path}: cannot be read ({reason})", path=path, reason=exc.strerror)) from None
    handle = open(fd, "rb", closefd=True)
    try:
        _check(path, os.fstat(fd), limit, what)
    except BaseException:
        handle.close()
        raise
    return handle
