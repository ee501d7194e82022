"""What an authority reads of its alerts: the list, the inbox's alerts, the figures and the
export. Each reads only this store, which holds only what its authority was sent."""

from __future__ import annotations

import json
from typing import Any

from imi_cli.i18n import N_, t
from imi_cli.log import clock

LIST_COLUMNS = ("id", "kind", "state", "area", "sender", "profession", "sent_at", "late_days", "under_appeal",
                "closed_at", "record")
STATES = ("draft", "sent", "withdrawn", "closed")
# What this authority does next: English in --json, translated where a person reads it (``_(to_do)``)
ACTIONS = {
    # Translators: what to do next with an alert; the command stays as it is
    "send": N_("send it (imi alert send)"),
    "forward": N_("forward it to the competent authorities"),
    "acknowledge": N_("read and acknowledge it"),
}
# The same, as the inbox lists it among requests and notifications
INBOX_ACTIONS = {
    # Translators: a line of the inbox: what to do next with an alert; the command stays as it is
    "send": N_("alert: send it (imi alert send)"),
    # Translators: a line of the inbox: what to do next with an alert
    "forward": N_("alert: forward it to the competent authorities"),
    # Translators: a line of the inbox: what to do next with an alert
    "acknowledge": N_("alert: read and acknowledge it"),
}
# Why an alert in the inbox stands out (translated where shown: ``_(flag)``)
FLAGS = {
    # Translators: an alert in the inbox: its decision is under appeal
    "under_appeal": N_("under appeal"),
    # Translators: an alert in the inbox: it was sent later than the 3 days the law gives
    "late": N_("late"),
}


def _rows(conn: Any, where: str = "", params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    sql = f"SELECT {', '.join(LIST_COLUMNS)} FROM alerts {where} ORDER BY last_activity DESC, id"
    out = []
    for row in conn.execute(sql, params):
        item = dict(zip(LIST_COLUMNS, row, strict=True))
        item["record"] = json.loads(item["record"])
        out.append(item)
    return out


def my_part(alert: dict[str, Any], me: str) -> str:
    """How this authority takes part: sender, coordinator (routes it), handler, or recipient."""
    record = alert["record"]
    if alert["sender"] == me:
        return "sender"
    if me in record.get("handlers", []):
        return "handler"
    if me in record.get("routing", {}).get("coordinators", []):
        return "coordinator"
    if me in record.get("routing", {}).get("direct", []):
        return "recipient"
    return "coordinating"


def next_step(alert: dict[str, Any], me: str) -> str | None:
    """What this authority does next (a key of ``ACTIONS``), if anything."""
    record, part = alert["record"], my_part(alert, me)
    if part == "sender":
        return "send" if alert["state"] == "draft" else None
    if alert["state"] != "sent":
        return None
    if part == "coordinator" and not any(f.get("by") == me for f in record.get("forwards", [])):
        return "forward"
    if part in ("handler", "recipient") and me not in record.get("acks", {}):
        return "acknowledge"
    return None


def next_action(alert: dict[str, Any], me: str) -> str | None:
    """What this authority does next, in English (``_()`` translates it where a person reads it)."""
    step = next_step(alert, me)
    return None if step is None else ACTIONS[step]


def summary(alert: dict[str, Any], lang: str) -> str:
    """One line: kind and profession (in the reader's language) or service activity."""
    from imi_cli.reference.professions import shown

    subject = alert["kind"]
    if alert.get("profession"):
        return f"{subject}: {shown(alert['profession'], lang)}"
    activity = ((alert["record"].get("content") or {}).get("answers") or {}).get("service_activity")
    activity = activity.get("text") if isinstance(activity, dict) else activity
    return f"{subject}: {activity}" if isinstance(activity, str) else subject


def list_alerts(conn: Any, me: str, lang: str, *, state: str | None = None,
                direction: str | None = None) -> list[dict[str, Any]]:
    from imi_cli.errors import UsageError

    if state is not None and state not in STATES:
        raise UsageError(t("--state {state!r} is not one of {states}", state=state, states=", ".join(STATES)))
    if direction is not None and direction not in ("in", "out"):
        raise UsageError(t("--direction {direction!r} is not in or out", direction=direction))
    out = []
    for a in _rows(conn, "WHERE state = ?" if state else "", (state,) if state else ()):
        part = my_part(a, me)
        if direction and (direction == "out") != (part == "sender"):
            continue
        out.append({"id": a["id"], "direction": "out" if part == "sender" else "in", "part": part,
                    "kind": a["kind"], "state": a["state"], "subject": summary(a, lang), "sender": a["sender"],
                    "sent_at": a["sent_at"], "late_days": a["late_days"],
                    "under_appeal": bool(a["under_appeal"]), "to_do": next_action(a, me) or ""})
    return out


def inbox_items(conn: Any, me: str, lang: str) -> list[dict[str, Any]]:
    """The alerts that wait for this authority: to forward, to acknowledge, to send."""
    items = []
    for a in _rows(conn, "WHERE state IN ('draft', 'sent')"):
        step = next_step(a, me)
        if step:
            flag = FLAGS["under_appeal"] if a["under_appeal"] else FLAGS["late"] if a["late_days"] else ""
            items.append({"id": a["id"], "type": "alert", "action": INBOX_ACTIONS[step], "flag": flag,
                          "subject": summary(a, lang), "deadline": None, "days_left": None, "reminders": []})
    return items


def stats(conn: Any) -> list[dict[str, Any]]:
    """Per area and country, as this store knows them: alerts the country sent, alerts it
    received, and the hours from sending to its first forwarding."""
    country_of = dict(conn.execute("SELECT id, country FROM authorities"))
    groups: dict[tuple[str, str], dict[str, Any]] = {}

    def group(area: str, country: str) -> dict[str, Any]:
        return groups.setdefault((area, country), {"area": area, "country": country, "sent": 0, "received": 0,
                                                   "forwarded": 0, "hours": []})

    for a in _rows(conn, "WHERE sent_at IS NOT NULL"):
        record, routing = a["record"], a["record"].get("routing") or {}
        group(a["area"], country_of.get(a["sender"], "?"))["sent"] += 1
        receivers = {country_of.get(i, "?") for i in [*routing.get("coordinators", []), *routing.get("direct", [])]}
        for country in sorted(receivers):
            g = group(a["area"], country)
            g["received"] += 1
            firsts = [f["at"] for f in record.get("forwards", []) if country_of.get(f.get("by")) == country]
            if firsts:
                g["forwarded"] += 1
                g["hours"].append((clock.parse_instant(min(firsts)) - clock.parse_instant(a["sent_at"]))
                                  .total_seconds() / 3600)
    out = []
    for g in (groups[k] for k in sorted(groups)):
        hours = g.pop("hours")
        g["average_hours_to_forward"] = round(sum(hours) / len(hours), 1) if hours else None
        out.append(g)
    return out


def export_rows(conn: Any, me: str, lang: str) -> list[dict[str, Any]]:
    """Every alert this store holds, as the reader may see it (withheld fields stay withheld)."""
    from imi_cli.errors import ImiError
    from imi_cli.exchanges.alerts.render import alert_view

    out = []
    for a in _rows(conn):
        try:
            out.append(alert_view(a, lang, me))
        except (ImiError, KeyError, TypeError, ValueError) as bad:  # one odd alert never stops the export
            out.append({"id": a["id"], "kind": a["kind"], "state": a["state"], "sender": a["sender"],
                        "sent_at": a["sent_at"], "under_appeal": bool(a["under_appeal"]), "fields": [],
                        "problem": f"its fields cannot be shown ({type(bad).__name__})"})
    return out

