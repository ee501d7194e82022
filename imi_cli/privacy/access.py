"""The access log (Art. 14-18): every read of personal data is a signed event of the reader,
``privacy.accessed``, sent to its own authority (where the data-protection officers read it)
and the coordinators above it. ``record`` writes one; ``entries`` lists them.

A read of blocked data names its reason; a data subject's search names the person sought
(a personal field, so it can be withheld or erased like any other).
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

from imi_cli.i18n import N_
from imi_cli.log import clock
from imi_cli.log.redaction import forgets

ACCESSED = "privacy.accessed"
# what a read was, as `imi privacy log` shows it (translated where shown: _(LABELS[action]))
LABELS = {"request.show": N_("showing a request"), "request.export": N_("exporting a request"),
          "request.attachment": N_("saving a request's attachment"),
          "alert.show": N_("showing an alert"), "alert.export": N_("exporting alerts"),
          "notification.show": N_("showing a notification"), "notification.export": N_("exporting notifications"),
          "blocked.read": N_("reading blocked data"),
          "subject.search": N_("a data subject's search"), "subject.export": N_("a data subject's export")}
# what stands in place of a reason no longer held (the marker stays in JSON; a terminal shows it translated)
MARKER_LABELS = {"[erased]": N_("[erased]"), "[blocked]": N_("[blocked]"), "[withheld]": N_("[withheld]")}
ACTIONS = tuple(LABELS)
OFFICERS_ONLY = frozenset({"blocked.read", "subject.search", "subject.export"})
NEEDS_REASON = frozenset({"blocked.read", "subject.search", "subject.export"})
SUBJECT_DAYS = 30  # Art. 18-19 (and GDPR Art. 12(3)): a data subject is answered within a month
# An entry's own personal data (the reason, the person searched for) is erased as an
# exchange's is, 3 years after the read; the entry (who, what, when) stays.


def event(actor: dict[str, Any], action: str, *, entity: str | None = None, entities: list[str] | None = None,
          reason: str | None = None, person: dict[str, str] | None = None) -> dict[str, Any]:
    """A ``privacy.accessed`` event for this read (not yet appended)."""
    from imi_cli.log.event import make_event

    ident = str(uuid.uuid4())
    payload: dict[str, Any] = {"id": ident, "action": action}
    if entity:
        payload["entity"] = entity
    if entities:
        payload["entities"] = sorted(set(entities))[:1000]
    if reason:
        payload["reason"] = reason
    if person:
        payload["person"] = person
    if action == "subject.search":
        payload["due"] = (clock.now() + timedelta(days=SUBJECT_DAYS)).date().isoformat()
    authority = actor.get("authority")
    return make_event(ACCESSED, actor=actor, payload=payload, subject={"entity": f"access/{ident}"},
                      audience=[str(authority), f"coordinators:{authority}"])


def record(store: Any, action: str, **fields: Any) -> dict[str, Any] | None:
    """Log a read in this store (and queue it for the hub). A store not enrolled (no user to
    sign it) logs nothing: it holds nobody else's data."""
    from imi_cli.log.journal import append, local_actor

    if not store.meta("user_id"):
        return None
    with store.transaction() as conn:
        return append(conn, [event(local_actor(store), action, **fields)])[0]


@forgets("access/")
def forget(conn: Any, entity: str) -> None:
    """Drop an entry, so that its erasure folds it again without the reason and the person."""
    conn.execute("DELETE FROM access_log WHERE id = ?", (entity.split("/", 1)[1],))


def project(conn: Any, event: dict[str, Any]) -> None:
    p = event["payload"]
    kept = {k: v for k, v in p.items() if k not in ("id", "action", "entity")}
    conn.execute("INSERT OR REPLACE INTO access_log(id, at, user_id, authority, entity, action, record) "
                 "VALUES (?,?,?,?,?,?,?)",
                 (p["id"], event["at"], event["actor"].get("user"), event["actor"].get("authority"),
                  p.get("entity"), p["action"], json.dumps(kept, ensure_ascii=False, sort_keys=True)))


def entries(conn: Any, *, since: str | None = None, user: str | None = None,
            entities: set[str] | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """The access log held here, newest first; ``entities``: only reads of these exchanges
    (a search that found one of them counts)."""
    where, params = ["1 = 1"], []
    if since:
        where.append("at >= ?")
        params.append(since)
    if user:
        where.append("user_id = ?")
        params.append(user)
    rows = conn.execute(f"SELECT id, at, user_id, authority, entity, action, record FROM access_log "
                        f"WHERE {' AND '.join(where)} ORDER BY at DESC, id DESC", params).fetchall()
    out = []
    for ident, at, user_id, authority, entity, action, text in rows:
        extra = json.loads(text)
        found = set(extra.get("entities") or []) | ({entity} if entity else set())
        if entities is not None and not (found & entities):
            continue
        out.append({"id": ident, "at": at, "user": user_id, "authority": authority, "action": action,
                    "entity": entity or ", ".join(sorted(found))[:200], "reason": _shown(extra),
                    "due": extra.get("due")})
        if limit is not None and len(out) >= limit:
            break
    return out


def _shown(extra: dict[str, Any]) -> str | None:
    """The reason as held here: text, or what stands in place of it."""
    from imi_cli.log.disclosures import BLOCKED, ERASED, WITHHELD

    if isinstance(extra.get("reason"), str):
        return str(extra["reason"])
    labels = {ERASED: "[erased]", BLOCKED: "[blocked]", WITHHELD: "[withheld]"}
    return next((label for marker, label in labels.items() if marker in extra), None)


def erase_old(conn: Any, before: str) -> int:
    """Erase the personal data of access entries older than ``before`` (the reason, the person a
    search named: 3 years, as an exchange's); the entries stay. Returns how many."""
    from imi_cli.log import redaction

    old = [f"access/{i}" for (i,) in conn.execute(
        "SELECT a.id FROM access_log a WHERE a.at < ? AND EXISTS (SELECT 1 FROM disclosures d "
        "WHERE d.entity = 'access/' || a.id AND d.disclosure IS NOT NULL)", (before,))]
    for entity in old:
        redaction.erase(conn, entity=entity)
    return len(old)
