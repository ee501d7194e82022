"""The notification's event types: drafted, broadcast, disseminated, delivered (by the hub),
commented, modified, withdrawn, closed and reminder (by the hub).

Who receives what:
- a draft stays with the notifying authority;
- the broadcast goes to the European Commission (every authority of country EU) and every
  member state's national coordinator: audience groups the hub expands;
- a national coordinator disseminates it to authorities of its own country competent in the
  area; the hub then delivers it, as it stands (comments and changes so far), to them;
- a comment, a change, a withdrawal or the closing reaches whoever has it (``notification:ID``).
Notifications carry no personal data of their own: a question flagged personal_data is
concealed as in any exchange.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from imi_cli.directory.event_types import actor_of
from imi_cli.exchanges.notifications import kinds
from imi_cli.exchanges.notifications.projection import apply_notification, load, notification_id
from imi_cli.exchanges.requests.event_types import ANSWER
from imi_cli.protocol.audience import record_term
from imi_cli.protocol.refusal import Refusal
from imi_cli.protocol.registry import CREATE, HUB, USERS, EventType, declare
from imi_cli.protocol.schemas import DATE, ID, LANG, array, mapping, obj, text
from imi_cli.protocol.view import RulesView

_CODE = {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"}
_KEY = {"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$"}
ANSWERS = mapping(ANSWER, _KEY, 100)
CONTENT = obj({"kind": _CODE, "qversion": text(40, 1), "area": _CODE, "notifier": ID, "answers": ANSWERS,
               "lang": LANG})
COMMENT = obj({"authority": ID, "user": ID, "at": text(40, 1), "text": text(20_000, 1), "lang": LANG})
MODIFICATION = obj({"at": text(40, 1), "fields": array(_KEY, 100), "after_closure": {"type": "boolean"}})
DECISION = obj({"code": _CODE, "by": ID}, {"text": text(20_000, 1), "lang": LANG})
PAYLOADS: dict[str, dict[str, Any]] = {
    "notification.drafted": obj({"notification": CONTENT}),
    "notification.broadcast": obj({"notification": CONTENT}),
    "notification.disseminated": obj({"to": array(ID, 500, 1)}),
    "notification.delivered": obj({"to": array(ID, 500, 1), "notification": CONTENT,
                                   "state": {"enum": ["broadcast", "closed", "withdrawn"]},
                                   "broadcast_at": text(40, 1), "recipients": array(ID, 5000),
                                   "disseminated": array(ID, 5000), "comments": array(COMMENT, 2000),
                                   "modifications": array(MODIFICATION, 500)},
                                  {"deadline": DATE, "decision": DECISION}),
    "notification.commented": obj({"text": text(20_000, 1), "lang": LANG}),
    "notification.modified": obj({"answers": ANSWERS, "lang": LANG}),
    "notification.withdrawn": obj({"reason": text(2000, 1)}),
    "notification.closed": obj({"decision": _CODE, "lang": LANG}, {"text": text(20_000, 1)}),
    "notification.reminder": obj({"kind": {"enum": ["examination_ending"]}, "key": DATE}),
}
FROM = {"notification.broadcast": ("draft",), "notification.disseminated": ("broadcast", "closed"),
        "notification.commented": ("broadcast", "closed"), "notification.modified": ("broadcast", "closed"),
        "notification.withdrawn": ("draft", "broadcast"), "notification.closed": ("broadcast",)}
NOTIFIER_STEPS = ("notification.drafted", "notification.broadcast", "notification.modified",
                  "notification.withdrawn")
HUB_MADE = ("notification.delivered", "notification.reminder")
# What a delivery carries must fit its schema (comments, modifications): bounds for both.
MAX_COMMENTS, MAX_MODIFICATIONS = 2000, 500
# Steps of the recipients and the hub never make the notifier's next step stale.
QUIET = ("notification.disseminated", "notification.commented", *HUB_MADE)


def _notification(view: RulesView, event: dict[str, Any]) -> dict[str, Any] | None:
    return view.notification(notification_id(event))


def _country_of(view: RulesView) -> Any:
    return lambda ident: (view.authority(ident) or {}).get("country")


def _qset(kind: str, version: str) -> Any:
    from imi_cli.errors import ImiError
    from imi_cli.questionnaires.registry import catalogs

    try:
        qset = catalogs().get(kind, version)
    except ImiError as missing:
        # Translators: a sentence said elsewhere (already in the interface language): keep it as is
        raise Refusal("invalid", "{detail}", detail=missing.message) from None
    if kinds.kind_of(qset) is None:
        raise Refusal("invalid", "{kind} is not a kind of notification", field="kind", kind=kind)
    return qset


def check_answers(kind: str, version: str, answers: dict[str, Any], lang: str) -> None:
    from imi_cli.errors import ImiError
    from imi_cli.questionnaires.answers import validate_answers

    try:
        validate_answers(_qset(kind, version), answers, lang)
    except ImiError as bad:
        details = "; ".join(str(p) for p in getattr(bad, "problems", [])[:5])
        if details:
            raise Refusal("invalid", "the notification does not fit its question set: {detail} ({problems})",
                          detail=bad.message, problems=details) from None
        raise Refusal("invalid", "the notification does not fit its question set: {detail}",
                      detail=bad.message) from None


# -- checks of the content (both sides) -------------------------------------------------
def _check(view: RulesView, event: dict[str, Any]) -> None:
    p = event["payload"]
    content = p.get("notification")
    if content is not None:
        qset = _qset(content["kind"], content["qversion"])
        if content["area"] != qset.area:
            raise Refusal("invalid", "a {kind} notification is in area {area}", field="area", kind=qset.id,
                          area=qset.area)
        if not any(k in content["answers"] for k in ("_withheld", "_erased")):
            check_answers(content["kind"], content["qversion"], content["answers"], content["lang"])
    if event["type"] == "notification.reminder":
        try:
            dt.date.fromisoformat(p["key"])
        except ValueError:
            raise Refusal("invalid", "a reminder's key is the deadline it is about") from None


# -- who takes part -------------------------------------------------------------------------
def _party(view: RulesView, event: dict[str, Any]) -> None:
    entity = event["subject"]["entity"]
    if event["type"] == "notification.drafted":
        return
    n = _notification(view, event)
    mine = view.authority(event["actor"].get("authority"))
    holds = n is not None and mine is not None and (
        mine["id"] in kinds.holders(n["record"], n["notifier"])
        or view.covers(mine, view.authority(n["notifier"]))
        or not view.at_hub)  # a node holds only what it was sent
    if not holds:
        raise Refusal("not_allowed", "{entity} is not a notification your authority has", entity=entity)


def _audience(view: RulesView, event: dict[str, Any]) -> list[str]:
    type_, p = event["type"], event["payload"]
    n = _notification(view, event)
    if type_ == "notification.delivered":
        return list(p["to"])
    if type_ == "notification.drafted" or (type_ == "notification.withdrawn" and n and n["state"] == "draft"):
        notifier = (p.get("notification") or n or {}).get("notifier")
        return [notifier] if isinstance(notifier, str) else []
    if type_ == "notification.broadcast":
        notifier = p["notification"]["notifier"]
        return [notifier, f"coordinators:{notifier}", *kinds.BROADCAST_TERMS]
    ident = notification_id(event)
    if type_ == "notification.reminder":  # to the Commission and the notifier
        return [f"notification:{ident}:{kinds.COMMISSION}", *([n["notifier"]] if n else [])]
    return [f"notification:{ident}"]


def _holders(view: RulesView, ident: str, country: str | None) -> list[str]:
    """``notification:ID`` is whoever has it; ``notification:ID:CC`` those of country CC."""
    n = view.notification(ident)
    if n is None:
        return []
    everyone = kinds.holders(n["record"], n["notifier"])
    if country is None:
        return everyone
    return [a for a in everyone if ":" not in a and (view.authority(a) or {}).get("country") == country]


record_term("notification", _holders)


# -- rights ----------------------------------------------------------------------------------
def _authorize(view: RulesView, event: dict[str, Any]) -> None:
    from imi_cli.directory.event_types import has_role
    from imi_cli.exchanges.alerts.event_types import has_role_in

    type_, p = event["type"], event["payload"]
    user, actor = actor_of(view, event)
    n = _notification(view, event)
    if type_ == "notification.drafted":
        content = p["notification"]
        if content["notifier"] != actor["id"]:
            raise Refusal("not_allowed", "a notification is drafted by the notifying authority")
        if actor["country"] == kinds.COMMISSION:
            raise Refusal("not_allowed", "a member state notifies; the Commission examines")
        if not has_role_in(user, "notification_handler", content["area"]):
            raise Refusal("not_allowed", "that needs the {role} role in {area}",
                          role="notification_handler", area=content["area"])
        return
    assert n is not None
    if n["state"] not in FROM[type_]:
        raise Refusal("illegal_transition", "the notification is {state}: it cannot be {step} now",
                      state=n["state"], step=type_.split(".", 1)[1])
    if type_ in NOTIFIER_STEPS:
        if actor["id"] != n["notifier"]:
            raise Refusal("not_allowed", "only the notifying authority ({authority}) may do that",
                          authority=n["notifier"])
        if not has_role_in(user, "notification_handler", n["area"]):
            raise Refusal("not_allowed", "that needs the {role} role in {area}",
                          role="notification_handler", area=n["area"])
    if type_ == "notification.broadcast" and p["notification"] != n["record"]["content"]:
        raise Refusal("invalid", "the notification's content differs from its draft")
    if type_ == "notification.modified":
        content = n["record"]["content"]
        check_answers(content["kind"], content["qversion"], {**content["answers"], **p["answers"]}, p["lang"])
        if len(n["record"].get("modifications", [])) >= MAX_MODIFICATIONS:
            raise Refusal("invalid", "a notification is modified at most {count} times", count=MAX_MODIFICATIONS)
    if type_ == "notification.commented":
        said = view.conn.execute("SELECT count(*) FROM notification_comments WHERE notification_id = ?",
                                 (n["id"],)).fetchone()[0]
        if said >= MAX_COMMENTS:  # what the hub delivers to a new holder must stay deliverable
            raise Refusal("invalid", "a notification holds at most {count} comments", count=MAX_COMMENTS)
    if type_ == "notification.disseminated":
        _disseminated(view, event, n, actor, user)
    if type_ == "notification.closed":
        if not (has_role_in(user, "notification_handler", n["area"]) or has_role(user, "coordinator")):
            raise Refusal("not_allowed", "closing needs the {role} role in {area} (or a coordinator's)",
                          role="notification_handler", area=n["area"])
        _closed(view, event, n, actor)


def _disseminated(view: RulesView, event: dict[str, Any], n: dict[str, Any], actor: dict[str, Any],
                  user: dict[str, Any]) -> None:
    from imi_cli.directory.event_types import has_role

    if actor.get("kind") != "national_coordinator" or not has_role(user, "coordinator") \
            or actor["id"] not in n["record"]["recipients"]:
        raise Refusal("not_allowed", "a national coordinator that received the notification disseminates it")
    for target_id in event["payload"]["to"]:
        target = view.authority(target_id)
        if target is None or target.get("country") != actor["country"] or n["area"] not in (target.get("areas") or {}):
            raise Refusal("invalid", "{target}: a notification is disseminated to authorities of "
                          "{country} competent in {area}", target=target_id, country=actor["country"],
                          area=n["area"])
        if target_id in n["record"]["disseminated"] or target_id in n["record"]["recipients"]:
            raise Refusal("illegal_transition", "{target} has the notification already", target=target_id)


def _closed(view: RulesView, event: dict[str, Any], n: dict[str, Any], actor: dict[str, Any]) -> None:
    p = event["payload"]
    if actor["id"] != n["notifier"] and actor["country"] != kinds.COMMISSION:
        raise Refusal("not_allowed", "the Commission or the notifying authority closes a notification")
    qset = _qset(n["kind"], n["qversion"])
    kind = kinds.kind_of(qset)
    assert kind is not None  # _qset refuses a set that is not a kind of notification
    codes = [c.code for c in qset.choice_lists.get(kind.decisions or "", ())]
    if p["decision"] not in codes:
        if not codes:
            raise Refusal("invalid", "the decision is one of none", field="decision")
        raise Refusal("invalid", "the decision is one of {codes}", field="decision", codes=", ".join(codes))


# -- personal data ------------------------------------------------------------------------------
def _personal_ids(kind: Any, version: Any) -> frozenset[str]:
    from imi_cli.errors import ImiError
    from imi_cli.questionnaires.registry import catalogs

    try:
        qset = catalogs().get(str(kind), str(version))
    except ImiError:
        return frozenset()
    return frozenset(q.id for q in qset.questions if q.personal_data)


def _personal_in_content(conn: Any, event: dict[str, Any]) -> frozenset[str]:
    content = (event.get("payload") or {}).get("notification")
    if not isinstance(content, dict):
        return frozenset()  # not the form it has: the payload's schema check says so
    return _personal_ids(content.get("kind"), content.get("qversion"))


def _personal_in_changes(conn: Any, event: dict[str, Any]) -> frozenset[str]:
    entity = (event.get("subject") or {}).get("entity", "")
    n = load(conn, entity.split("/", 1)[1], whole=False) if isinstance(entity, str) and "/" in entity else None
    return _personal_ids(n["kind"], n["qversion"]) if n else frozenset()


_IN_CONTENT = ((("payload", "notification", "answers"), _personal_in_content),)
PERSONAL = {"notification.drafted": _IN_CONTENT, "notification.broadcast": _IN_CONTENT,
            "notification.delivered": _IN_CONTENT,
            "notification.modified": ((("payload", "answers"), _personal_in_changes),)}


def _declare() -> None:
    for name, schema in PAYLOADS.items():
        hub_made = name in HUB_MADE
        declare(EventType(
            name, schema, "notification/", _audience, None if hub_made else _authorize, _check, _party,
            project=apply_notification, transition=CREATE if name == "notification.drafted" else "update",
            made_by=HUB if hub_made else USERS,
            retention="exchange", counts_as_change=name not in QUIET, personal=PERSONAL.get(name, ())))


_declare()
