"""Folding notification events into the ``notifications`` table (nodes and hub alike)."""

from __future__ import annotations

import json
from typing import Any

from imi_cli.exchanges.notifications.kinds import deadline
from imi_cli.log.redaction import forgets

COLUMNS = ("id", "kind", "qversion", "state", "area", "notifier", "country", "created_at", "broadcast_at",
           "deadline", "closed_at", "last_activity", "search_text", "record")
NEXT_STATE = {"notification.broadcast": "broadcast", "notification.withdrawn": "withdrawn",
              "notification.closed": "closed"}


def load(conn: Any, ident: str, *, whole: bool = True) -> dict[str, Any] | None:
    """The notification; ``whole``: with its comments and history (the rules and the projector
    do without them: a comment is a row of its own, never a rewrite of the record)."""
    row = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM notifications WHERE id = ?", (ident,)).fetchone()
    if row is None:
        return None
    data = dict(zip(COLUMNS, row, strict=True))
    record = json.loads(data.pop("record"))
    if whole:
        record["comments"] = [dict(zip(("authority", "user", "at", "text", "lang"), r, strict=True))
                              for r in conn.execute("SELECT authority, user, at, text, lang FROM notification_comments "
                                                    "WHERE notification_id = ? ORDER BY at, rowid", (ident,))]
        record["history"] = [dict(zip(("at", "type", "authority", "user"), r, strict=True))
                             for r in conn.execute("SELECT at, type, authority, user FROM notification_history "
                                                   "WHERE notification_id = ? ORDER BY rowid", (ident,))]
    return {**record, **data, "record": record}


def _save(conn: Any, n: dict[str, Any]) -> None:
    record = {k: v for k, v in n["record"].items() if k not in ("comments", "history")}
    n["search_text"] = _search_text(conn, n["id"], record)
    values = [n.get(c) for c in COLUMNS[:-1]] + [json.dumps(record, ensure_ascii=False)]
    conn.execute(f"INSERT OR REPLACE INTO notifications({', '.join(COLUMNS)}) "
                 f"VALUES ({','.join('?' * len(COLUMNS))})", values)


def _search_text(conn: Any, ident: str, record: dict[str, Any]) -> str:
    """The words a search matches: free-text answers and comments, lower-cased."""
    words = []
    for value in ((record.get("content") or {}).get("answers") or {}).values():
        text = value.get("text") if isinstance(value, dict) else value if isinstance(value, str) else None
        if isinstance(text, str):
            words.append(text)
    words += [t for (t,) in conn.execute("SELECT text FROM notification_comments WHERE notification_id = ? "
                                         "ORDER BY at, rowid", (ident,))]
    return " ".join(w for w in words if isinstance(w, str)).lower()[:100_000]


def _comment(conn: Any, ident: str, comment: dict[str, Any]) -> None:
    conn.execute("INSERT INTO notification_comments(notification_id, authority, user, at, text, lang) "
                 "VALUES (?,?,?,?,?,?)", (ident, comment.get("authority"), comment.get("user"), comment.get("at"),
                                          comment.get("text"), comment.get("lang")))


def _history(conn: Any, ident: str, event: dict[str, Any]) -> None:
    conn.execute("INSERT INTO notification_history(notification_id, at, type, authority, user) VALUES (?,?,?,?,?)",
                 (ident, event["at"], event["type"], event["actor"].get("authority"), event["actor"].get("user")))


def notification_id(event: dict[str, Any]) -> str:
    return str(event["subject"]["entity"]).split("/", 1)[1]


def _new(conn: Any, event: dict[str, Any], content: dict[str, Any], state: str) -> dict[str, Any]:
    country = conn.execute("SELECT country FROM authorities WHERE id = ?", (content["notifier"],)).fetchone()
    record = {"content": content, "recipients": [], "disseminated": [], "delivered": [], "disseminations": [],
              "modifications": []}
    return {"id": notification_id(event), "kind": content["kind"], "qversion": content["qversion"], "state": state,
            "area": content["area"], "notifier": content["notifier"], "country": country[0] if country else None,
            "created_at": event["at"], "last_activity": event["at"], "record": record}


def apply_notification(conn: Any, event: dict[str, Any]) -> None:
    type_, p = event["type"], event["payload"]
    ident = notification_id(event)
    if type_ == "notification.commented":  # a row of its own: the record is not rewritten
        if conn.execute("SELECT 1 FROM notifications WHERE id = ?", (ident,)).fetchone() is None:
            return
        _comment(conn, ident, {"authority": event["actor"].get("authority"), "user": event["actor"].get("user"),
                               "at": event["at"], "text": p["text"], "lang": p["lang"]})
        _history(conn, ident, event)
        conn.execute("UPDATE notifications SET last_activity = max(last_activity, ?), "
                     "search_text = substr(search_text || ' ' || ?, 1, 100000) WHERE id = ?",
                     (event["at"], p["text"].lower(), ident))
        return
    current = load(conn, ident, whole=False)
    if type_ == "notification.drafted":
        n = _new(conn, event, p["notification"], "draft")
    elif type_ == "notification.delivered":
        n = _delivered(conn, event, current)
    elif type_ == "notification.broadcast" and current is None:  # a recipient's store starts here
        n = _new(conn, event, p["notification"], "broadcast")
        _step(conn, n, event)
    elif current is None:
        return  # a step of a notification this store was never given
    else:
        n = {k: v for k, v in current.items() if k in COLUMNS}
        _step(conn, n, event)
    _history(conn, ident, event)
    n["last_activity"] = event["at"]
    _save(conn, n)


def _step(conn: Any, n: dict[str, Any], event: dict[str, Any]) -> None:
    from imi_cli.exchanges.notifications.kinds import kinds
    from imi_cli.protocol.audience import expand
    from imi_cli.protocol.view import RulesView

    type_, p, record = event["type"], event["payload"], n["record"]
    n["state"] = NEXT_STATE.get(type_, n["state"])
    if type_ == "notification.broadcast":
        record["content"] = p["notification"]
        n["broadcast_at"] = event["at"]
        kind = kinds().get(n["kind"])
        n["deadline"] = deadline(event["at"], kind.examination_months if kind else None)
        # who it went to, by this store's directory (the hub's is the one that counts)
        record["recipients"] = [a for a in expand(RulesView(conn, at_hub=True), list(event["audience"]))
                                if a not in ("*", "hub", n["notifier"])]
    elif type_ == "notification.disseminated":
        record["disseminations"].append({"by": event["actor"].get("authority"), "to": p["to"], "at": event["at"]})
        record["disseminated"] = sorted(set(record["disseminated"]) | set(p["to"]))
    elif type_ == "notification.modified":
        content = record["content"]
        content["answers"] = {**(content.get("answers") or {}), **p["answers"]}
        record["modifications"].append({"at": event["at"], "fields": sorted(p["answers"]),
                                        "after_closure": n["state"] == "closed"})
    elif type_ == "notification.withdrawn":
        record["withdraw_reason"] = p.get("reason")
        n["closed_at"] = event["at"]
    elif type_ == "notification.closed":
        record["decision"] = {"code": p["decision"], "by": event["actor"].get("authority"),
                              **({"text": p["text"], "lang": p["lang"]} if p.get("text") else {})}
        n["closed_at"] = event["at"]
    elif type_ == "notification.reminder":
        record.setdefault("reminders", []).append({"kind": p["kind"], "key": p["key"], "at": event["at"]})


def _delivered(conn: Any, event: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    """The hub gave the notification, as it stands, to the authorities it was disseminated to."""
    p = event["payload"]
    if current is not None:
        n = {k: v for k, v in current.items() if k in COLUMNS}
        n["record"]["delivered"] = sorted(set(n["record"]["delivered"]) | set(p["to"]))
        return n
    n = _new(conn, event, p["notification"], p["state"])
    record = n["record"]
    for key in ("recipients", "disseminated", "modifications"):
        record[key] = p[key]
    for comment in p["comments"]:  # what was said before it came here, in every store's order (time)
        _comment(conn, n["id"], comment)
    if p.get("decision"):
        record["decision"] = p["decision"]
    record["delivered"] = p["to"]
    n.update(broadcast_at=p["broadcast_at"], deadline=p.get("deadline"))
    return n


@forgets("notification/")
def _forget(conn: Any, entity: str) -> None:
    ident = entity.split("/", 1)[1]
    for table in ("notifications", "notification_comments", "notification_history"):
        conn.execute(f"DELETE FROM {table} WHERE {'id' if table == 'notifications' else 'notification_id'} = ?",
                     (ident,))
