"""Files and folders that hold secrets (the unlocked key, invitation codes): used only when
they are this user's alone, and never through a symbolic link.

Another user of the machine may have made the path first (a folder in /tmp, a link named
like the file we are about to write). So: ``lstat``/``O_NOFOLLOW`` instead of following
links, the owner and mode checked on the open descriptor (not on a name that can change
in between), new files created ``O_EXCL`` with mode 0600 and renamed into place, and
nothing ever ``chmod``-ed to make it fit. Each check returns what is wrong, in words
(``None`` when all is well), so callers can fail closed with a clear message.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from imi_cli.i18n import t

NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
CLOEXEC = getattr(os, "O_CLOEXEC", 0)
NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a FIFO planted under the name must not hang us
DIRECTORY = getattr(os, "O_DIRECTORY", 0)


def ownership_problem(info: os.stat_result) -> str | None:
    """Why others could use this file or folder: another owner, or group/other permissions."""
    if info.st_uid != os.getuid():
        # Translators: said of a file or folder, after its name ("/run/imi belongs to another user (uid 0)")
        return t("belongs to another user (uid {uid})", uid=info.st_uid)
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        # Translators: said of a file or folder, after its name
        return t("can be used by other users (mode {mode})", mode=format(mode, "04o"))
    return None


def link_problem(path: Path) -> str | None:
    """What is at ``path`` if it is not a plain file or folder of this user (``lstat``: a link
    is seen as a link); ``None`` if nothing is there yet or all is well."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(info.st_mode):
        return t("is a symbolic link")
    if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
        return t("is not a regular file")
    return ownership_problem(info)


class UnsafePath(Exception):
    """A secret's file or folder that others could read or replace; ``problem`` says how."""

    def __init__(self, path: Path, problem: str, *, mine: bool = False) -> None:
        super().__init__(f"{path} {problem}")
        self.path, self.problem = path, problem
        self.mine = mine  # the user's own, only too open


def open_private_folder(folder: Path, *, create: bool) -> int | None:
    """A descriptor of ``folder`` after checking it is this user's alone (made 0700 when
    ``create``); ``None`` if it does not exist and ``create`` is false. ``UnsafePath`` if
    others could use it; ``OSError`` if it cannot be opened as a folder."""
    if create:
        folder.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            pass
    try:
        fd = os.open(folder, os.O_RDONLY | DIRECTORY | NOFOLLOW | CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError:
        if os.path.islink(folder):  # ELOOP: never a link, wherever it points
            raise UnsafePath(folder, t("is a symbolic link")) from None
        raise  # ENOTDIR, EACCES: not a folder we can use, say so plainly
    info = os.fstat(fd)
    problem = t("is not a folder") if not stat.S_ISDIR(info.st_mode) else ownership_problem(info)
    if problem:
        os.close(fd)
        raise UnsafePath(folder, problem, mine=stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid())
    return fd


def replace_private(dir_fd: int, name: str, data: bytes) -> None:
    """Write ``name`` in the folder atomically: a fresh 0600 file (``O_EXCL``, never through a
    link), then renamed over whatever had the name (a rename replaces a link, never follows it)."""
    import secrets  # (here: it imports hashlib, which loads OpenSSL; reading a private file needs neither)

    temp = f".{name}.{secrets.token_hex(8)}.tmp"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW | CLOEXEC, 0o600, dir_fd=dir_fd)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        _unlink_quietly(temp, dir_fd)
        raise


def _unlink_quietly(name: str, dir_fd: int) -> None:
    try:
        os.unlink(name, dir_fd=dir_fd)
    except OSError:
        pass


def read_private(dir_fd: int, name: str, *, limit: int = 4096) -> bytes | None:
    """The bytes of ``name`` if it is a regular file of this user's alone, at most ``limit``;
    ``None`` if it is missing, a link, or open to others."""
    try:
        fd = os.open(name, os.O_RDONLY | NOFOLLOW | NONBLOCK | CLOEXEC, dir_fd=dir_fd)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or ownership_problem(info) or info.st_size > limit:
            return None
        return handle.read(limit)


def append_private(path: Path, text: str) -> None:
    """Append to a user-only file: created 0600 if missing; an existing one must be a regular
    file of this user's alone, opened without following a link (``UnsafePath`` otherwise)."""
    flags = os.O_WRONLY | os.O_APPEND | NOFOLLOW | NONBLOCK | CLOEXEC
    try:
        fd = os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        try:
            fd = os.open(path, flags)
        except OSError:  # ELOOP: a link; ENXIO: a FIFO nobody reads
            raise UnsafePath(path, link_problem(path) or t("is not a regular file")) from None
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        info = os.fstat(fd)
        problem = t("is not a regular file") if not stat.S_ISREG(info.st_mode) else ownership_problem(info)
        if problem:
            raise UnsafePath(path, problem)
        handle.write(text)
