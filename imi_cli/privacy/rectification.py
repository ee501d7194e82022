"""Rectification (Art. 19) and early erasure of an exchange's personal data, asked for by a
party's data-protection officer; both are events that reach everyone who holds the data.

- ``rectify``: ``personal_data.rectified`` carries the corrected fields (as disclosures);
  each holder's projection puts them in place of the old values (a request's person, an
  alert's or notification's answers). The old values stay in the signed log's disclosures
  until the exchange's erasure: the log shows that and when they were corrected.
- ``request_erasure``: ``personal_data.erasure_requested`` goes to the hub, which erases the
  exchange's disclosures on the hub and, by ``personal_data.erased``, on every node; this
  store erases its own copy at once.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from imi_cli.errors import NotFound, Rejected, UsageError
from imi_cli.i18n import N_, _, t
from imi_cli.log import clock
from imi_cli.log.event import make_event

RECTIFIED, ERASURE_REQUESTED = "personal_data.rectified", "personal_data.erasure_requested"
# "no request 'ID' here", one sentence per kind of exchange
_NOT_HERE = {"request": N_("no request {id!r} here"), "alert": N_("no alert {id!r} here"),
             "notification": N_("no notification {id!r} here")}
_TABLES = {"request": ("requests", ("person",)), "alert": ("alerts", ("content", "answers")),
           "notification": ("notifications", ("content", "answers"))}


def parse_entity(text: str) -> str:
    """An exchange named as KIND/ID (request/ID, alert/ID, notification/ID)."""
    kind, sep, ident = (text or "").partition("/")
    if not sep or kind not in _TABLES or not ident:
        raise UsageError(t("{text!r} is not an exchange: write request/ID, alert/ID or notification/ID", text=text))
    return f"{kind}/{ident}"


def project(conn: Any, event: dict[str, Any]) -> None:
    """Put the corrected fields in place (values this store was not given stay as they are)."""
    kind, _slash, ident = str(event["payload"]["entity"]).partition("/")
    table, path = _TABLES[kind]
    row = conn.execute(f"SELECT record FROM {table} WHERE id = ?", (ident,)).fetchone()
    if row is None:
        return
    record = json.loads(row[0])
    target = record
    for key in path:
        target = target.setdefault(key, {}) if isinstance(target, dict) else {}
    fields = event["payload"]["fields"]
    if isinstance(target, dict):
        target.update({k: v for k, v in fields.items() if not k.startswith("_")})
    record.setdefault("rectifications", []).append(
        {"at": event["at"], "by": event["actor"].get("authority"), "fields": sorted(k for k in fields
                                                                                     if not k.startswith("_"))})
    conn.execute(f"UPDATE {table} SET record = ? WHERE id = ?",
                 (json.dumps(record, ensure_ascii=False, sort_keys=True), ident))


def _held(store: Any, entity: str) -> None:
    kind, _slash, ident = entity.partition("/")
    table = _TABLES[kind][0]
    if store.conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (ident,)).fetchone() is None:
        raise NotFound(t(_NOT_HERE[kind], id=ident))
    from imi_cli.privacy.blocking import is_blocked

    mark = store.conn.execute("SELECT blocked_at, erased_at FROM privacy_marks WHERE entity = ?",
                              (entity,)).fetchone()
    # erased or blocked by this store's clock (the marks), or by the hub (an erasure pulled)
    if (mark and mark[1]) or store.conn.execute("SELECT 1 FROM disclosures WHERE entity = ? AND erased_at IS NOT "
                                                "NULL LIMIT 1", (entity,)).fetchone():
        raise Rejected(t("the personal data of {entity} was erased", entity=entity), reason="illegal_transition")
    if (mark and mark[0]) or is_blocked(store.conn, entity):
        raise Rejected(t("the personal data of {entity} is blocked: it is kept as it was, as proof of the exchange",
                         entity=entity), reason="illegal_transition",
                       hint=_("early erasure (`imi privacy erase`) is still possible"))


def rectify(store: Any, entity: str, fields: dict[str, str], reason: str | None = None) -> dict[str, Any]:
    """Correct a person's data in an exchange, for every holder."""
    from imi_cli.log.journal import append, local_actor

    entity = parse_entity(entity)
    if not fields:
        raise UsageError(_("--field: name at least one field to correct, KEY=VALUE"))
    _held(store, entity)
    payload: dict[str, Any] = {"entity": entity, "fields": fields}
    if reason:
        payload["reason"] = reason
    event = make_event(RECTIFIED, actor=local_actor(store), payload=payload, subject={"entity": entity})
    with store.transaction() as conn:
        from imi_cli.protocol.pipeline import audience_of
        from imi_cli.protocol.view import RulesView

        event["audience"] = audience_of(RulesView(conn, at_hub=False), event)
        return append(conn, [event])[0]


def request_erasure(store: Any, entity: str, consent: str) -> int:
    """Erase an exchange's personal data early, here at once and everywhere through the hub;
    returns how many fields were erased here."""
    from imi_cli.log import redaction
    from imi_cli.log.journal import append, local_actor
    from imi_cli.privacy.clock import scrub

    entity = parse_entity(entity)
    kind, _slash, ident = entity.partition("/")
    if store.conn.execute(f"SELECT 1 FROM {_TABLES[kind][0]} WHERE id = ?", (ident,)).fetchone() is None:
        raise NotFound(t(_NOT_HERE[kind], id=ident))
    ident = str(uuid.uuid4())
    event = make_event(ERASURE_REQUESTED, actor=local_actor(store),
                       payload={"id": ident, "entity": entity, "consent": consent},
                       subject={"entity": f"erasure-request/{ident}"}, audience=["hub"])
    now = clock.iso(clock.now())
    with store.transaction() as conn:
        append(conn, [event])
        erased = redaction.erase(conn, entity=entity)
        conn.execute("INSERT INTO privacy_marks(entity, closed_at, blocked_at, erased_at) VALUES (?,?,?,?) "
                     "ON CONFLICT(entity) DO UPDATE SET erased_at = coalesce(erased_at, excluded.erased_at)",
                     (entity, now, now, now))
    scrub(store)
    return sum(len(d) for d in erased.values())
