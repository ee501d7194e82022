"""What the hub does for alerts by itself: it delivers an alert whole to the authorities an
incoming-alert coordinator forwarded it to (the coordinator never held the personal data it
would need to pass on), and erases a closed PQ alert's personal data 3 days after the
restriction ended, on the hub and, through the erasure event, on every node.

Both survive any one alert: one that cannot be processed is skipped and logged by id with the
exception's type, never its content, and the others are done."""

from __future__ import annotations

from typing import Any

from imi_cli.exchanges.alerts.projection import load
from imi_cli.hub.disclosures import erase_entity
from imi_cli.hub.own_events import OPERATOR, make_each, skip
from imi_cli.log import clock
from imi_cli.log.disclosures import MARKERS
from imi_cli.log.event import make_event


def deliver(hub: Any, skipped: list[dict[str, Any]] | None = None) -> int:
    """Deliver every forwarded alert not yet delivered; returns how many deliveries were made."""
    with hub.lock:
        pending = [i for (i,) in hub.store.conn.execute(
            "SELECT id FROM alerts WHERE json_array_length(record, '$.handlers') "
            "> json_array_length(record, '$.delivered')")]
    return make_each(hub, pending, _delivery, "alert delivery", "alert", skipped)


def _delivery(conn: Any, alert_id: str) -> dict[str, Any] | None:
    alert = load(conn, alert_id)
    if alert is None:
        return None
    record = alert["record"]
    to = sorted(set(record["handlers"]) - set(record["delivered"]))
    content = record["content"]
    if not to or any(m in (content.get("answers") or {}) for m in MARKERS):
        return None  # nothing to deliver, or nothing whole left to deliver (erased)
    payload = {"to": to, "alert": content, "routing": record["routing"], "handlers": record["handlers"],
               "state": alert["state"], "sent_at": alert["sent_at"]}
    if record.get("late_reason"):
        payload["late_reason"] = record["late_reason"]
    return make_event("alert.delivered", actor=OPERATOR, payload=payload, subject={"entity": f"alert/{alert_id}"})


def erase_due(hub: Any, skipped: list[dict[str, Any]] | None = None) -> int:
    """Erase the personal data of alerts whose erasure date has come (a closed PQ alert 3 days
    after its restriction ended; a withdrawn one at once), by the hub's clock."""
    today = clock.now().date().isoformat()
    with hub.lock:
        due = [i for (i,) in hub.store.conn.execute(
            "SELECT a.id FROM alerts a WHERE a.erase_after IS NOT NULL AND a.erase_after <= ? AND EXISTS ("
            "SELECT 1 FROM disclosures d WHERE d.entity = 'alert/' || a.id AND d.disclosure IS NOT NULL)",
            (today,))]
    erased = 0
    for alert_id in due:
        try:
            erased += bool(erase_entity(hub, f"alert/{alert_id}"))
        except Exception as exc:
            skip(skipped, "alert erasure", f"alert/{alert_id}", exc)
    return erased
