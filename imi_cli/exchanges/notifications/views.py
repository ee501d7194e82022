"""What an authority reads of its notifications: the list and search, the inbox's
notifications, the figures and the export — from this store, which holds only what its
authority was sent."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from imi_cli.exchanges.notifications.kinds import COMMISSION
from imi_cli.i18n import N_, t
from imi_cli.log import clock

STATES = ("draft", "broadcast", "withdrawn", "closed")
# What this authority does next: English in --json, translated where a person reads it (``_(to_do)``)
ACTIONS = {
    # Translators: what to do next with a notification; the command stays as it is
    "broadcast": N_("broadcast it (imi notification broadcast)"),
    # Translators: the notifying authority is told its notification's examination period ends soon
    "examination_ending": N_("the Commission's examination period ends soon"),
    # Translators: what a national coordinator does next with a notification
    "disseminate": N_("disseminate it to the competent authorities of your country"),
    # Translators: what the Commission does next with a notification
    "decide": N_("the examination period ends soon: close it with a decision"),
}
# The same, as the inbox lists it among requests and alerts
INBOX_ACTIONS = {
    # Translators: a line of the inbox: what to do next with a notification; the command stays as it is
    "broadcast": N_("notification: broadcast it (imi notification broadcast)"),
    # Translators: a line of the inbox about a notification
    "examination_ending": N_("notification: the Commission's examination period ends soon"),
    # Translators: a line of the inbox: what to do next with a notification
    "disseminate": N_("notification: disseminate it to the competent authorities of your country"),
    # Translators: a line of the inbox: what to do next with a notification
    "decide": N_("notification: the examination period ends soon: close it with a decision"),
}
# Translators: a notification in the inbox: its examination period ends within 14 days
DUE_SOON = N_("due soon")
LIST_COLUMNS = ("id", "kind", "state", "area", "notifier", "country", "broadcast_at", "deadline", "closed_at",
                "record")


def days_left(deadline: str | None, state: str) -> int | None:
    if not deadline or state != "broadcast":
        return None
    return (dt.date.fromisoformat(deadline) - clock.now().date()).days


def title(n: dict[str, Any], lang: str) -> str:
    """The set's title in the reader's language, and the measure's title when there is one."""
    from imi_cli.questionnaires.catalog import find_set
    from imi_cli.reference.languages import pick

    try:
        qset = find_set(n["kind"], n["record"]["content"]["qversion"])
        name = pick(qset.title, lang, qset.source_language)[0]
    except Exception:  # a set this program does not hold: its id
        name = n["kind"]
    answers = n["record"]["content"].get("answers") or {}
    measure = next((v for k, v in answers.items() if k in ("measure_title", "title", "diploma_title")), None)
    measure = measure.get("text") if isinstance(measure, dict) else measure
    return f"{name}: {measure}" if isinstance(measure, str) else name


def search(conn: Any, me: str, lang: str, *, country: str | None = None, area: str | None = None,
           kind: str | None = None, state: str | None = None, text: str | None = None,
           since: str | None = None, until: str | None = None) -> list[dict[str, Any]]:
    """Notifications this store holds, by country, area, kind, state, words and date of broadcast."""
    from imi_cli.errors import UsageError

    if state is not None and state not in STATES:
        raise UsageError(t("--state {state!r} is not one of {states}", state=state, states=", ".join(STATES)))
    where, params = [], []
    for column, value in (("country", country and country.upper()), ("area", area), ("kind", kind),
                          ("state", state)):
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    for op, value, flag in ((">=", since, "--from"), ("<=", until, "--to")):
        if value:
            try:
                day = dt.date.fromisoformat(value).isoformat()
            except ValueError:
                raise UsageError(t("{flag} {text!r} is not a date as YYYY-MM-DD", flag=flag, text=value)) from None
            where.append(f"substr(coalesce(broadcast_at, created_at), 1, 10) {op} ?")
            params.append(day)
    if text:
        where.append("instr(search_text, ?) > 0")
        params.append(text.lower())
    sql = (f"SELECT {', '.join(LIST_COLUMNS)}, (SELECT count(*) FROM notification_comments c "
           f"WHERE c.notification_id = notifications.id) FROM notifications"
           + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY last_activity DESC, id")
    mine = conn.execute("SELECT country FROM authorities WHERE id = ?", (me,)).fetchone()
    my_country = mine[0] if mine else None
    out = []
    for row in conn.execute(sql, params):
        n = dict(zip(LIST_COLUMNS, row[:-1], strict=True))
        n["comments"] = row[-1]
        n["record"] = json.loads(n["record"])
        out.append({"id": n["id"], "kind": n["kind"], "state": n["state"], "country": n["country"],
                    "area": n["area"], "notifier": n["notifier"], "title": title(n, lang),
                    "broadcast_at": n["broadcast_at"], "deadline": n["deadline"],
                    "days_left": days_left(n["deadline"], n["state"]), "comments": n["comments"],
                    "to_do": next_action(n, me, my_country) or ""})
    return out


def next_step(n: dict[str, Any], me: str, my_country: str | None) -> str | None:
    """What this authority does next (a key of ``ACTIONS``), if anything."""
    record = n["record"]
    reminded = any(r.get("kind") == "examination_ending" for r in record.get("reminders", []))
    if n["notifier"] == me:
        if n["state"] == "draft":
            return "broadcast"
        return "examination_ending" if reminded and n["state"] == "broadcast" else None
    if n["state"] != "broadcast":
        return None
    commission = my_country == COMMISSION
    if me in record.get("recipients", []) and not commission \
            and not any(d.get("by") == me for d in record.get("disseminations", [])):
        return "disseminate"
    if commission and reminded:
        return "decide"
    return None


def next_action(n: dict[str, Any], me: str, my_country: str | None) -> str | None:
    """What this authority does next, in English (``_()`` translates it where a person reads it)."""
    step = next_step(n, me, my_country)
    return None if step is None else ACTIONS[step]


def inbox_items(conn: Any, me: str, lang: str) -> list[dict[str, Any]]:
    items = []
    for n in search(conn, me, lang):
        step = next((k for k, v in ACTIONS.items() if v == n["to_do"]), None)
        if step and n["state"] in ("draft", "broadcast"):
            left = n["days_left"]
            items.append({"id": n["id"], "type": "notification", "action": INBOX_ACTIONS[step],
                          "flag": DUE_SOON if left is not None and left <= 14 else "", "subject": n["title"],
                          "deadline": n["deadline"], "days_left": left, "reminders": []})
    return items


def stats(conn: Any) -> list[dict[str, Any]]:
    """Per kind, notifying country and area: notifications and comments, as this store knows them."""
    groups: dict[tuple[str, str, str], dict[str, Any]] = {}
    for kind, country, area, comments in conn.execute(
            "SELECT kind, country, area, (SELECT count(*) FROM notification_comments c WHERE c.notification_id = n.id) "
            "FROM notifications n WHERE broadcast_at IS NOT NULL"):
        g = groups.setdefault((kind, country or "?", area), {"kind": kind, "country": country or "?", "area": area,
                                                             "notifications": 0, "comments": 0, "closed": 0})
        g["notifications"] += 1
        g["comments"] += comments
    for kind, country, area in conn.execute("SELECT kind, country, area FROM notifications WHERE state = 'closed'"):
        if (kind, country or "?", area) in groups:
            groups[(kind, country or "?", area)]["closed"] += 1
    return [groups[k] for k in sorted(groups)]
