"""A hub process's private replica of the hub store, kept up to date from PostgreSQL.

``catch_up`` applies the ``changes`` stream after the replica's mark (meta ``pg_change``), in
order: a run of events is replayed through the very code that sequenced it (``Hub._insert``:
the log, the audience, versions, disclosures, projections) with its number and reception time,
its receipts copied; an operation (``OPS``: retention, the data-protection clock) is done again
by the clock pinned to when it was first done, so every stamp is the same.

``bootstrap`` fills an empty (or outdated) replica from PostgreSQL's base tables in one
snapshot and folds the projections again (``projections.rebuild``, as `imi store rebuild`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from imi_cli.hub.pg.backend import PG_CHANGE
from imi_cli.hub.pg.keys import disclosure_aad, event_aad
from imi_cli.log import clock, redaction

log = logging.getLogger("imi.hub.replica")
BASE_TABLES = ("events", "event_audience", "entity_log", "receipts", "disclosures", "entity_versions",
               "privacy_marks")


# The ``changes`` stream keeps this long: a hub process away for longer makes its replica
# again from the base tables (``catch_up`` finds the gap) instead of replaying.
CHANGES_KEPT_DAYS = 7
PRUNED_AT_ONCE = 10_000  # the oldest rows looked at per housekeeping tick (by the primary key)


class Outdated(Exception):
    """Events the replica still has to replay were removed by retention meanwhile: bootstrap."""


def prune_changes(pg: Any, now: Any) -> int:
    """Drop the stream's rows older than ``CHANGES_KEPT_DAYS`` (the newest always stays: a
    replica behind it sees the gap); how many. Run by the housekeeping leader."""
    from datetime import timedelta

    before = clock.iso(now - timedelta(days=CHANGES_KEPT_DAYS))
    # only a prefix of the stream: an operation's time can be older than the change before it
    # (the clock pinned through a long job), and a hole in the middle would be replayed past
    cur = pg.execute("WITH oldest AS (SELECT change_no, at FROM changes ORDER BY change_no LIMIT %s) "
                     "DELETE FROM changes WHERE change_no IN (SELECT change_no FROM oldest) AND change_no < "
                     "coalesce((SELECT min(change_no) FROM oldest WHERE at >= %s), "
                     "(SELECT max(change_no) FROM changes))", (PRUNED_AT_ONCE, before))
    return int(cur.rowcount or 0)


def _prune(conn: Any, args: dict[str, Any]) -> None:
    from imi_cli.hub.retention import prune_in

    prune_in(conn, int(args["days"]), clock.parse_instant(args["now"]), [])


def _block(conn: Any, args: dict[str, Any]) -> None:
    redaction.block(conn, args["entity"], args["at"])


def _mark(conn: Any, args: dict[str, Any]) -> None:
    from imi_cli.privacy import clock as privacy_clock

    item: Any = SimpleNamespace(entity=args["entity"], closed_at=args["closed_at"], action=args["action"])
    privacy_clock.mark(conn, item, args["at"])


def _erase_access(conn: Any, args: dict[str, Any]) -> None:
    from imi_cli.privacy.access import erase_old

    erase_old(conn, args["before"])


# what each recorded operation does again (``PgBackend.record_op``), by its name
OPS: dict[str, Callable[[Any, dict[str, Any]], None]] = {
    "retention.prune": _prune,
    "privacy.block": _block,
    "privacy.mark": _mark,
    "access.erase_old": _erase_access,
}


def mark_of(conn: Any) -> int:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (PG_CHANGE,)).fetchone()
    return int(row[0]) if row else 0


def catch_up(backend: Any, pg: Any) -> int:
    """Apply the changes committed after the replica's mark; how many. On a replica that fell
    behind retention, bootstrap it instead. The caller holds the process lock."""
    conn = backend.store.conn
    last = mark_of(conn)
    changes = pg.execute("SELECT change_no, kind, first_seq, last_seq, op, at FROM changes "
                         "WHERE change_no > %s ORDER BY change_no", (last,)).fetchall()
    if not changes:
        return 0
    try:
        if [int(c[0]) for c in changes] != list(range(last + 1, last + 1 + len(changes))):
            raise Outdated()  # a change it needs was pruned (prune_changes): it cannot be replayed past
        _apply(backend, pg, changes)
    except Outdated:
        bootstrap(backend, pg)
    except Exception as exc:  # a change that does not replay here: the replica is made again from PostgreSQL
        import psycopg

        if isinstance(exc, psycopg.OperationalError):  # the database is away: nothing to make it from
            raise
        log.warning("hub replica catch-up failed (%s); making the replica again", type(exc).__name__)
        bootstrap(backend, pg)
    return len(changes)


def _apply(backend: Any, pg: Any, changes: list[tuple[Any, ...]]) -> None:
    conn = backend.store.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        run: list[int] = []  # consecutive runs of events are replayed as one (4 queries, not 4 each)
        for _, kind, first, last, op, at in changes:
            if kind == "events" and run and int(first) == run[1] + 1:
                run[1] = int(last)
                continue
            if run:
                _replay_events(backend, pg, run[0], run[1])
                run = []
            if kind == "events":
                run = [int(first), int(last)]
            else:
                op = op if isinstance(op, dict) else json.loads(op)
                with clock.pinned(at):
                    OPS[op["name"]](conn, op["args"])
        if run:
            _replay_events(backend, pg, run[0], run[1])
        conn.execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                     (PG_CHANGE, str(changes[-1][0])))
        conn.execute("DELETE FROM temp.imi_capture")  # replayed, not made here: nothing to send back
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _replay_events(backend: Any, pg: Any, first: int, last: int) -> None:
    conn, sealer, hub = backend.store.conn, backend.sealer, backend.hub
    rows = pg.execute("SELECT seq, id, type, at, received_at, body FROM events WHERE seq BETWEEN %s AND %s "
                      "ORDER BY seq", (first, last)).fetchall()
    if len(rows) != last - first + 1:
        raise Outdated()
    audience: dict[int, list[str]] = {}
    for who, seq in pg.execute("SELECT authority, seq FROM event_audience WHERE seq BETWEEN %s AND %s "
                               "ORDER BY authority COLLATE \"C\"", (first, last)):
        audience.setdefault(seq, []).append(who)
    held: dict[str, list[str]] = {}
    for event_id, digest, blob in pg.execute(
            "SELECT d.event_id, d.digest, d.disclosure FROM disclosures d JOIN events e ON e.id = d.event_id "
            "WHERE e.seq BETWEEN %s AND %s AND d.disclosure IS NOT NULL ORDER BY d.digest COLLATE \"C\"",
            (first, last)):
        held.setdefault(event_id, []).append(sealer.open(blob, disclosure_aad(event_id, digest)).decode())
    for seq, event_id, _, _, received_at, blob in rows:
        event = json.loads(sealer.open(blob, event_aad(event_id)))
        disclosed = held.get(event_id, [])
        revealed = redaction.revealed(redaction.wire(event, disclosed))
        with clock.pinned(received_at):
            hub._insert(conn, event, audience.get(seq, []), (disclosed, revealed), at=received_at, seq=seq)
    conn.executemany("INSERT OR REPLACE INTO receipts(event_id, receipt, body_sha256) VALUES (?, ?, ?)",
                     pg.execute("SELECT event_id, receipt, body_sha256 FROM receipts WHERE seq BETWEEN %s AND %s",
                                (first, last)).fetchall())


def bootstrap(backend: Any, pg: Any) -> int:
    """Fill the replica from PostgreSQL's base tables (one snapshot) and fold its projections
    again; returns how many events it holds. The caller holds the process lock."""
    from imi_cli.log.projections import rebuild

    sealer, conn = backend.sealer, backend.store.conn
    from psycopg import IsolationLevel

    reader = _snapshot_connection(backend)
    try:
        reader.isolation_level = IsolationLevel.REPEATABLE_READ
        with reader.transaction():
            last_seq, last_change, retained = reader.execute(
                "SELECT last_seq, last_change, retained_from FROM hub_head").fetchone()
            conn.execute("BEGIN IMMEDIATE")
            try:
                for table in BASE_TABLES:
                    conn.execute(f"DELETE FROM {table}")
                events = 0
                with reader.cursor(name="imi_bootstrap_events") as cur:
                    cur.execute("SELECT seq, id, type, at, received_at, body FROM events ORDER BY seq")
                    while batch := cur.fetchmany(2000):
                        out, log = [], []
                        for seq, event_id, type_, at, received_at, blob in batch:
                            text = sealer.open(blob, event_aad(event_id)).decode()
                            body = json.loads(text)
                            entity = body.get("subject", {}).get("entity")
                            out.append((seq, event_id, type_, at, text, received_at, seq, entity or ""))
                            if entity:
                                log.append((entity, seq, body["signature"]["by"]))
                        conn.executemany("INSERT INTO events(seq, id, type, at, body, status, received_at, hub_seq, "
                                         "entity) VALUES (?,?,?,?,?, 'accepted', ?, ?, ?)", out)
                        conn.executemany("INSERT OR IGNORE INTO entity_log(entity, seq, author) VALUES (?,?,?)", log)
                        events += len(out)
                conn.executemany("INSERT INTO event_audience(authority, seq) VALUES (?, ?)",
                                 reader.execute("SELECT authority, seq FROM event_audience").fetchall())
                conn.executemany("INSERT INTO receipts(event_id, receipt, body_sha256) VALUES (?, ?, ?)",
                                 reader.execute("SELECT event_id, receipt, body_sha256 FROM receipts").fetchall())
                conn.executemany(
                    "INSERT INTO disclosures(event_id, digest, entity, disclosure, erased_at, blocked_at) "
                    "VALUES (?,?,?,?,?,?)",
                    [(e, d, ent, None if blob is None else
                      sealer.open(blob, disclosure_aad(e, d)).decode(), er, bl)
                     for e, d, ent, blob, er, bl in reader.execute(
                        "SELECT event_id, digest, entity, disclosure, erased_at, blocked_at FROM disclosures")])
                conn.executemany("INSERT INTO entity_versions(entity, version) VALUES (?, ?)",
                                 reader.execute("SELECT entity, version FROM entity_versions").fetchall())
                conn.executemany("INSERT INTO privacy_marks(entity, closed_at, blocked_at, erased_at) VALUES (?,?,?,?)",
                                 reader.execute("SELECT entity, closed_at, blocked_at, erased_at "
                                                "FROM privacy_marks").fetchall())
                conn.execute("DELETE FROM meta WHERE key = 'retained_from'")
                if retained:
                    conn.execute("INSERT INTO meta(key, value) VALUES ('retained_from', ?)", (str(retained),))
                conn.execute("INSERT INTO meta(key, value) VALUES (?, ?) "
                             "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (PG_CHANGE, str(last_change)))
                conn.execute("DELETE FROM temp.imi_capture")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
    finally:
        reader.close()
    rebuild(backend.store)
    conn.execute("DELETE FROM temp.imi_capture")
    return events


def _snapshot_connection(backend: Any) -> Any:
    from imi_cli.hub.pg.connect import connect

    return connect(backend.url)
