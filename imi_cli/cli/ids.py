"""Ids a person can copy: the shortest unique prefix on a terminal, and any unique prefix
accepted wherever an id is (as git takes a commit's).

Request, alert, notification and message ids are UUIDv7s (36 characters: a terminal table
cannot show them whole beside a subject). A table shows each as the shortest prefix, of at
least ``MIN_SHOWN`` characters, that no other id of its kind in the store starts with; every
command that takes such an id takes a prefix of ``MIN_GIVEN`` characters or more and finds
the one id it starts. A prefix two ids share is refused, naming them; pipes, CSV and JSON
keep the whole id.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

__all__ = ["KINDS", "MIN_GIVEN", "MIN_SHOWN", "full_id", "shortest_prefixes"]

# kind -> (table, the command that lists them): tables whose ``id`` column is a UUID
KINDS: dict[str, tuple[str, str]] = {
    "request": ("requests", "imi request list"),
    "alert": ("alerts", "imi alert list"),
    "notification": ("notifications", "imi notification list"),
    "message": ("messages", "imi message list"),
}
MIN_SHOWN = 8   # as short as a person reads it aloud; longer where two ids share it
MIN_GIVEN = 4   # a shorter prefix would match half the store
_PREFIX = re.compile(r"[0-9a-fA-F-]+")
_SHOWN_AT_MOST = 20  # ambiguous: the candidates named in the error


def full_id(conn: Any, kind: str, given: str) -> str:
    """The id of ``kind`` that ``given`` is or starts; ``given`` unchanged when none does (the
    caller's own "not found" then says so). Two or more: ``UsageError`` naming them."""
    table, listing = KINDS[kind]
    if not isinstance(given, str) or len(given) < MIN_GIVEN or not _PREFIX.fullmatch(given):
        return given
    prefix = given.lower()
    if conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (prefix,)).fetchone():  # noqa: S608 -- table from KINDS
        return prefix
    # a range scan on the primary key, not LIKE (which would read every row)
    found = [row[0] for row in conn.execute(
        f"SELECT id FROM {table} WHERE id >= ? AND id < ? ORDER BY id LIMIT ?",  # noqa: S608
        (prefix, prefix + "\uffff", _SHOWN_AT_MOST + 1))]
    if len(found) == 1:
        return str(found[0])
    if not found:
        return given
    from imi_cli.errors import UsageError
    from imi_cli.i18n import t

    more = "" if len(found) <= _SHOWN_AT_MOST else " …"
    raise UsageError(
        t("{prefix!r} starts more than one {kind} id: {ids}{more}", prefix=given, kind=kind,
          ids=", ".join(found[:_SHOWN_AT_MOST]), more=more),
        hint=t("give more of the id (`{listing}` shows enough of each)", listing=listing))


def shortest_prefixes(conn: Any, kind: str, ids: Iterable[str]) -> dict[str, str]:
    """Each of ``ids`` -> the shortest prefix (at least ``MIN_SHOWN``) that no other id of
    ``kind`` in the store starts with. Two lookups per id on the primary key's index: the
    ids just before and after it in order are the only ones that can share a longer prefix."""
    table, _listing = KINDS[kind]
    out: dict[str, str] = {}
    for ident in ids:
        if not isinstance(ident, str) or ident in out:
            continue
        shared = 0
        for neighbour in _neighbours(conn, table, ident):
            shared = max(shared, _common(ident, neighbour))
        out[ident] = ident[:max(MIN_SHOWN, shared + 1)]
    return out


def _neighbours(conn: Any, table: str, ident: str) -> list[str]:
    before = conn.execute(f"SELECT id FROM {table} WHERE id < ? ORDER BY id DESC LIMIT 1",  # noqa: S608
                          (ident,)).fetchone()
    after = conn.execute(f"SELECT id FROM {table} WHERE id > ? ORDER BY id LIMIT 1",  # noqa: S608
                         (ident,)).fetchone()
    return [str(row[0]) for row in (before, after) if row]


def _common(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n
