"""The journal: every change to a store is an event appended to its log.

The queryable tables are projections of the log (``imi_cli.log.projections``), so
appending and applying happen in one transaction.
"""

from __future__ import annotations

import json
from typing import Any, Iterable

from imi_cli.log import clock
from imi_cli.log.event import canonical

def append(conn: Any, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Record events this store authors: fill in the version each one saw, sign them if
    the store has an identity (and queue them for the hub), append to the log and apply
    to the projections — all inside the caller's transaction. Returns the events as stored."""
    from imi_cli.log import redaction
    from imi_cli.log.projections import apply_all

    signer = signer_for(conn)
    status = "pending" if signer else "local"
    rows = []
    from imi_cli.log.store import in_chunks

    versions = dict(in_chunks(conn, "SELECT entity, version FROM entity_versions WHERE entity IN ({})",
                              [e["subject"]["entity"] for e in events
                               if e["subject"].get("entity") and "version" not in e["subject"]]))
    for i, event in enumerate(events):
        entity = event["subject"].get("entity")
        if entity and "version" not in event["subject"]:
            event["subject"]["version"] = versions.get(entity, 0)
        # Redactable personal data (log/redaction.py): personal fields are signed as digests;
        # their disclosures are kept beside the body, and the events returned carry them.
        event, disclosed = redaction.conceal_for(conn, event)
        if signer is not None:
            event = signer.sign_event(event)
        redaction.keep(conn, event, disclosed)
        rows.append((event["id"], event["type"], event["at"], canonical(event), status))
        events[i] = redaction.wire(event, disclosed)
    conn.executemany("INSERT INTO events(id, type, at, body, status) VALUES (?, ?, ?, ?, ?)", rows)
    apply_all(conn, [redaction.revealed(e) for e in events])  # projections fold the revealed payload
    if signer is not None:
        at = clock.iso(clock.now())
        conn.executemany("INSERT INTO outbox(event_id, state, updated_at) VALUES (?, 'pending', ?)",
                         [(e["id"], at) for e in events])
    return events


def entity_version(conn: Any, entity: str) -> int:
    row = conn.execute("SELECT version FROM entity_versions WHERE entity = ?", (entity,)).fetchone()
    return row[0] if row else 0


def note_version(conn: Any, event: dict[str, Any], hub_seq: int) -> None:
    """An entity's version is the hub sequence number of the last event about it that this
    store knows: comparable between stores that see different parts of its history."""
    entity = event.get("subject", {}).get("entity")
    if entity:
        conn.execute("INSERT INTO entity_versions(entity, version) VALUES (?, ?) "
                     "ON CONFLICT(entity) DO UPDATE SET version = max(version, excluded.version)",
                     (entity, hub_seq))


def signer_for(conn: Any):
    """The store's own signer once it is enrolled with a hub, else None."""
    rows = dict(conn.execute("SELECT key, value FROM meta WHERE key IN ('user_id', 'private_key')"))
    if "private_key" not in rows:
        return None
    from imi_cli.log.crypto import Signer

    return Signer(rows["user_id"], rows["private_key"])


def iter_log(conn: Any, *, batch: int = 2000) -> Iterable[dict[str, Any]]:
    """Every event that counts, in the order the network agreed (hub order first, then
    this node's own not yet sequenced); events the hub rejected are left out."""
    rows = conn.execute("SELECT body FROM events WHERE status != 'rejected' "
                        "ORDER BY hub_seq IS NULL, hub_seq, seq")
    while True:
        chunk = rows.fetchmany(batch)
        if not chunk:
            return
        for (body,) in chunk:
            yield json.loads(body)


def local_actor(store: Any) -> dict[str, Any]:
    """Who acts from this store: its enrolled user and authority, or 'local' before enrolment."""
    return {"user": store.meta("user_id", "local"), "authority": store.meta("authority_id")}
