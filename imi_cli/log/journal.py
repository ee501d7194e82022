"""The journal: every change to a store is an event appended to its log.

The queryable tables are projections of the log (``imi_cli.log.projections``), so
appending and applying happen in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from imi_cli.i18n import nt, t
from imi_cli.log import clock
from imi_cli.log.event import canonical


def check_own(conn: Any, events: list[dict[str, Any]], where: list[str] | None = None) -> None:
    """Run the protocol's rules over events this store is about to author, as the hub will:
    what the hub would refuse is refused now, with the same reason, and nothing is written.
    With ``where`` (the file:line of each event's record) every refusal is reported at once."""
    from imi_cli.errors import Problem, RefusedRecords, Rejected
    from imi_cli.protocol import pipeline
    from imi_cli.protocol.refusal import Refusal
    from imi_cli.protocol.view import RulesView

    signer = signer_for(conn)
    if signer is None:  # a store of its own, not (yet) part of a network: nobody to refuse it
        return
    _fill_versions(conn, events)
    view, problems = RulesView(conn, at_hub=False), []
    for i, event in enumerate(events):
        probe = {**event, "signature": {"by": signer.user_id, "sig": ""}}
        try:
            pipeline.check(view, probe)
        except Refusal as refusal:
            said = t(refusal.msgid, **refusal.params)  # the rules' sentence in the interface language
            if where is None:
                raise Rejected(said, reason=refusal.reason) from None
            problems.append(Problem(where[i], refusal.params.get("field"), f"{refusal.reason}: {said}"))
            continue
        view.note(probe)
    if problems:
        raise RefusedRecords(nt("{n} record would be refused by the hub; nothing was changed",
                                "{n} records would be refused by the hub; nothing was changed", len(problems)),
                             problems=problems)


def _fill_versions(conn: Any, events: list[dict[str, Any]]) -> None:
    """Each event records the version of its entity its author saw."""
    from imi_cli.log.store import in_chunks

    versions = dict(in_chunks(conn, "SELECT entity, version FROM entity_versions WHERE entity IN ({})",
                              [e["subject"]["entity"] for e in events
                               if e["subject"].get("entity") and "version" not in e["subject"]]))
    for event in events:
        entity = event["subject"].get("entity")
        if entity and "version" not in event["subject"]:
            event["subject"]["version"] = versions.get(entity, 0)


def append(conn: Any, events: list[dict[str, Any]], *, checked: bool = False) -> list[dict[str, Any]]:
    """Record events this store authors: check them by the protocol's rules (unless the caller
    just did, ``checked``), fill in the version each one saw, sign them if the store has an
    identity (and queue them for the hub), append to the log and apply to the projections —
    all inside the caller's transaction. Returns the events as stored."""
    from imi_cli.log import redaction
    from imi_cli.log.projections import apply_all

    if not checked:
        check_own(conn, events)
    _fill_versions(conn, events)
    signer = signer_for(conn)
    status = "pending" if signer else "local"
    rows = []
    for i, event in enumerate(events):
        # Redactable personal data (log/redaction.py): personal fields are signed as digests;
        # their disclosures are kept beside the body, and the events returned carry them.
        event, disclosed = redaction.conceal_for(conn, event)
        if signer is not None:
            event = signer.sign_event(event)
        redaction.keep(conn, event, disclosed)
        rows.append((event["id"], event["type"], event["at"], canonical(event), status,
                     (event.get("subject") or {}).get("entity") or ""))
        events[i] = redaction.wire(event, disclosed)
    conn.executemany("INSERT INTO events(id, type, at, body, status, entity) VALUES (?, ?, ?, ?, ?, ?)", rows)
    apply_all(conn, [redaction.revealed(e) for e in events])  # projections fold the revealed payload
    if signer is not None:
        at = clock.iso(clock.now())
        conn.executemany("INSERT INTO outbox(event_id, state, updated_at) VALUES (?, 'pending', ?)",
                         [(e["id"], at) for e in events])
    return events


def entity_version(conn: Any, entity: str) -> int:
    row = conn.execute("SELECT version FROM entity_versions WHERE entity = ?", (entity,)).fetchone()
    return row[0] if row else 0


NOTE_VERSION = ("INSERT INTO entity_versions(entity, version) VALUES (?, ?) "
                "ON CONFLICT(entity) DO UPDATE SET version = max(version, excluded.version)")


def note_version(conn: Any, event: dict[str, Any], hub_seq: int) -> None:
    """An entity's version is the hub sequence number of the last event about it that this
    store knows: comparable between stores that see different parts of its history."""
    entity = event.get("subject", {}).get("entity")
    if entity:
        conn.execute(NOTE_VERSION, (entity, hub_seq))


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
