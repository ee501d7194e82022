"""A node's identity: the user's Ed25519 key made here, kept only in the encrypted store,
and enrolment with a hub through a one-time invitation code.

The code is a secret until it is spent: whoever presents it first becomes the user. It
never travels on a command line (every local user can read those); it is read from a
prompt, stdin, a file of the user's alone, or ``IMI_INVITE`` (see docs/security.md).
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

from imi_cli.errors import NotFound, UsageError
from imi_cli.i18n import N_, _, t
from imi_cli.log.crypto import Signer, code_hash, new_private_key, public_key_of
from imi_cli.sync.hubclient import HubClient, check_url


def enrol(store: Any, hub_url: str, code: str, *, insecure: bool = False) -> dict[str, Any]:
    """Make a key pair, prove it with the code, and record who this store acts for."""
    if store.meta("private_key"):
        raise UsageError(t("this store is already enrolled"), hint=t("use a new store for another identity"))
    url = check_url(hub_url, insecure=insecure)
    key = new_private_key()
    proof = Signer("new", key).sign_bytes(code_hash(code).encode())
    with HubClient(url) as client:
        who = client.enrol(code, public_key_of(key), proof)
    with store.transaction():
        for name, value in (("hub", url), ("user_id", who["user"]), ("authority_id", who["authority"]),
                            ("operator_key", who["operator_key"]), ("private_key", key), ("cursor", "0")):
            store.set_meta(name, value)
    return {"user": who["user"], "authority": who["authority"], "hub": url}


def client_for(store: Any, url: str | None = None) -> HubClient:
    url = url or store.meta("hub")
    key = store.meta("private_key")
    if not url or not key:
        raise UsageError(t("this store is not enrolled with a hub"),
                         hint=t("create one with `imi init --hub URL` (it asks for your invitation code)"))
    return HubClient(url, Signer(store.meta("user_id"), key))


MAX_CODE_TEXT = 1024  # a code is 39 characters; more is the wrong file, not a code
CODE_SHAPE = r"[0-9A-Za-z][0-9A-Za-z -]{0,99}"  # compiled on first use (re caches it), not by every `imi sync`
# English, marked for the catalogs: translate with _() where shown
NOT_ON_A_TERMINAL = N_("pass the code with `--invite -` (stdin), `--invite-file FILE` or IMI_INVITE")
HOW_TO_PASS = N_("type the code at the prompt (leave out --invite), or pass the code with `--invite -` (stdin), "
                 "`--invite-file FILE` or IMI_INVITE")


def code_from_text(text: str, where: str) -> str:
    """The invitation code in what was read from ``where``: one line, the code alone or as
    `user<TAB>code` (a line of an ``--invites`` file). Never echoes what it read."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise UsageError(t("no invitation code in {where}; nothing was created", where=where), hint=_(HOW_TO_PASS))
    if len(lines) > 1:
        raise UsageError(t("{where} holds {n} lines, not one invitation code; nothing was created", where=where,
                           n=len(lines)),
                         hint=t("give only your own code (one line: CODE, or user<TAB>CODE)"))
    code = lines[0].rsplit("\t", 1)[-1].strip()
    if not re.fullmatch(CODE_SHAPE, code):
        raise UsageError(t("what {where} holds is not an invitation code (groups of letters and digits "
                           "joined by dashes); nothing was created", where=where),
                         hint=t("check you gave the right file or text"))
    return code


def read_code_file(path: Path, flag: str = "--invite-file") -> str:
    """The code in ``path``. A regular file must be the user's alone (like an SSH key: one that
    others can read is refused, its code may be known); pipes such as `<(...)` are fine."""
    try:
        with open(path, "rb") as handle:  # links are followed: `<(...)` is /dev/fd/N, a link
            _check_code_file(path, os.fstat(handle.fileno()), flag)
            data = handle.read(MAX_CODE_TEXT + 1)
    except FileNotFoundError:
        raise NotFound(t("{option} {path} does not exist", option=flag, path=str(path))) from None
    except IsADirectoryError:
        raise UsageError(t("{option} {path} is a folder, not a file with your invitation code", option=flag,
                           path=str(path))) from None
    except PermissionError:
        raise UsageError(t("{option} {path} cannot be read (permission denied)", option=flag,
                           path=str(path))) from None
    return code_from_bytes(data, f"{flag} {path}")


def _check_code_file(path: Path, info: os.stat_result, flag: str) -> None:
    from imi_cli.log.private_files import ownership_problem

    problem = ownership_problem(info) if stat.S_ISREG(info.st_mode) else None
    if problem:
        # Translators: {problem} says what is wrong with the file ("can be used by other users (mode 0644)")
        raise UsageError(t("{option} {path} {problem}, so the code in it may be known to others; "
                           "nothing was created", option=flag, path=str(path), problem=problem),
                         hint=t("`chmod 600 {path}` if only you could read it so far; "
                                "otherwise ask whoever invited you for a new code", path=str(path)))


def code_from_bytes(data: bytes, where: str) -> str:
    """``code_from_text`` for raw input (stdin, a file): bounded, and UTF-8 or refused."""
    if len(data) > MAX_CODE_TEXT:
        raise UsageError(t("{where} holds more than {limit} bytes, not one invitation code; "
                           "nothing was created", where=where, limit=MAX_CODE_TEXT),
                         hint=t("give only your own code (one line)"))
    try:
        return code_from_text(data.decode("utf-8"), where)
    except UnicodeDecodeError:
        raise UsageError(t("what {where} holds is not an invitation code (not text); nothing was created",
                           where=where), hint=t("check you gave the right file or text")) from None
