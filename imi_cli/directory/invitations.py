"""Invitation codes: made where a user is registered, handed over out of band, used once."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from imi_cli.directory.records import check_authority, check_user
from imi_cli.errors import InvalidInput, Problem, UsageError
from imi_cli.i18n import N_, _, t
from imi_cli.log import clock
from imi_cli.log.crypto import code_hash
from imi_cli.log.event import make_event
from imi_cli.log.private_files import UnsafePath, append_private


def coordinator_records(authority: str, country: str, name: str, lang: str, languages: str | list[str],
                        areas: str | list[str], email: str, user_id: str, user_name: str,
                        user_email: str, *, names: dict[str, str] | None = None,
                        ) -> tuple[dict[str, Any], dict[str, Any]]:
    """A national coordinator's authority and first user, checked; named ``{lang: name}``, or
    ``names`` ({language: name}) when given."""
    problems: list[Problem] = []
    record = check_authority({"id": authority, "kind": "national_coordinator", "country": country,
                              "names": names or {lang: name}, "languages": languages, "areas": areas,
                              "email": email}, "--authority", problems)
    user = check_user({"id": user_id, "name": user_name, "email": user_email, "authority": authority,
                       "roles": "coordinator;administrator"}, "--user", problems)
    if problems or record is None or user is None:
        raise InvalidInput(_("the invitation is not right"), problems=problems)
    return record, user


def write_code(path: Path, user_id: str, code: str, *, flag: str = "--invites") -> None:
    """Codes are secrets until used: one `user<TAB>code` line each, appended to a file that is
    this user's alone (made 0600; an existing one open to others, or a link, is refused)."""
    try:
        append_private(path, f"{user_id}\t{code}\n")
    except UnsafePath as exc:
        raise secret_file_refused(exc.path, exc.problem, flag) from None


# What is wrong with a file for invitation codes, one sentence each (``imi_cli.log.private_files``
# says it as the end of a sentence: "is a symbolic link", "belongs to another user (uid 1001)")
_UNSAFE = (
    (re.compile(r"is a symbolic link"),
     N_("{flag} {path} is a symbolic link; invitation codes are written only to a file that is yours alone")),
    (re.compile(r"is not a regular file"),
     N_("{flag} {path} is not a regular file; invitation codes are written only to a file that is yours alone")),
    (re.compile(r"is not a folder"),
     N_("{flag} {path} is not a folder; invitation codes are written only to a file that is yours alone")),
    (re.compile(r"belongs to another user \(uid (?P<uid>\d+)\)"),
     N_("{flag} {path} belongs to another user (uid {uid}); invitation codes are written only to a file that "
        "is yours alone")),
    (re.compile(r"can be used by other users \(mode (?P<mode>\w+)\)"),
     N_("{flag} {path} can be used by other users (mode {mode}); invitation codes are written only to a file "
        "that is yours alone")),
)


def secret_file_refused(path: Path, problem: str, flag: str) -> UsageError:
    """A file for invitation codes that others could read or redirect: what, where, how to fix."""
    hint = _("name a new file (it is made 0600), or `chmod 600` a file of yours; never a link")
    for pattern, template in _UNSAFE:
        found = pattern.fullmatch(problem)
        if found:
            return UsageError(t(template, flag=flag, path=path, **found.groupdict()), hint=hint)
    # Translators: {problem} ends the sentence "{path} ..." in English (e.g. "is a socket")
    return UsageError(t("{flag} {path} {problem}; invitation codes are written only to a file that is yours alone",
                        flag=flag, path=path, problem=problem), hint=hint)


INVITATION_DAYS = 14


def invitation_event(actor: dict[str, Any], user_id: str, code: str) -> dict[str, Any]:
    """Only the code's hash travels; the hub keeps it to check the enrolment."""
    expires = clock.iso(clock.now() + timedelta(days=INVITATION_DAYS))
    digest = code_hash(code)
    return make_event("user.invited", actor=actor, audience=["hub"],
                      payload={"user": user_id, "code_hash": digest, "expires_at": expires},
                      subject={"entity": f"invitation/{digest[:16]}"})
