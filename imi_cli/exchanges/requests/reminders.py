"""Reminders the hub makes by itself, so they fire while nodes are offline and arrive with
sync: a deadline near (3 days), a deadline passed, and escalation to the coordinators after
a month without activity. Each fires once per deadline (or per quiet spell)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from imi_cli.exchanges.requests.lifecycle import OPEN_STATES
from imi_cli.log import clock
from imi_cli.log.event import make_event

NEAR_DAYS = 3
INACTIVE_DAYS = 30


def due(conn: Any, now: dt.datetime) -> list[tuple[str, str, str]]:
    """(request id, kind, key) of every reminder that should exist by ``now`` and was not made yet."""
    today = now.date()
    near = (today + dt.timedelta(days=NEAR_DAYS)).isoformat()
    quiet = clock.iso(now - dt.timedelta(days=INACTIVE_DAYS))
    marks = ",".join("?" * len(OPEN_STATES))
    # the reminders made so far are a column of their own: no request's record is read
    rows = conn.execute(f"SELECT id, deadline, last_activity, reminders FROM requests WHERE state IN ({marks}) "
                        f"AND ((deadline IS NOT NULL AND deadline <= ?) OR last_activity <= ?)",
                        (*OPEN_STATES, near, quiet)).fetchall()
    out = []
    for rid, deadline, last, made in rows:
        wanted = []
        if deadline and deadline < today.isoformat():
            wanted.append(("deadline_passed", deadline))
        elif deadline and deadline <= near:
            wanted.append(("deadline_near", deadline))
        if last <= quiet:
            wanted.append(("inactive", last[:10]))
        made_ = json.loads(made) if made else []
        out += [(rid, kind, key) for kind, key in wanted if not _made(made_, kind, key)]
    return out


def issue(hub: Any) -> int:
    """Make the reminders that are due and not yet made; returns how many."""
    with hub.lock:
        fresh = due(hub.store.conn, clock.now())
    events = [make_event("request.reminder", actor={"user": "operator", "authority": None},
                         payload={"kind": kind, "key": key}, subject={"entity": f"request/{rid}"})
              for rid, kind, key in fresh]
    if events:
        hub.append_own(events)
    return len(events)


def _made(reminders: list[dict[str, Any]], kind: str, key: str) -> bool:
    return any(r["kind"] == kind and r.get("key") == key for r in reminders)
