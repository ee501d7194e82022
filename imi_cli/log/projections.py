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


def rebuild(store: Any) -> int:
    from imi_cli.log import redaction

    with store.transaction() as conn, redaction.rebuilding():
        for table in PROJECTION_TABLES:
            conn.execute(f"DELETE FROM {table}")
        count = 0
        # revealed from the disclosures held: what was erased or withheld stays so
        for event in list(redaction.revealed_log(conn)):
            apply(conn, event)
            count += 1
    return count


