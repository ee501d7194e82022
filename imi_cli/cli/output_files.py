"""Files a user names for output (-o, --out, --invites): checked before anything changes,
so a typo in a path never leaves a half-done job (a code issued but not written)."""

from __future__ import annotations

import os
from pathlib import Path

from imi_cli.errors import ImiError, NotFound, UsageError


def check_output_file(path: Path, flag: str) -> Path:
    """The path can be written: not a folder, its folder exists and is writable."""
    if path.is_dir():
        raise UsageError(msgid="output_is_folder", params={"option": flag, "path": str(path)})
    folder = path.parent
    if not folder.is_dir():
        raise NotFound(msgid="output_folder_missing", params={"option": flag, "path": str(path), "folder": str(folder)})
    target = path if path.exists() else folder
    if not os.access(target, os.W_OK):
        raise ImiError(msgid="output_not_writable", params={"option": flag, "path": str(path)},
                       hint="check the permissions of the file and its folder")
    return path
