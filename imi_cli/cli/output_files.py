"""Files a user names for output (-o, --out, --invites): checked before anything changes,
so a typo in a path never leaves a half-done job (a code issued but not written)."""

from __future__ import annotations

import os
from pathlib import Path

from imi_cli.errors import ImiError, NotFound, UsageError
from imi_cli.i18n import _


def check_output_file(path: Path, flag: str, *, secret: bool = False) -> Path:
    """The path can be written: not a folder, its folder exists and is writable. A ``secret``
    file (invitation codes) must also be new, or a regular file that is the user's alone:
    not a link (another user's link in /tmp would carry the codes away), not readable by others."""
    if path.is_dir():
        raise UsageError(msgid="output_is_folder", params={"option": flag, "path": str(path)})
    folder = path.parent
    if not folder.is_dir():
        raise NotFound(msgid="output_folder_missing", params={"option": flag, "path": str(path), "folder": str(folder)})
    if secret:
        _check_secret_file(path, flag)
    target = path if path.exists() else folder
    if not os.access(target, os.W_OK):
        raise ImiError(msgid="output_not_writable", params={"option": flag, "path": str(path)},
                       hint=_("check the permissions of the file and its folder"))
    return path


def _check_secret_file(path: Path, flag: str) -> None:
    from imi_cli.directory.invitations import secret_file_refused
    from imi_cli.log.private_files import link_problem

    problem = link_problem(path)
    if problem:
        raise secret_file_refused(path, problem, flag)


def write_output(path: Path, text: str, flag: str, *, private: bool = False) -> None:
    """Write what a command exports to the file the user named, checked first; ``private``
    (personal data in it): readable by its owner only."""
    check_output_file(path, flag)
    if not private:
        path.write_text(text, encoding="utf-8")
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps no wider mode
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
