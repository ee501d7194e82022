"""Reminders the hub makes by itself, so they fire while nodes are offline and arrive with
sync: a deadline near (3 days), a deadline passed, and escalation to the coordinators after
a month without activity. Each fires once per deadline (or per quiet spell)."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from imi_cli.exchanges.requests.lifecycle import OPEN_STATES
from imi_cli.log import clock
from imi_cli.log.event import make_event

NEAR_DAYS = 3
INACTIVE_DAYS = 30
log = logging.getLogger("imi.hub.housekeeping")


def due(conn: Any, now: dt.datetime, skipped: list[dict[str, Any]] | None = None, *,
        since: dt.datetime | None = None, ids: list[str] | None = None) -> list[tuple[str, str, str]]:
    """(request id, kind, key) of every reminder that should exist by ``now`` and was not made yet.
    A request whose dates or reminders are not what they should be is skipped (and added to
    ``skipped``).

    Given ``since`` or ``ids``, only the requests that could have fallen due in between are
    read: those whose deadline or last activity crossed a threshold after ``since`` (the clock
    moved from ``since`` to ``now``), and those in ``ids`` (events about them arrived). A check
    that covered everything at ``since`` and this one cover everything at ``now``."""
    today = now.date()
    near = (today + dt.timedelta(days=NEAR_DAYS)).isoformat()
    quiet = clock.iso(now - dt.timedelta(days=INACTIVE_DAYS))
    marks = ",".join("?" * len(OPEN_STATES))
    # the reminders made so far are a column of their own: no request's record is read
    columns = "SELECT id, deadline, last_activity, reminders FROM requests"
    if since is None and ids is None:
        rows = conn.execute(f"{columns} WHERE state IN ({marks}) "
                            f"AND ((deadline IS NOT NULL AND deadline <= ?) OR last_activity <= ?)",
                            (*OPEN_STATES, near, quiet)).fetchall()
    else:  # one query per index; what is not due yet is left out below (_due_one)
        queries: list[tuple[str, tuple[Any, ...]]] = []
        if since is not None:  # each threshold crossed in (since, now]
            then = since.date()
            # "+state": by the index on last_activity, not by the one on (state, deadline)
            queries.append((f"{columns} WHERE last_activity > ? AND last_activity <= ? AND +state IN ({marks})",
                            (clock.iso(since - dt.timedelta(days=INACTIVE_DAYS)), quiet, *OPEN_STATES)))
            if then != today:
                near_then = (then + dt.timedelta(days=NEAR_DAYS)).isoformat()
                queries += [(f"{columns} WHERE state IN ({marks}) AND deadline > ? AND deadline <= ?",
                             (*OPEN_STATES, near_then, near)),
                            (f"{columns} WHERE state IN ({marks}) AND deadline >= ? AND deadline < ?",
                             (*OPEN_STATES, then.isoformat(), today.isoformat()))]
        for start in range(0, len(ids or ()), 500):
            chunk = (ids or [])[start:start + 500]
            queries.append((f"{columns} WHERE id IN ({','.join('?' * len(chunk))}) AND state IN ({marks})",
                            (*chunk, *OPEN_STATES)))
        found: dict[str, Any] = {}
        for sql, params in queries:
            found.update((row[0], row) for row in conn.execute(sql, params))
        rows = list(found.values())
    out = []
    for rid, deadline, last, made in rows:
        try:
            made_ = json.loads(made) if made else []
            out += [due for due in _due_one(rid, deadline, last, today.isoformat(), near, quiet)
                    if not _made(made_, due[1], due[2])]
        except Exception as exc:
            _skip(skipped, rid, exc)
    return out


def _due_one(rid: str, deadline: Any, last: Any, today: str, near: str, quiet: str) -> list[tuple[str, str, str]]:
    out = []
    if deadline and deadline < today:
        out.append((rid, "deadline_passed", deadline))
    elif deadline and deadline <= near:
        out.append((rid, "deadline_near", deadline))
    if last <= quiet:
        out.append((rid, "inactive", last[:10]))
    return out


def issue(hub: Any, skipped: list[dict[str, Any]] | None = None, *,
          since: dt.datetime | None = None, ids: list[str] | None = None) -> int:
    """Make the reminders that are due and not yet made; returns how many. A request whose
    reminder cannot be made is skipped (added to ``skipped``, logged by id): the others are made.
    ``since`` and ``ids``: only the requests that could have fallen due (``due``). The hub's
    lock is held from reading what is due to making it: two checks never make one twice."""
    with hub.lock:
        fresh = due(hub.store.conn, clock.now(), skipped, since=since, ids=ids)
        events = [make_event("request.reminder", actor={"user": "operator", "authority": None},
                             payload={"kind": kind, "key": key}, subject={"entity": f"request/{rid}"})
                  for rid, kind, key in fresh]
        try:
            made = len(hub.append_own(events)) if events else 0
        except Exception:  # one of them is refused: make the others one by one
            made = sum(_append_one(hub, event, skipped) for event in events)
    return made


def _append_one(hub: Any, event: dict[str, Any], skipped: list[dict[str, Any]] | None) -> int:
    try:
        hub.append_own([event])
    except Exception as exc:
        _skip(skipped, event["subject"]["entity"].split("/", 1)[1], exc)
        return 0
    return 1


def _skip(skipped: list[dict[str, Any]] | None, rid: str, exc: BaseException) -> None:
    """The request's id and the exception's type only: its message may quote personal data."""
    log.warning("housekeeping (reminders) skipped request/%s: %s", rid, type(exc).__name__)
    if skipped is not None:
        skipped.append({"job": "reminders", "id": f"request/{rid}", "error": type(exc).__name__})


def _made(reminders: list[dict[str, Any]], kind: str, key: str) -> bool:
    return any(r["kind"] == kind and r.get("key") == key for r in reminders)
