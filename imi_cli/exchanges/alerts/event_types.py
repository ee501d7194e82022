"""The alert's event types: drafted, sent, forwarded, delivered (by the hub), acknowledged,
modified, withdrawn and closed.

Who receives what:
- a draft stays with its sender;
- ``alert.sent`` goes to the sender (and its coordinators) and every recipient the
  directory routes it to (``kinds.routing``); an incoming-alert coordinator receives it with
  the personal answers withheld (the hub keeps back their disclosures: ``withhold``);
- ``alert.forwarded`` names the authorities a coordinator passes it to; the hub then gives
  them the alert whole (``alert.delivered``), and from then on they are handlers;
- a modification, withdrawal or closing reaches everyone who has the alert.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from imi_cli.directory.event_types import actor_of
from imi_cli.exchanges.alerts import kinds
from imi_cli.exchanges.alerts.projection import alert_id, apply_alert, late_days, load
from imi_cli.exchanges.requests.event_types import ANSWER
from imi_cli.i18n import N_
from imi_cli.log import clock
from imi_cli.log.disclosures import MARKERS
from imi_cli.protocol.audience import record_term
from imi_cli.protocol.refusal import Refusal
from imi_cli.protocol.registry import CREATE, HUB, USERS, EventType, declare
from imi_cli.protocol.schemas import BOOL, DATE, ID, LANG, array, mapping, obj, text
from imi_cli.protocol.view import RulesView

_CODE = {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"}
_KEY = {"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$"}
_COUNTRY = {"type": "string", "pattern": r"^[A-Z]{2}$"}
ANSWERS = mapping(ANSWER, _KEY, 100)
CONTENT = obj({"kind": {"enum": list(kinds.KINDS)}, "area": _CODE, "sender": ID, "questionnaire": _CODE,
               "qversion": text(40, 1), "answers": ANSWERS, "lang": LANG},
              {"profession": _CODE, "countries": array(_COUNTRY, 31, 1), "under_appeal": BOOL,
               "informed_on": DATE})
ROUTING = obj({"coordinators": array(ID, 500), "direct": array(ID, 500)})
PAYLOADS: dict[str, dict[str, Any]] = {
    "alert.drafted": obj({"alert": CONTENT}),
    "alert.sent": obj({"alert": CONTENT, "routing": ROUTING}, {"late_reason": text(2000, 1)}),
    "alert.forwarded": obj({"to": array(ID, 50, 1)}),
    "alert.delivered": obj({"to": array(ID, 50, 1), "alert": CONTENT, "routing": ROUTING,
                            "handlers": array(ID, 500), "state": {"enum": ["sent", "closed", "withdrawn"]},
                            "sent_at": text(40, 1)}, {"late_reason": text(2000, 1)}),
    "alert.acknowledged": obj(),
    "alert.modified": obj({"lang": LANG}, {"answers": ANSWERS, "under_appeal": BOOL, "informed_on": DATE}),
    "alert.withdrawn": obj({"reason": text(2000, 1)}),
    "alert.closed": obj({"ended_on": DATE}),
}
CHANGES = ("answers", "under_appeal", "informed_on")
# From which states each step may be taken
FROM = {"alert.sent": ("draft",), "alert.forwarded": ("sent",), "alert.acknowledged": ("sent", "closed"),
        "alert.modified": ("sent",), "alert.withdrawn": ("draft", "sent"), "alert.closed": ("sent",)}
# Steps of the recipients: they never make the sender's next step stale (nor each other's).
QUIET = ("alert.forwarded", "alert.acknowledged", "alert.delivered")
SENDER_STEPS = ("alert.drafted", "alert.sent", "alert.modified", "alert.withdrawn", "alert.closed")


def _alert(view: RulesView, event: dict[str, Any]) -> dict[str, Any] | None:
    return view.alert(alert_id(event))


def _country_of(view: RulesView) -> Any:
    return lambda ident: (view.authority(ident) or {}).get("country")


# -- checks of the content (both sides, before anything else) -----------------------------
def _check(view: RulesView, event: dict[str, Any]) -> None:
    type_, p = event["type"], event["payload"]
    if "alert" in p:
        check_content(p["alert"])
    if type_ == "alert.modified" and not any(k in p for k in CHANGES):
        raise Refusal("invalid", "a modification changes something: answers, under appeal or informed on")
    if type_ == "alert.closed":
        _date(p["ended_on"], "ended_on")


def check_content(content: dict[str, Any]) -> None:
    kind = kinds.KINDS[content["kind"]]
    if content["area"] != kind.area or content["questionnaire"] != kind.questionnaire:
        raise Refusal("invalid", "a {kind} alert is in area {area} with question set {questionnaire}",
                      kind=kind.name, area=kind.area, questionnaire=kind.questionnaire)
    if kind.profession and content.get("profession") not in kinds.ALERT_PROFESSIONS:
        raise Refusal("invalid", "a {kind} alert names one of the professions of Art. 56a(1): {professions}",
                      field="profession", kind=kind.name, professions=", ".join(kinds.ALERT_PROFESSIONS))
    if not kind.profession and "profession" in content:
        raise Refusal("invalid", "a {kind} alert names no profession", field="profession", kind=kind.name)
    if kind.all_countries == ("countries" in content):
        raise Refusal("invalid", "a services alert names the countries it is for; a PQ alert goes to all",
                      field="countries")
    answers = content["answers"]
    if any(m in answers for m in MARKERS):
        return  # a store that does not hold the personal answers cannot check them (the hub did)
    if kind.falsified is not None and answers.get("falsified_evidence") != kind.falsified:
        raise Refusal("invalid", "a {kind} alert answers falsified_evidence with {value!r}",
                      field="falsified_evidence", kind=kind.name, value=kind.falsified)
    check_answers(content["questionnaire"], content["qversion"], answers, content["lang"])


def check_answers(questionnaire: str, qversion: str, answers: dict[str, Any], lang: str) -> None:
    from imi_cli.errors import ImiError
    from imi_cli.questionnaires.answers import validate_answers
    from imi_cli.questionnaires.registry import catalogs

    try:
        validate_answers(catalogs().get(questionnaire, qversion), answers, lang)
    except ImiError as bad:
        details = "; ".join(str(p) for p in getattr(bad, "problems", [])[:5])
        if details:
            raise Refusal("invalid", "the alert does not fit its question set: {detail} ({problems})",
                          detail=bad.message, problems=details) from None
        raise Refusal("invalid", "the alert does not fit its question set: {detail}", detail=bad.message) from None


def _date(value: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise Refusal("invalid", "{field} {value!r} is not a date", field=field, value=value) from None


# -- who takes part -------------------------------------------------------------------------
def _party(view: RulesView, event: dict[str, Any]) -> None:
    """An authority outside the alert is told the same whether it exists or not."""
    entity = event["subject"]["entity"]
    if event["type"] == "alert.drafted":
        return
    alert = _alert(view, event)
    mine = view.authority(event["actor"].get("authority"))
    if alert is None or mine is None or not (
            mine["id"] in kinds.participants(alert["record"] | {"sender": alert["sender"]})
            or view.covers(mine, view.authority(alert["sender"]))):
        raise Refusal("not_allowed", "{entity} is not an alert your authority takes part in", entity=entity)


def _audience(view: RulesView, event: dict[str, Any]) -> list[str]:
    type_, p = event["type"], event["payload"]
    alert = _alert(view, event)
    if type_ == "alert.delivered":
        return list(p["to"])
    if type_ == "alert.drafted" or (type_ == "alert.withdrawn" and alert and alert["state"] == "draft"):
        sender = (p.get("alert") or alert or {}).get("sender")
        return [sender] if isinstance(sender, str) else []
    if type_ == "alert.sent":
        return kinds.participants({"sender": p["alert"]["sender"], "routing": p["routing"]})
    ident = alert_id(event)
    if type_ in ("alert.forwarded", "alert.acknowledged"):  # the sender's side and that country's
        country = (view.authority(event["actor"].get("authority")) or {}).get("country")
        return [f"alert:{ident}:{country}"] if isinstance(country, str) else []
    # whoever has the alert when the hub takes the event: a coordinator may have forwarded it
    # since the sender's store last synced, and the handler must hear of the change too
    return [f"alert:{ident}"]


def _holders(view: RulesView, ident: str, country: str | None) -> list[str]:
    """The terms ``alert:ID[:CC]`` stands for, by this store's copy of the alert."""
    alert = view.alert(ident)
    if alert is None:
        return []
    return kinds.participants(alert["record"] | {"sender": alert["sender"]}, country, _country_of(view))


record_term("alert", _holders)


# -- rights ----------------------------------------------------------------------------------
def has_role_in(user: dict[str, Any], role: str, area: str) -> bool:
    roles = user.get("roles") or {}
    return role in (roles.get(area) or []) or role in (roles.get("*") or [])


def _authorize(view: RulesView, event: dict[str, Any]) -> None:
    type_, p = event["type"], event["payload"]
    user, actor = actor_of(view, event)
    alert = _alert(view, event)
    if type_ == "alert.drafted":
        content = p["alert"]
        if content["sender"] != actor["id"]:
            raise Refusal("not_allowed", "an alert is drafted by the sending authority")
        _need_role(user, "alert_handler", content["area"])
        return
    assert alert is not None  # the transition check saw it exist
    if alert["state"] not in FROM[type_]:
        raise Refusal("illegal_transition", "the alert is {state}: it cannot be {step} now",
                      state=alert["state"], step=type_.split(".", 1)[1])
    if type_ in SENDER_STEPS:
        if actor["id"] != alert["sender"]:
            raise Refusal("not_allowed", "only the sending authority ({authority}) may do that",
                          authority=alert["sender"])
        _need_role(user, "alert_handler", alert["area"])
    rule = _STEP_RULES.get(type_)
    if rule:
        rule(view, event, alert, actor, user)


def _need_role(user: dict[str, Any], role: str, area: str) -> None:
    if not has_role_in(user, role, area):
        raise Refusal("not_allowed", "that needs the {role} role in {area}", role=role, area=area)


def _sent(view: RulesView, event: dict[str, Any], alert: dict[str, Any], actor: dict[str, Any],
          user: dict[str, Any]) -> None:
    p = event["payload"]
    if p["alert"] != alert["record"]["content"]:
        raise Refusal("invalid", "the alert's content differs from its draft")
    kind = kinds.KINDS[alert["kind"]]
    expected = kinds.routing(view.conn, kind, p["alert"].get("profession"), actor["country"],
                             p["alert"].get("countries"))
    if p["routing"] != expected:
        raise Refusal("stale", "the alert's recipients differ from the directory's: sync, then send again")
    # by the hub's clock (the node's, before it queues): a backdated event does not make it in time
    late = late_days(p["alert"]["answers"].get("decision_date"), clock.iso(view.now())) \
        if kinds.is_pq(kind.name) else None
    if late and not p.get("late_reason"):
        raise Refusal("invalid", "the decision was more than {limit} days ago: "
                      "say why the alert is late (--late-reason)", days=late, limit=kinds.DAYS_TO_SEND)


def _modified(view: RulesView, event: dict[str, Any], alert: dict[str, Any], actor: dict[str, Any],
              user: dict[str, Any]) -> None:
    p, content = event["payload"], alert["record"]["content"]
    kind = kinds.KINDS[alert["kind"]]
    if kind.falsified is not None and p.get("answers", {}).get("falsified_evidence", kind.falsified) != kind.falsified:
        raise Refusal("invalid", "a {kind} alert answers falsified_evidence with {value!r}",
                      field="falsified_evidence", kind=kind.name, value=kind.falsified)
    if "answers" in p:
        merged = {**content["answers"], **p["answers"]}
        if not any(m in merged for m in MARKERS):
            check_answers(content["questionnaire"], content["qversion"], merged, p["lang"])


def _closed(view: RulesView, event: dict[str, Any], alert: dict[str, Any], actor: dict[str, Any],
            user: dict[str, Any]) -> None:
    if _date(event["payload"]["ended_on"], "ended_on") > dt.date.fromisoformat(event["at"][:10]):
        raise Refusal("invalid", "an alert is closed once the restriction has ended: ended_on is not past",
                      field="ended_on")


def _forwarded(view: RulesView, event: dict[str, Any], alert: dict[str, Any], actor: dict[str, Any],
               user: dict[str, Any]) -> None:
    if actor["id"] not in alert["record"]["routing"]["coordinators"]:
        raise Refusal("not_allowed", "only the incoming-alert coordinators it was sent to forward an alert")
    if not has_role_in(user, "alert_coordinator", alert["area"]) and not has_role_in(user, "coordinator",
                                                                                     alert["area"]):
        raise Refusal("not_allowed", "that needs the {role} role in {area}",
                      role="alert_coordinator", area=alert["area"])
    for target_id in event["payload"]["to"]:
        target = view.authority(target_id)
        if target is None or target.get("country") != actor["country"] \
                or alert["area"] not in (target.get("areas") or {}):
            raise Refusal("invalid", "{target}: an alert is forwarded to an authority of {country} "
                          "competent in {area}", target=target_id, country=actor["country"], area=alert["area"])
        if target_id in alert["record"]["handlers"]:
            raise Refusal("illegal_transition", "the alert was forwarded to {target} already", target=target_id)


def _acknowledged(view: RulesView, event: dict[str, Any], alert: dict[str, Any], actor: dict[str, Any],
                  user: dict[str, Any]) -> None:
    from imi_cli.directory.event_types import has_role

    record = alert["record"]
    if actor["id"] not in (*record["routing"]["direct"], *record["handlers"]):
        raise Refusal("not_allowed", "an alert is acknowledged by an authority that handles it")
    if not any(has_role_in(user, role, alert["area"]) for role in ("alert_handler", "alert_coordinator")) \
            and not has_role(user, "coordinator"):
        raise Refusal("not_allowed", "that needs the {role} role in {area}",
                      role="alert_handler", area=alert["area"])
    if actor["id"] in record["acks"]:
        raise Refusal("illegal_transition", "{authority} acknowledged the alert already", authority=actor["id"])


_STEP_RULES = {"alert.sent": _sent, "alert.modified": _modified, "alert.closed": _closed,
               "alert.forwarded": _forwarded, "alert.acknowledged": _acknowledged}


# -- need to know ----------------------------------------------------------------------------
def withhold(conn: Any, reader: str | None, event: dict[str, Any]) -> bool:
    """An incoming-alert coordinator reads the alert without its personal data until it is
    forwarded to the coordinator itself (Reg. 2015/983 Art. 24): the hub holds them back."""
    alert = load(conn, alert_id(event))
    if alert is None or reader is None:
        return reader is None
    record = alert["record"]
    return reader in record["routing"]["coordinators"] and reader not in record["handlers"]


# -- personal data -----------------------------------------------------------------------------
def _personal_ids(questionnaire: Any, qversion: Any) -> frozenset[str]:
    from imi_cli.errors import ImiError
    from imi_cli.questionnaires.registry import catalogs

    try:
        qset = catalogs().get(str(questionnaire), str(qversion))
    except ImiError:
        return frozenset()
    return frozenset(q.id for q in qset.questions if q.personal_data)


def _personal_in_content(conn: Any, event: dict[str, Any]) -> frozenset[str]:
    content = (event.get("payload") or {}).get("alert")
    if not isinstance(content, dict):
        return frozenset()  # not the form it has: the payload's schema check says so
    return _personal_ids(content.get("questionnaire"), content.get("qversion"))


def _personal_in_changes(conn: Any, event: dict[str, Any]) -> frozenset[str]:
    entity = (event.get("subject") or {}).get("entity", "")
    alert = load(conn, entity.split("/", 1)[1]) if isinstance(entity, str) and "/" in entity else None
    if alert is None:
        return frozenset()
    content = alert["record"]["content"]
    return _personal_ids(content.get("questionnaire"), content.get("qversion"))


_IN_CONTENT = ((("payload", "alert", "answers"), _personal_in_content),)
PERSONAL = {"alert.drafted": _IN_CONTENT, "alert.sent": _IN_CONTENT, "alert.delivered": _IN_CONTENT,
            "alert.modified": ((("payload", "answers"), _personal_in_changes),)}


def _declare() -> None:
    for name, schema in PAYLOADS.items():
        hub_made = name == "alert.delivered"
        declare(EventType(
            name, schema, "alert/", _audience, None if hub_made else _authorize, _check, _party,
            project=apply_alert, transition=CREATE if name == "alert.drafted" else "update",
            made_by=HUB if hub_made else USERS,
            hub_only_message=N_("only the hub delivers an alert to the authorities it is forwarded to")
            if hub_made else None,
            retention="exchange", counts_as_change=name not in QUIET, personal=PERSONAL.get(name, ()),
            withhold=withhold if name in ("alert.sent", "alert.modified") else None))


_declare()
