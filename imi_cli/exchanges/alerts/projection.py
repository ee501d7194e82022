"""Folding alert events into the ``alerts`` table (nodes and hub alike).

A store holds what its authority was sent: an incoming-alert coordinator's store holds the
alert with its personal answers withheld (markers in their place, never the values); a
handling authority's store gets the whole alert when it is forwarded to it
(``alert.delivered``, which the hub makes).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from imi_cli.exchanges.alerts.kinds import DAYS_TO_ERASE, is_pq
from imi_cli.log.redaction import forgets

COLUMNS = ("id", "kind", "state", "area", "sender", "profession", "created_at", "sent_at", "decision_date",
           "late_days", "under_appeal", "closed_at", "ended_on", "erase_after", "last_activity", "record")
NEXT_STATE = {"alert.sent": "sent", "alert.withdrawn": "withdrawn", "alert.closed": "closed"}


def load(conn: Any, alert_id: str) -> dict[str, Any] | None:
    row = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM alerts WHERE id = ?", (alert_id,)).fetchone()
    if row is None:
        return None
    data = dict(zip(COLUMNS, row, strict=True))
    record = json.loads(data.pop("record"))
    return {**record, **data, "record": record}


def _save(conn: Any, a: dict[str, Any]) -> None:
    values = [a.get(c) for c in COLUMNS[:-1]] + [json.dumps(a["record"], ensure_ascii=False, sort_keys=True)]
    conn.execute(f"INSERT OR REPLACE INTO alerts({', '.join(COLUMNS)}) VALUES ({','.join('?' * len(COLUMNS))})",
                 values)


def alert_id(event: dict[str, Any]) -> str:
    return str(event["subject"]["entity"]).split("/", 1)[1]


def late_days(decision_date: Any, at: str) -> int | None:
    """Days between the decision and the sending beyond the 3 the law gives (None: in time)."""
    from imi_cli.exchanges.alerts.kinds import DAYS_TO_SEND

    try:
        days = (dt.date.fromisoformat(at[:10]) - dt.date.fromisoformat(str(decision_date))).days
    except ValueError:
        return None
    return days - DAYS_TO_SEND if days > DAYS_TO_SEND else None


def _from_content(event: dict[str, Any], content: dict[str, Any], state: str) -> dict[str, Any]:
    answers: dict[str, Any] = content["answers"] if isinstance(content.get("answers"), dict) else {}
    record = {"content": content, "routing": {"coordinators": [], "direct": []}, "handlers": [], "delivered": [],
              "forwards": [], "acks": {}, "history": []}
    return {"id": alert_id(event), "kind": content["kind"], "state": state, "area": content["area"],
            "sender": content["sender"], "profession": content.get("profession"), "created_at": event["at"],
            "decision_date": answers.get("decision_date") if isinstance(answers.get("decision_date"), str) else None,
            "under_appeal": 1 if content.get("under_appeal") else 0, "last_activity": event["at"], "record": record}


def apply_alert(conn: Any, event: dict[str, Any]) -> None:
    type_, p = event["type"], event["payload"]
    current = load(conn, alert_id(event))
    if type_ == "alert.drafted":
        alert = _from_content(event, p["alert"], "draft")
    elif type_ == "alert.delivered":
        alert = _delivered(conn, event, current)
    elif type_ == "alert.sent" and current is None:  # a recipient's store starts here
        alert = _from_content(event, p["alert"], "sent")
        _step(alert, event)
    elif current is None:
        return  # a step of an alert this store was never given (the hub delivers it whole)
    else:
        alert = {k: v for k, v in current.items() if k in COLUMNS}
        _step(alert, event)
    record = alert["record"]
    record["history"].append({"at": event["at"], "type": type_, "authority": event["actor"].get("authority"),
                              "user": event["actor"].get("user")})
    del record["history"][:-200]
    alert["last_activity"] = event["at"]
    _save(conn, alert)


def _step(alert: dict[str, Any], event: dict[str, Any]) -> None:
    type_, p, record = event["type"], event["payload"], alert["record"]
    alert["state"] = NEXT_STATE.get(type_, alert["state"])
    if type_ == "alert.sent":
        record["content"] = p["alert"]
        record["routing"] = p["routing"]
        if p.get("late_reason"):
            record["late_reason"] = p["late_reason"]
        alert["sent_at"] = event["at"]
        alert["late_days"] = late_days(alert["decision_date"], event["at"]) if is_pq(alert["kind"]) else None
    elif type_ == "alert.forwarded":
        actor = event["actor"].get("authority")
        record["forwards"].append({"by": actor, "to": p["to"], "at": event["at"]})
        record["handlers"] = sorted(set(record["handlers"]) | set(p["to"]))
    elif type_ == "alert.acknowledged":
        record["acks"][str(event["actor"].get("authority"))] = event["at"]
    elif type_ == "alert.modified":
        content = record["content"]
        content["answers"] = {**(content.get("answers") or {}), **p.get("answers", {})}
        for key in ("under_appeal", "informed_on"):
            if key in p:
                content[key] = p[key]
        alert["under_appeal"] = 1 if content.get("under_appeal") else 0
        answers = content["answers"]
        if isinstance(answers.get("decision_date"), str):
            alert["decision_date"] = answers["decision_date"]
        record.setdefault("modifications", []).append({"at": event["at"], "fields": sorted(
            [*p.get("answers", {})] + [k for k in ("under_appeal", "informed_on") if k in p])})
    elif type_ == "alert.withdrawn":
        record["withdraw_reason"] = p.get("reason")
        alert["closed_at"] = event["at"]
        alert["erase_after"] = event["at"][:10]  # sent in error: its personal data goes at once
    elif type_ == "alert.closed":
        alert["closed_at"] = event["at"]
        alert["ended_on"] = p["ended_on"]
        if is_pq(alert["kind"]):
            ended = dt.date.fromisoformat(p["ended_on"])
            alert["erase_after"] = (ended + dt.timedelta(days=DAYS_TO_ERASE)).isoformat()


def _delivered(conn: Any, event: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    """The hub gave the alert whole to the authorities it was forwarded to. The hub's own
    store (and a store that had it) records the delivery; a new reader's store starts here."""
    p = event["payload"]
    if current is not None:
        alert = {k: v for k, v in current.items() if k in COLUMNS}
        alert["record"]["delivered"] = sorted(set(alert["record"]["delivered"]) | set(p["to"]))
        alert["record"]["content"] = p["alert"]  # a coordinator that took it itself now reads it whole
        return alert
    alert = _from_content(event, p["alert"], p["state"])
    record = alert["record"]
    record.update({"routing": p["routing"], "handlers": p["handlers"], "delivered": p["to"]})
    if p.get("late_reason"):
        record["late_reason"] = p["late_reason"]
    alert["sent_at"] = p["sent_at"]
    alert["late_days"] = late_days(alert["decision_date"], p["sent_at"]) if is_pq(alert["kind"]) else None
    return alert


@forgets("alert/")
def _forget(conn: Any, entity: str) -> None:
    conn.execute("DELETE FROM alerts WHERE id = ?", (entity.split("/", 1)[1],))
