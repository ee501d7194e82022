"""What an authority reads of its notifications: the list and search, the inbox's
notifications, the figures and the export — from this store, which holds only what its
authority was sent."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from imi_cli.exchanges.notifications.kinds import COMMISSION
from imi_cli.log import clock

STATES = ("draft", "broadcast", "withdrawn", "closed")
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
        raise UsageError(f"--state {state!r} is not one of {', '.join(STATES)}")
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
                raise UsageError(f"{flag} {value!r} is not a date as YYYY-MM-DD") from None
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


def next_action(n: dict[str, Any], me: str, my_country: str | None) -> str | None:
    record = n["record"]
    reminded = any(r.get("kind") == "examination_ending" for r in record.get("reminders", []))
    if n["notifier"] == me:
        if n["state"] == "draft":
            return "broadcast it (imi notification broadcast)"
        return "the Commission's examination period ends soon" if reminded and n["state"] == "broadcast" else None
    if n["state"] != "broadcast":
        return None
    commission = my_country == COMMISSION
    if me in record.get("recipients", []) and not commission \
            and not any(d.get("by") == me for d in record.get("disseminations", [])):
        return "disseminate it to the competent authorities of your country"
    if commission and reminded:
        return "the examination period ends soon: close it with a decision"
    return None


def inbox_items(conn: Any, me: str, lang: str) -> list[dict[str, Any]]:
    items = []
    for n in search(conn, me, lang):
        if n["to_do"] and n["state"] in ("draft", "broadcast"):
            left = n["days_left"]
            items.append({"id": n["id"], "type": "notification", "action": f"notification: {n['to_do']}",
                          "flag": "due soon" if left is not None and left <= 14 else "", "subject": n["title"],
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
