"""The minimal directory: a user's name and e-mail reach only the user's own authority and
the coordinators above it; every other store knows the user by id, authority and key.

``user.registered`` and ``user.updated`` carry the name and e-mail as disclosures
(``personal`` in ``imi_cli.directory.event_types``). The hub holds them back from a reader out
of reach (``withhold``); a node's projection keeps none it may not hold (``kept_here``: old
events signed before this rule carry them in plain); and ``forget_out_of_reach`` drops, at
the end of each sync, what a store holds of users out of its reach (an older store, a user
moved away, a coordinator whose areas shrank). Reach is the one coordination rule
(``imi_cli.directory.coordination.covers``).
"""

from __future__ import annotations

from typing import Any

from imi_cli.directory import coordination

PERSONAL_KEYS = frozenset({"name", "email"})
USER_TYPES = ("user.registered", "user.updated")
# What may narrow a store's reach or move a user out of it (a new user's event is projected
# within reach already); ``CHECKED``: the last event seq ``settle`` looked at (meta).
CHANGES = ("authority.updated", "user.updated")
CHECKED = "minimal_directory_checked"


def reaches(conn: Any, reader: str | None, authority: str | None) -> bool:
    """May the authority ``reader`` hold the names of the users of ``authority``: its own, or
    one its coordinators' authority covers?"""
    if not isinstance(reader, str) or not isinstance(authority, str):
        return False
    if reader == authority:
        return True
    kind = conn.execute("SELECT kind FROM authorities WHERE id = ?", (reader,)).fetchone()
    if kind is None or kind[0] not in coordination.COORDINATOR_KINDS:
        return False  # a plain authority covers nobody: no record need be read (most readers)
    lookup = coordination.sql_lookup(conn)
    return coordination.covers(lookup, lookup(reader), lookup(authority))


def in_reach(conn: Any, authority_id: str) -> list[str]:
    """The authorities whose users' names a store of ``authority_id`` may hold."""
    return [authority_id, *coordination.covered_by(conn, authority_id)]


def withhold(conn: Any, reader: str | None, event: dict[str, Any]) -> bool:
    """The hub's need-to-know rule for ``user.registered``/``user.updated`` (``event``: the signed
    body): the name and e-mail go to a reader in reach of the user's authority, the one the hub
    knows now (a user may have moved since the event), else the one the event names."""
    user = (event.get("payload") or {}).get("user")
    if not isinstance(user, dict):
        return True
    row = conn.execute("SELECT authority_id FROM users WHERE id = ?", (user.get("id"),)).fetchone()
    return not reaches(conn, reader, row[0] if row else user.get("authority"))


def kept_here(conn: Any, authority: str | None) -> bool:
    """May this store keep the names of the users of ``authority``? A node (it acts for an
    authority) only within its reach; the hub and a store not enrolled keep everything."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'authority_id'").fetchone()
    return row is None or not row[0] or reaches(conn, row[0], authority)


def forget_out_of_reach(conn: Any, authority_id: str | None) -> int:
    """Drop what this store holds of the names and e-mails of users out of reach of
    ``authority_id``: the disclosures of their ``user.registered``/``user.updated`` events, and
    the name and e-mail in ``users`` (columns and record). Idempotent. Returns how many users
    were blanked. It reads every user's row: ``settle`` runs it only when it may find something."""
    if not authority_id:
        return 0
    reach = in_reach(conn, authority_id)
    marks = ",".join("?" * len(reach))
    conn.execute("DELETE FROM disclosures WHERE entity >= 'user/' AND entity < 'user0' "
                 "AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = substr(disclosures.entity, 6) "
                 f"AND u.authority_id IN ({marks})) "
                 "AND event_id IN (SELECT id FROM events WHERE type IN (?, ?))", (*reach, *USER_TYPES))
    blanked = conn.execute(
        "UPDATE users SET name = '', email = '', record = json_remove(record, '$.name', '$.email') "
        f"WHERE authority_id NOT IN ({marks}) AND (name != '' OR email != '')", reach)
    return int(blanked.rowcount)


def settle(conn: Any, authority_id: str | None) -> int:
    """``forget_out_of_reach`` after a sync, when something may have brought a name out of
    reach: the store never did it (a store older than the minimal directory), or an event since
    the last time may have narrowed its reach or moved a user away (``CHANGES``). Otherwise two
    indexed reads. Returns how many users were blanked."""
    if not authority_id:
        return 0
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (CHECKED,)).fetchone()
    last = conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
    marks = ",".join("?" * len(CHANGES))
    due = row is None or conn.execute(f"SELECT 1 FROM events WHERE type IN ({marks}) AND seq > ? LIMIT 1",
                                      (*CHANGES, int(row[0]))).fetchone() is not None
    blanked = forget_out_of_reach(conn, authority_id) if due else 0
    if row is None or int(row[0]) != last:
        conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (CHECKED, str(last)))
    return blanked
