"""Projections: the tables commands query, built from the event log.

``apply`` folds one event into the tables with the projector its type declares
(``imi_cli.protocol.registry``); ``rebuild`` empties them and replays the whole log,
which must give an identical result.
"""

from __future__ import annotations

from typing import Any

from imi_cli.log.schema import PROJECTION_TABLES


def apply(conn: Any, event: dict[str, Any]) -> None:
    from imi_cli.protocol import registry

    event_type = registry.get(event["type"])
    if event_type is not None and event_type.project is not None:
        event_type.project(conn, event)


def apply_all(conn: Any, events: list[dict[str, Any]]) -> None:
    """Apply events in order; a run of events whose type projects many at once (a bulk import's
    new authorities) is written in a few statements, with the very rows ``apply`` would write."""
    from imi_cli.protocol import registry

    run: list[dict[str, Any]] = []
    for event in events:
        if run and event["type"] != run[0]["type"]:
            _flush(conn, run)
            run = []
        event_type = registry.get(event["type"])
        if event_type is not None and event_type.project_many is not None:
            run.append(event)
            continue
        _flush(conn, run)
        run = []
        apply(conn, event)
    _flush(conn, run)


def _flush(conn: Any, run: list[dict[str, Any]]) -> None:
    from imi_cli.protocol import registry

    if run:
        event_type = registry.get(run[0]["type"])
        assert event_type is not None and event_type.project_many is not None
        event_type.project_many(conn, run)


def rebuild(store: Any, skipped: list[dict[str, Any]] | None = None) -> int:
    """Empty the projections and replay the log; returns how many events were applied. An
    event another store wrote that fails the checks of a received event, or whose projection
    fails, is skipped and recorded (``imi_cli.log.quarantine``), and added to ``skipped``."""
    from imi_cli.log import quarantine, redaction

    with store.transaction() as conn, redaction.rebuilding():
        for table in PROJECTION_TABLES:
            conn.execute(f"DELETE FROM {table}")
        quarantine.forget(conn, quarantine.REBUILD)
        conn.execute("DELETE FROM meta WHERE key = 'privacy_due_state'")  # privacy/due_dates.py: filled again
        foreign = {i for (i,) in conn.execute("SELECT id FROM events WHERE status = 'remote'")}
        count = 0
        # revealed from the disclosures held: what was erased or withheld stays so
        for event in list(redaction.revealed_log(conn)):
            reason = _replayed(conn, event, event["id"] in foreign)
            if reason is None:
                count += 1
                continue
            hub_seq = conn.execute("SELECT hub_seq FROM events WHERE id = ?", (event["id"],)).fetchone()[0]
            entry = quarantine.record(conn, event, hub_seq, reason, quarantine.REBUILD)
            if skipped is not None:
                skipped.append(entry)
    return count


def _replayed(conn: Any, event: dict[str, Any], foreign: bool) -> str | None:
    """Apply one event of the log; the reason it was skipped, or None."""
    from imi_cli.protocol import received

    reason = (received.envelope_problem(event) or received.payload_problem(event)) if foreign else None
    if reason is not None:
        return reason
    conn.execute("SAVEPOINT replayed_event")
    try:
        apply(conn, event)
    except Exception as exc:
        conn.execute("ROLLBACK TO replayed_event")
        reason = f"projection_failed: it could not be applied ({type(exc).__name__})"
    conn.execute("RELEASE replayed_event")
    return reason
