"""Folding request events into the ``requests`` table and its history (nodes and hub alike)."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from imi_cli.exchanges.requests.lifecycle import NEXT_STATE
from imi_cli.log.disclosures import BLOCKED, ERASED
from imi_cli.log.redaction import forgets

COLUMNS = ("id", "state", "area", "requester", "responder", "subject", "deadline", "proposed_deadline",
           "created_at", "sent_at", "accepted_at", "answered_at", "closed_at", "last_activity", "record")


def load(conn: Any, request_id: str) -> dict[str, Any] | None:
    row = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM requests WHERE id = ?", (request_id,)).fetchone()
    if row is None:
        return None
    data = dict(zip(COLUMNS, row, strict=True))
    data["record"] = json.loads(data["record"])
    record = data["record"]
    # the language the subject is written in (None for a request made before it was recorded)
    return {**record, "subject_lang": record.get("subject_lang"), **{k: v for k, v in data.items() if k != "record"},
            "record": record}


def _save(conn: Any, r: dict[str, Any]) -> None:
    record = r["record"]
    # the record's reminders also in a column of their own, which the inbox reads from an index
    reminders = json.dumps(record["reminders"], ensure_ascii=False, sort_keys=True) if record.get("reminders") else None
    values = [r.get(c) for c in COLUMNS[:-1]] + [json.dumps(record, ensure_ascii=False, sort_keys=True), reminders]
    conn.execute(f"INSERT OR REPLACE INTO requests({', '.join(COLUMNS)}, reminders) "
                 f"VALUES ({','.join('?' * (len(COLUMNS) + 1))})", values)


def _store_attachments(conn: Any, attachments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Content goes into the (encrypted) attachments table; the record keeps name, size and hash."""
    kept = []
    for a in attachments or []:
        if "content_b64" not in a:  # its disclosure was withheld from us, or erased
            kept.append({"name": a.get("name"), "size": None, "sha256": None,
                         "content": "erased" if a.get(ERASED) else "blocked" if a.get(BLOCKED) else "withheld"})
            continue
        content = base64.b64decode(a["content_b64"])
        digest = hashlib.sha256(content).hexdigest()
        conn.execute("INSERT OR IGNORE INTO request_attachments VALUES (?,?,?,?)",
                     (digest, a["name"], len(content), content))
        kept.append({"name": a["name"], "size": len(content), "sha256": digest})
    return kept


def _new(event: dict[str, Any]) -> dict[str, Any]:
    content = dict(event["payload"]["request"])
    record = {k: v for k, v in content.items() if k not in ("attachments",)}
    record.setdefault("answers", [])
    record.setdefault("hops", [])
    record.setdefault("comments", [])
    return {"id": _rid(event), "state": "draft", "area": content["area"], "requester": content["requester"],
            "responder": content["responder"], "subject": content["subject"], "deadline": content.get("deadline"),
            "created_at": event["at"], "last_activity": event["at"], "record": record}


def _rid(event: dict[str, Any]) -> str:
    return event["subject"]["entity"].split("/", 1)[1]


def apply_request(conn: Any, event: dict[str, Any]) -> None:
    type_, p, at = event["type"], event["payload"], event["at"]
    current = load(conn, _rid(event))
    if current is None:  # first sight: a draft here, or a request sent or forwarded to us
        if "request" not in p:
            return
        current = _new(event)
        if type_ in ("request.forwarded", "request.reassigned"):  # the hop's origin, not the new responder
            current["responder"] = p.get("from") or event["actor"].get("authority")
    r = current
    record = r["record"]
    if "request" in p and type_ != "request.drafted":
        record.update({k: v for k, v in p["request"].items()
                       if k not in ("attachments", "answers", "hops", "comments")})
    if "attachments" in p.get("request", {}):
        record["attachments"] = _store_attachments(conn, p["request"]["attachments"])
    if "attachments" in p:  # documents given with an answer
        p = {**p, "attachments": _store_attachments(conn, p["attachments"])}
    _STEP_EFFECTS.get(type_, lambda *a: None)(r, record, p, at)
    if type_ in NEXT_STATE:
        r["state"] = NEXT_STATE[type_]
    if type_ == "request.accepted" and p.get("proposed_deadline"):
        r["state"] = "deadline_proposed"
    if type_ != "request.reminder":
        r["last_activity"] = at
    _save(conn, r)
    detail = {k: v for k, v in p.items() if k not in ("request", "attachments", "answers")}
    conn.execute("INSERT INTO request_history VALUES (?,?,?,?,?,?)",
                 (r["id"], at, type_, event["actor"].get("user"), event["actor"].get("authority"),
                  json.dumps(detail, ensure_ascii=False, sort_keys=True)))


def _sent(r, record, p, at):
    r["sent_at"] = at


def _accepted(r, record, p, at):
    r["accepted_at"] = at
    r["proposed_deadline"] = p.get("proposed_deadline")


def _deadline_agreed(r, record, p, at):
    if p.get("agree"):
        r["deadline"] = r.get("proposed_deadline")
    r["proposed_deadline"] = None


def _moved(r, record, p, at):
    record["hops"].append({"from": r["responder"], "to": p["to"], "at": at})
    r["responder"] = p["to"]
    r["accepted_at"] = None


def _allocated(r, record, p, at):
    record["handlers"] = p["handlers"]


def _answered(r, record, p, at):
    r["answered_at"] = r.get("answered_at") or at
    record["answers"].append({"values": p["answers"], "lang": p["lang"], "at": at,
                              "attachments": p.get("attachments", [])})


def _info_requested(r, record, p, at):
    record["comments"].append({"text": p["text"], "lang": p["lang"], "at": at, "side": "requester"})


def _closed(r, record, p, at):
    r["closed_at"] = at
    record["rating"] = {"timeliness": p.get("timeliness"), "quality": p.get("quality")}


def _approved(r, record, p, at):
    record["approved"] = True


def _reminded(r, record, p, at):
    record.setdefault("reminders", []).append({"kind": p["kind"], "key": p.get("key"), "at": at})


_STEP_EFFECTS = {"request.sent": _sent, "request.accepted": _accepted, "request.deadline_agreed": _deadline_agreed,
                 "request.forwarded": _moved, "request.reassigned": _moved, "request.allocated": _allocated,
                 "request.answered": _answered, "request.info_requested": _info_requested,
                 "request.closed": _closed, "request.approved": _approved, "request.reminder": _reminded}


@forgets("request/")
def forget(conn: Any, entity: str) -> None:
    """Drop a request's rows, so that an erasure folds its events again without the erased
    values; attachment contents it alone refers to go too."""
    rid = entity.split("/", 1)[1]
    request = load(conn, rid)
    if request is None:
        return
    record = request["record"]
    mine = {a.get("sha256") for a in record.get("attachments", [])}
    mine |= {a.get("sha256") for r in record.get("answers", []) for a in r.get("attachments", [])}
    conn.execute("DELETE FROM requests WHERE id = ?", (rid,))
    conn.execute("DELETE FROM request_history WHERE request_id = ?", (rid,))
    for sha in mine - {None}:
        others = conn.execute("SELECT 1 FROM requests WHERE instr(record, ?) > 0 LIMIT 1", (sha,)).fetchone()
        if others is None:
            conn.execute("DELETE FROM request_attachments WHERE sha256 = ?", (sha,))
