"""Reminders the hub makes by itself, so they fire while nodes are offline and arrive with
sync: a deadline near (3 days), a deadline passed, and escalation to the coordinators after
a month without activity. Each fires once per deadline (or per quiet spell)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from imi_cli.exchanges.requests.lifecycle import OPEN_STATES
from imi_cli.exchanges.requests.projection import load
from imi_cli.log import clock
from imi_cli.log.event import make_event

NEAR_DAYS = 3
INACTIVE_DAYS = 30


def due(conn: Any, now: dt.datetime) -> list[tuple[str, str, str]]:
    """(request id, kind, key) of every reminder that should exist by ``now``."""
    today = now.date()
    near = (today + dt.timedelta(days=NEAR_DAYS)).isoformat()
    quiet = clock.iso(now - dt.timedelta(days=INACTIVE_DAYS))
    marks = ",".join("?" * len(OPEN_STATES))
    rows = conn.execute(f"SELECT id, deadline, last_activity FROM requests WHERE state IN ({marks}) "
                        f"AND ((deadline IS NOT NULL AND deadline <= ?) OR last_activity <= ?)",
                        (*OPEN_STATES, near, quiet)).fetchall()
    out = []
    for rid, deadline, last in rows:
        if deadline and deadline < today.isoformat():
            out.append((rid, "deadline_passed", deadline))
        elif deadline and deadline <= near:
            out.append((rid, "deadline_near", deadline))
        if last <= quiet:
            out.append((rid, "inactive", last[:10]))
    return out


def issue(hub: Any) -> int:
    """Make the reminders that are due and not yet made; returns how many."""
    with hub.lock:
        conn = hub.store.conn
        fresh = [(rid, kind, key) for rid, kind, key in due(conn, clock.now())
                 if not _made(load(conn, rid), kind, key)]
    events = [make_event("request.reminder", actor={"user": "operator", "authority": None},
                         payload={"kind": kind, "key": key}, subject={"entity": f"request/{rid}"})
              for rid, kind, key in fresh]
    if events:
        hub.append_own(events)
    return len(events)


def _made(request: dict[str, Any] | None, kind: str, key: str) -> bool:
    return any(r["kind"] == kind and r.get("key") == key for r in (request or {}).get("reminders", []))
