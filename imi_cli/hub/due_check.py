"""What a pull checks before it reads: the work that fell due by the hub's clock since the last
check, so that a node that pulls sees a reminder (or an erasure) as soon as it is due, without
waiting for the timer (``housekeeping``, which does all of it every minute anyway).

A check remembers what it covered (``Checked``: the log up to a sequence number, the clock up
to an instant). The next one does only what can have changed since:

- nothing moved (the same newest event, the same minute): nothing; the check is one index
  probe, and an empty pull is the events query;
- events arrived: the reminders of the requests they are about (a new deadline, a new
  activity); an alert's erasure if alerts changed, the Commission's reminder if notifications
  did;
- the clock's minute moved: the reminders of the requests whose deadline or last activity
  crossed a threshold in between (by the indexes on those dates), alert erasure, the
  notification reminder and the data-protection clock.

The first check (and one after the clock went back) does everything.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from imi_cli.log import clock

MAX_TOUCHED = 2000  # more new events than this since the last check: read all open requests instead


@dataclass(frozen=True)
class Checked:
    seq: int          # the newest event's number when the check ended
    at: dt.datetime   # the clock's time it covered


def newest_seq(conn: Any) -> int:
    return conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]


def run(hub: Any) -> None:
    """Make what fell due since the last check (everything at the first)."""
    from imi_cli.exchanges.requests.reminders import issue
    from imi_cli.hub import privacy_jobs
    from imi_cli.hub.alert_jobs import erase_due
    from imi_cli.hub.notification_jobs import remind

    last_check: Checked | None = hub.checked
    if last_check is not None and clock.iso(clock.now())[:16] == clock.iso(last_check.at)[:16] and \
            hub.backend.read_query("SELECT coalesce(max(seq), 0) FROM events")[0][0] == last_check.seq:
        return  # nothing moved, seen without the writer scope (which, on PostgreSQL, is the cluster's)
    with hub.lock:  # no push comes in between: the events it sequences are seen by the next check
        now = clock.now()
        seq = newest_seq(hub.store.conn)
        last: Checked | None = hub.checked
        minute_moved = last is None or clock.iso(now)[:16] != clock.iso(last.at)[:16]
        if last is not None and seq == last.seq and not minute_moved:
            return
        covered = now if minute_moved or last is None else last.at
        if last is None or now < last.at or seq < last.seq or seq - last.seq > MAX_TOUCHED:
            covered = now
            issue(hub)
            erase_due(hub)
            remind(hub)
            privacy_jobs.run(hub)
        else:
            touched = _touched(hub.store.conn, last.seq) if seq != last.seq else set()
            requests = sorted(e.split("/", 1)[1] for e in touched if e.startswith("request/"))
            if requests or minute_moved:
                issue(hub, since=last.at if minute_moved else None, ids=requests)
            if minute_moved or any(e.startswith("alert/") for e in touched):
                erase_due(hub)
            if minute_moved or any(e.startswith("notification/") for e in touched):
                remind(hub)
            if minute_moved:
                privacy_jobs.run(hub)
        # after the jobs: the events they made themselves are covered. Within the minute the
        # clock's window is left open, so that the next minute's check reads all of it.
        hub.checked = Checked(newest_seq(hub.store.conn), covered)


def _touched(conn: Any, after: int) -> set[str]:
    """The entities of the events sequenced after ``after``."""
    # by the sequence (no DISTINCT: it would read the whole index on the entity instead)
    return {entity for (entity,) in conn.execute(
        "SELECT entity FROM events WHERE seq > ?", (after,))
        if isinstance(entity, str)}
