"""What the hub does for notifications by itself: it delivers a notification, as it stands
(comments and changes so far), to the authorities a national coordinator disseminated it
to, and reminds the Commission when its examination period is about to end — by the hub's
clock, so the reminder is there however long the nodes stay offline.

One notification that cannot be processed is skipped and logged by id, never stops the rest."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from imi_cli.exchanges.notifications.kinds import kinds
from imi_cli.exchanges.notifications.projection import load
from imi_cli.hub.own_events import OPERATOR, make_each, skip
from imi_cli.log import clock
from imi_cli.log.event import make_event


def deliver(hub: Any, skipped: list[dict[str, Any]] | None = None) -> int:
    with hub.lock:
        pending = [i for (i,) in hub.store.conn.execute(
            "SELECT id FROM notifications WHERE json_array_length(record, '$.disseminated') "
            "> json_array_length(record, '$.delivered')")]
    return make_each(hub, pending, _delivery, "notification delivery", "notification", skipped)


def _delivery(conn: Any, ident: str) -> dict[str, Any] | None:
    n = load(conn, ident)
    if n is None:
        return None
    record = n["record"]
    to = sorted(set(record["disseminated"]) - set(record["delivered"]))
    if not to:
        return None
    payload = {"to": to, "notification": record["content"], "state": n["state"], "broadcast_at": n["broadcast_at"],
               "recipients": record["recipients"], "disseminated": record["disseminated"],
               "comments": record["comments"], "modifications": record["modifications"]}
    if n.get("deadline"):
        payload["deadline"] = n["deadline"]
    if record.get("decision"):
        payload["decision"] = record["decision"]
    return make_event("notification.delivered", actor=OPERATOR, payload=payload,
                      subject={"entity": f"notification/{ident}"})


def remind(hub: Any, skipped: list[dict[str, Any]] | None = None) -> int:
    """A reminder to the Commission ``reminder_days_before`` the examination deadline, once.
    The hub's lock is held from reading what is due to making it: two checks (two hub
    processes) never make one twice."""
    today = clock.now().date()
    with hub.lock:
        rows = hub.store.conn.execute("SELECT id, kind, deadline, record FROM notifications "
                                      "WHERE state = 'broadcast' AND deadline IS NOT NULL").fetchall()
        if not rows:  # a pull runs this: the catalogs are read only when a deadline can be near
            return 0
        declared = kinds()
        made = 0
        for ident, kind_id, deadline, record_text in rows:
            try:
                kind = declared.get(kind_id)
                days = kind.reminder_days_before if kind else None
                if days is None or today < dt.date.fromisoformat(deadline) - dt.timedelta(days=days):
                    continue
                if any(r.get("key") == deadline for r in json.loads(record_text).get("reminders", [])):
                    continue
                hub.append_own([make_event("notification.reminder", actor=OPERATOR,
                                           payload={"kind": "examination_ending", "key": deadline},
                                           subject={"entity": f"notification/{ident}"})])
                made += 1
            except Exception as exc:
                skip(skipped, "notification reminders", f"notification/{ident}", exc)
    return made
