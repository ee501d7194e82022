"""Hub retention: settled exchanges older than the retention period leave the hub's log.

What goes, once older than the period:
- a message (one event, settled when sent);
- a request that is settled — withdrawn, or closed for longer than it may be reopened —
  with every event about it, reminders included, once even its newest event is that old.
Ages are the hub's own: when it received each event, not the time its author wrote on it.
What stays: directory events (authorities, users, keys: the network's shared state), every
request that is still open, however old, so a node that re-seeds still gets its whole story,
and the receipts (event id and number only), so a push repeated after its event went is
answered with a receipt of the same number and time.
The hub's own projections of what went (the request's record, the message) go with it.

A node whose cursor is older than what the hub removed gets 410 and re-seeds: it pulls again
from the start and keeps what it already has (events are idempotent by id).
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

from imi_cli.exchanges.requests.lifecycle import REOPEN_DAYS
from imi_cli.log import clock, receipts
from imi_cli.log.store import in_chunks
from imi_cli.protocol import registry
from imi_cli.protocol.audience import HUB_ONLY

log = logging.getLogger("imi.hub.housekeeping")


def retained_from(hub: Any) -> int:
    """The highest sequence number removed by retention (0: nothing removed)."""
    return int(hub.backend.retained_from())


_RECEIVED = "coalesce(e.received_at, e.at)"  # the hub's own clock; events from before V5 have only `at`


def _settled_requests(conn: Any, cutoff: str, reopen_cutoff: str) -> list[str]:
    """Requests whose life is over and whose newest event reached the hub before the cutoff:
    ``cutoff`` for a withdrawn request, ``reopen_cutoff`` for a closed one (it may be reopened).

    Only those whose last activity (their author's time of the last step) is older than the
    cutoff and the allowed clock skew are looked at (index ``requests_settled``): an event is
    never timed more than the skew after the hub received it, so no other can qualify."""
    from imi_cli.protocol.pipeline import CLOCK_SKEW_SECONDS

    active_before = clock.iso(clock.parse_instant(cutoff) + timedelta(seconds=CLOCK_SKEW_SECONDS))
    rows = conn.execute(
        "SELECT r.id FROM requests r INDEXED BY requests_settled "
        "WHERE r.state IN ('withdrawn', 'closed') AND r.last_activity < ? "
        f"AND NOT EXISTS (SELECT 1 FROM entity_log l JOIN events e ON e.seq = l.seq "
        f"                WHERE l.entity = 'request/' || r.id "
        f"                AND {_RECEIVED} >= CASE r.state WHEN 'closed' THEN ? ELSE ? END)",
        (active_before, reopen_cutoff, cutoff)).fetchall()
    return [rid for (rid,) in rows]


def received_before(conn: Any, cutoff: str) -> int:
    """The number of the last event received before ``cutoff``, found by bisection (the hub
    numbers events in the order it receives them); 0 if none. Were the hub's clock ever set
    back, an event received before the cutoff but numbered after it waits for a later run:
    retention never takes an event younger than the period."""
    lo, hi = conn.execute("SELECT coalesce(min(seq), 0), coalesce(max(seq), 0) FROM events").fetchone()
    found = 0
    while lo <= hi:
        mid = (lo + hi) // 2
        row = conn.execute(f"SELECT e.seq, {_RECEIVED} FROM events e WHERE e.seq >= ? ORDER BY e.seq LIMIT 1",
                           (mid,)).fetchone()
        if row is not None and row[1] < cutoff:
            found, lo = max(found, row[0]), row[0] + 1
        else:
            hi = mid - 1
    return int(found)


def _keep_digests(conn: Any, seqs: list[int], chunk: int = 500) -> None:
    """Beside the receipts of the events about to be removed, the hash of each one's body
    (``receipts.body_digest``): the very same event pushed again still gets its receipt. A
    chunk of bodies at a time; a receipt that has its hash keeps it."""
    for start in range(0, len(seqs), chunk):
        rows = in_chunks(conn, "SELECT id, body FROM events WHERE seq IN ({})", seqs[start:start + chunk])
        conn.executemany("UPDATE receipts SET body_sha256 = ? WHERE event_id = ? AND body_sha256 IS NULL",
                         [(receipts.body_digest(body), ident) for ident, body in rows])


def _delete(conn: Any, table: str, column: str, values: list[Any]) -> None:
    in_chunks(conn, f"DELETE FROM {table} WHERE {column} IN ({{}})", values)


MAX_NODES = 1_000_000  # a record is bounded by what the hub takes in a push; anything larger is not one


def _attachment_hashes(value: Any, limit: int = MAX_NODES) -> set[str]:
    """Every attachment hash a request's record refers to, wherever in it. Walked without
    recursion, and at most ``limit`` values (ValueError beyond): a hostile record nested a
    thousand levels deep costs its size, not the hub's stack."""
    found: set[str] = set()
    stack, seen = [value], 0
    while stack:
        node = stack.pop()
        seen += 1
        if seen > limit:
            raise ValueError("a record larger than retention walks")
        if isinstance(node, dict):
            if isinstance(node.get("sha256"), str):
                found.add(node["sha256"])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def _hashes_of(conn: Any, requests: list[str], skipped: list[dict[str, Any]]) -> tuple[list[str], set[str]]:
    """The requests whose records can be read, and the attachment hashes they refer to; a
    record that cannot be read is skipped (the request stays, and is reported)."""
    readable, hashes = [], set()
    for rid, record in in_chunks(conn, "SELECT id, record FROM requests WHERE id IN ({})", requests):
        try:
            hashes |= _attachment_hashes(json.loads(record))
        except Exception as exc:
            skipped.append(skip("retention", f"request/{rid}", exc))
            continue
        readable.append(rid)
    return sorted(readable), hashes


def _still_used(conn: Any, hashes: set[str]) -> set[str]:
    """Which of ``hashes`` the requests that stay still refer to. A record that cannot be read
    keeps every hash its text names (an attachment is never removed from under a request).
    Only the records whose text names one of them are read (a reference is the hash's text:
    hex digits, never escaped), not every request the hub holds."""
    still: set[str] = set()
    wanted = sorted(hashes)
    for start in range(0, len(wanted), 100):
        chunk = wanted[start:start + 100]
        where = " OR ".join("instr(record, ?) > 0" for _ in chunk)
        for (record,) in conn.execute(f"SELECT record FROM requests WHERE {where}", chunk):  # noqa: S608
            try:
                still |= _attachment_hashes(json.loads(record)) & hashes
            except Exception:
                still |= {h for h in hashes if h in record}
    return still


def skip(job: str, ident: str, exc: BaseException) -> dict[str, Any]:
    """Log a record housekeeping could not process: its id and the exception's type only (the
    message may quote the record's content, personal data included)."""
    log.warning("housekeeping (%s) skipped %s: %s", job, ident, type(exc).__name__)
    return {"job": job, "id": ident, "error": type(exc).__name__}


def prune(hub: Any, days: int, skipped: list[dict[str, Any]] | None = None) -> int:
    """Remove settled exchanges older than ``days``; returns how many events went. A request
    whose record cannot be read stays, and is added to ``skipped`` (job, id, error type).
    With several hub processes it is an operation the others replay (``hub/pg/replica.OPS``)."""
    from contextlib import nullcontext

    skipped = [] if skipped is None else skipped
    now = clock.now()
    at = clock.iso(now)
    with hub.lock, hub.store.transaction() as conn, \
            clock.pinned(at) if hub.backend.pins_clock else nullcontext():
        before = conn.total_changes
        count = prune_in(conn, days, clock.parse_instant(at) if hub.backend.pins_clock else now, skipped)
        if conn.total_changes != before:
            hub.backend.record_op("retention.prune", days=days, now=at)
    return count


def prune_in(conn: Any, days: int, now: Any, skipped: list[dict[str, Any]]) -> int:
    """``prune`` in this transaction, by the time ``now``."""
    try:
        cutoff = clock.iso(now - timedelta(days=days))
        reopen_cutoff = clock.iso(now - timedelta(days=max(days, REOPEN_DAYS)))
    except OverflowError:  # a period longer than the calendar: nothing is that old
        return 0
    requests, hashes = _hashes_of(conn, _settled_requests(conn, cutoff, reopen_cutoff), skipped)
    entities = [f"request/{rid}" for rid in requests]
    # types whose retention class is "message": settled when made, gone once old
    settled_at_once = [name for name, t in registry.all_types().items() if t.retention == "message"]
    marks = ",".join("?" * len(settled_at_once))
    # (by the index on type, up to the last event received before the cutoff: not every
    # message of the period, every minute)
    entities += [entity for (entity,) in conn.execute(
        f"SELECT e.entity FROM events e WHERE e.type IN ({marks}) AND e.seq <= ? AND {_RECEIVED} < ?",
        (*settled_at_once, received_before(conn, cutoff), cutoff))]
    # spent or lapsed invitation codes older than the period: their hashes, and the hub-only
    # events that carried them
    spent = [h for (h,) in conn.execute(
        "SELECT code_hash FROM invitations WHERE coalesce(used_at, expires_at) < ?", (cutoff,))]
    entities += [f"invitation/{h[:16]}" for h in spent]
    gone = in_chunks(conn, "SELECT e.seq, e.id FROM entity_log l JOIN events e ON e.seq = l.seq "
                            "WHERE l.entity IN ({})", entities)
    seqs = [seq for seq, _ in gone]
    # what nodes could have pulled: only that makes a node behind it re-seed
    pulled = [seq for (seq,) in in_chunks(
        conn, f"SELECT DISTINCT seq FROM event_audience WHERE authority != '{HUB_ONLY}' AND seq IN ({{}})", seqs)]
    _keep_digests(conn, seqs)
    _delete(conn, "event_audience", "seq", seqs)
    _delete(conn, "events", "seq", seqs)
    _delete(conn, "disclosures", "event_id", [event_id for _, event_id in gone])  # redaction: beside their events
    _delete(conn, "entity_log", "entity", entities)
    # entity_versions stay (a name and a number): a removed request's or message's id can
    # never be used again for another one, which nodes still holding it would merge with
    _delete(conn, "request_history", "request_id", requests)
    _delete(conn, "requests", "id", requests)
    _delete(conn, "messages", "id", [e.split("/", 1)[1] for e in entities if e.startswith("message/")])
    still = _still_used(conn, hashes) if hashes else set()
    _delete(conn, "request_attachments", "sha256", sorted(hashes - still))
    _delete(conn, "invitations", "code_hash", spent)
    if pulled:
        held = conn.execute("SELECT value FROM meta WHERE key = 'retained_from'").fetchone()
        conn.execute("INSERT INTO meta(key, value) VALUES ('retained_from', ?) "
                     "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                     (str(max(max(pulled), int(held[0]) if held else 0)),))
    return len(seqs)
