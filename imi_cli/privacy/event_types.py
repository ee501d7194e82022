"""The data-protection event types (Regulation (EU) No 1024/2012, Art. 14-19):

- ``personal_data.erased``: the hub names the digests of personal data it erased, and every
  store that holds them deletes them too. Bodies and signatures stay, so every log still
  verifies and shows that something was erased.
- ``privacy.accessed``: a read of personal data (a request or alert shown or exported, a
  data subject's search, a read of blocked data with its reason), signed by the reader and
  sent to its authority (its data-protection officers) and the coordinators above it.
- ``personal_data.rectified``: a party's data-protection officer corrects a person's data in
  an exchange (Art. 19); it reaches everyone who holds the exchange.
- ``personal_data.erasure_requested``: a party asks the hub to erase an exchange's personal
  data early (with the data subject's consent); the hub erases it everywhere.
"""

from __future__ import annotations

from typing import Any

from imi_cli.directory.event_types import actor_of, has_role
from imi_cli.i18n import N_
from imi_cli.log import redaction
from imi_cli.privacy import access
from imi_cli.protocol.audience import HUB_ONLY
from imi_cli.protocol.personal import ALL
from imi_cli.protocol.refusal import Refusal
from imi_cli.protocol.registry import ANY, CREATE, HUB, EventType, declare
from imi_cli.protocol.schemas import array, mapping, obj, text
from imi_cli.protocol.view import RulesView

_EVENT_ID = {"type": "string", "pattern": r"^[0-9a-f-]{36}$"}
_DIGEST = {"type": "string", "pattern": r"^[A-Za-z0-9_-]{43}$"}
_EXCHANGE = {"type": "string", "pattern": r"^(request|alert|notification)/[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"}
_FIELD = {"type": "string", "pattern": r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$"}
ERASURE = obj({"entity": text(200, 1), "digests": mapping(array(_DIGEST, 1000, 1), _EVENT_ID, 10_000)})
ACCESSED = obj({"id": _EVENT_ID, "action": {"enum": list(access.ACTIONS)}},
               {"entity": _EXCHANGE, "entities": array(_EXCHANGE, 1000), "reason": text(2000, 3),
                "person": mapping(text(200), _FIELD, 5), "due": text(10, 10)})
RECTIFIED = obj({"entity": _EXCHANGE, "fields": mapping(text(2000), _FIELD, 50)}, {"reason": text(2000)})
ERASURE_REQUESTED = obj({"id": _EVENT_ID, "entity": _EXCHANGE, "consent": text(2000, 3)})

DATA_PROTECTION = "data_protection"


def _erased_audience(view: RulesView, event: dict[str, Any]) -> list[str]:
    """Whoever received the events whose personal data went."""
    return view.audience_of_events(list(event["payload"]["digests"]))


# -- who takes part in an exchange ------------------------------------------------
def parties(view: RulesView, entity: str) -> list[str] | None:
    """The authorities that hold an exchange (None: no such exchange here)."""
    kind, _, ident = entity.partition("/")
    if kind == "request":
        r = view.request(ident)
        if r is None:
            return None
        hops = [h.get("from") for h in r["record"].get("hops", [])]
        return sorted({a for a in (r["requester"], r["responder"], *hops) if isinstance(a, str)})
    if kind == "alert":
        from imi_cli.exchanges.alerts import kinds

        a = view.alert(ident)
        return None if a is None else sorted(kinds.participants(a["record"] | {"sender": a["sender"]}))
    if kind == "notification":
        n = view.notification(ident)
        if n is None:
            return None
        record = n["record"]
        return sorted({n["notifier"], *record.get("recipients", []), *record.get("disseminated", []),
                       *record.get("delivered", [])})
    return None


def _officer(view: RulesView, event: dict[str, Any], what: str) -> tuple[dict[str, Any], dict[str, Any]]:
    user, actor = actor_of(view, event)
    if not has_role(user, DATA_PROTECTION):
        # Translators: {what} is what was done (showing a request, early erasure ...), in English
        raise Refusal("not_allowed", "{what} needs the {role} role", what=what, role=DATA_PROTECTION)
    return user, actor


def _party(view: RulesView, event: dict[str, Any]) -> None:
    """Run first (before the audience, version and role): an authority that takes no part in
    the exchange is told the same whether it exists or not. A later refusal would name its
    parties (the audience) or its version."""
    _, actor = actor_of(view, event)
    entity = event["payload"]["entity"]
    held = parties(view, entity)
    if held is None or actor["id"] not in held:
        raise Refusal("not_allowed", "{entity} is not an exchange your authority takes part in", entity=entity)


# -- privacy.accessed ---------------------------------------------------------------
def _authorize_access(view: RulesView, event: dict[str, Any]) -> None:
    p = event["payload"]
    if p["action"] in access.OFFICERS_ONLY:
        _officer(view, event, access.LABELS[p["action"]])
    else:
        actor_of(view, event)
    if p["action"] in access.NEEDS_REASON and not p.get("reason"):
        # Translators: {what} is what was done (reading blocked data ...), in English
        raise Refusal("invalid", "{what} needs a reason", what=access.LABELS[p["action"]])


def _access_audience(view: RulesView, event: dict[str, Any]) -> list[str]:
    authority = event["actor"]["authority"]
    return [authority, f"coordinators:{authority}"]


# -- personal_data.rectified --------------------------------------------------------
def _authorize_rectified(view: RulesView, event: dict[str, Any]) -> None:
    """A party's officer, and the data still in use: a correction of blocked or erased data
    would put personal data back into every holder's copy (the node refuses it too:
    rectification.py::_held)."""
    _officer(view, event, "rectifying personal data")
    entity = event["payload"]["entity"]
    erased, blocked = view.conn.execute(
        "SELECT max(erased_at IS NOT NULL), max(blocked_at IS NOT NULL) FROM (SELECT erased_at, blocked_at "
        "FROM disclosures WHERE entity = ? UNION ALL SELECT erased_at, blocked_at FROM privacy_marks "
        "WHERE entity = ?)", (entity, entity)).fetchone()
    if erased:
        raise Refusal("illegal_transition", "the personal data of {entity} was erased", entity=entity)
    if blocked:
        raise Refusal("illegal_transition", "the personal data of {entity} is blocked: it is kept as it was, "
                      "as proof of the exchange", entity=entity)


def _exchange_audience(view: RulesView, event: dict[str, Any]) -> list[str]:
    held = parties(view, event["payload"]["entity"]) or []
    return held + [f"coordinators:{a}" for a in held]


def _rectified(conn: Any, event: dict[str, Any]) -> None:
    from imi_cli.privacy import rectification

    rectification.project(conn, event)


# -- personal_data.erasure_requested ----------------------------------------------------
def _authorize_erasure(view: RulesView, event: dict[str, Any]) -> None:
    _officer(view, event, "early erasure")


def _hub_only(view: RulesView, event: dict[str, Any]) -> list[str]:
    return [HUB_ONLY]


def _erasure_requested(conn: Any, event: dict[str, Any]) -> None:
    """The request shows in its authority's access log (the hub carries it out: privacy_jobs)."""
    p = event["payload"]
    access.project(conn, {**event, "payload": {"id": p["id"], "action": "erasure.requested", "entity": p["entity"],
                                               **({"reason": p["consent"]} if "consent" in p else {}),
                                               **{k: v for k, v in p.items() if k.startswith("_")}}})


declare(
    EventType(redaction.ERASURE, ERASURE, lambda p: f"erasure/{p['entity']}", _erased_audience,
              project=redaction.apply_erasure, transition=ANY, made_by=HUB,
              hub_only_message=N_("only the hub erases personal data for the network")),
    EventType(access.ACCESSED, ACCESSED, lambda p: f"access/{p['id']}", _access_audience, _authorize_access,
              project=access.project, transition=CREATE, retention="directory", counts_as_change=False,
              personal=((("payload",), frozenset({"reason"})), (("payload", "person"), ALL))),
    EventType("personal_data.rectified", RECTIFIED, lambda p: str(p["entity"]), _exchange_audience,
              _authorize_rectified, party=_party, project=_rectified, transition=ANY, retention="exchange",
              counts_as_change=False, personal=((("payload", "fields"), ALL),)),
    EventType("personal_data.erasure_requested", ERASURE_REQUESTED, lambda p: f"erasure-request/{p['id']}",
              _hub_only, _authorize_erasure, party=_party, project=_erasure_requested, transition=CREATE,
              retention="hub", personal=((("payload",), frozenset({"consent"})),)),
)
