"""The request's event types: one declaration per step of the lifecycle (``lifecycle.STEPS``
says from which state, by which side and role).

Only the two authorities and the coordinators that cover them receive a request's events;
a draft stays with the requester and its coordinators until it is sent. An outsider is told
the same thing whether the request exists or not.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from typing import Any

from imi_cli.directory.event_types import actor_of
from imi_cli.exchanges.requests import lifecycle
from imi_cli.exchanges.requests.projection import apply_request
from imi_cli.i18n import N_
from imi_cli.log import clock
from imi_cli.protocol.personal import ALL, ATTACHMENT_CONTENT
from imi_cli.protocol.refusal import Refusal
from imi_cli.protocol.registry import CREATE, HUB, UPDATE, EventType, declare
from imi_cli.protocol.schemas import BOOL, DATE, ID, LANG, array, integer, mapping, obj, one_of, text
from imi_cli.protocol.view import RulesView

_CODE = {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"}
_KEY = {"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$"}
ATTACHMENT = obj({"name": text(255, 1), "content_b64": text(6_000_000)})
COMMENT = obj({"text": text(20_000), "lang": LANG, "side": {"enum": ["requester", "responder"]}})
CONTENT = obj(
    {"area": _CODE, "requester": ID, "responder": ID, "subject": text(500), "questionnaire": _CODE,
     "qversion": one_of(text(40), integer(0)), "questions": array(_KEY, 500)},
    {"deadline": DATE, "person": mapping(text(1000), _KEY, 30), "comments": array(COMMENT, 200),
     "attachments": array(ATTACHMENT, 20), "about_alert": ID, "subject_lang": LANG})
ANSWER = one_of(text(20_000), {"type": "number"}, BOOL, array(text(200), 200),
                obj({"text": text(20_000), "lang": LANG}))
REASON = obj({}, {"reason": text(2000)})
HOP = obj({"to": ID, "request": CONTENT}, {"from": ID})

PAYLOADS: dict[str, dict[str, Any]] = {
    "request.drafted": obj({"request": CONTENT}),
    "request.approved": obj(),
    "request.sent": obj({"request": CONTENT}),
    "request.accepted": obj({}, {"proposed_deadline": DATE}),
    "request.deadline_agreed": obj({"agree": BOOL}),
    "request.forwarded": HOP,
    "request.reassigned": HOP,
    "request.allocated": obj({"handlers": array(ID, 50, 1)}),
    "request.answered": obj({"answers": mapping(ANSWER, _KEY, 500), "lang": LANG},
                            {"attachments": array(ATTACHMENT, 20)}),
    "request.info_requested": obj({"text": text(20_000), "lang": LANG}),
    "request.closed": obj({"timeliness": integer(), "quality": integer()}),
    "request.withdrawn": REASON,
    "request.reopened": REASON,
    "request.reminder": obj({"kind": _KEY, "key": text(100)}),
}
IDENTITY_KEYS = ("area", "requester", "subject", "questionnaire", "qversion", "questions", "person", "about_alert")


def _request_of(view: RulesView, event: dict[str, Any]) -> dict[str, Any] | None:
    return view.request(event["subject"]["entity"].split("/", 1)[1])


def _party(view: RulesView, event: dict[str, Any]) -> None:
    """Before anything about a request is said to its author: does the author's authority take
    part in it? An outsider gets the same answer whether the request exists or not."""
    entity = event["subject"]["entity"]
    request = _request_of(view, event)
    if event["type"] == "request.drafted":
        if request is not None:  # the same words for anyone: nothing of the request is told
            raise Refusal("illegal_transition", "{entity} already exists", entity=entity)
        return
    mine = view.authority(event["actor"].get("authority"))
    if request is None or mine is None or not (
            mine["id"] in (request["requester"], request["responder"])
            or view.covers(mine, view.authority(request["requester"]))
            or view.covers(mine, view.authority(request["responder"]))):
        raise Refusal("not_allowed", "{entity} is not a request your authority takes part in", entity=entity)


def _audience(view: RulesView, event: dict[str, Any]) -> list[str]:
    type_, p = event["type"], event["payload"]
    request = _request_of(view, event) or p.get("request") or {}
    requester, responder = request.get("requester"), request.get("responder")
    unsent = type_ in ("request.drafted", "request.approved") or (
        type_ == "request.withdrawn" and request.get("state") == "draft")
    sides = [requester] if unsent else [requester, responder]
    if type_ in ("request.forwarded", "request.reassigned"):  # the old responder sees the hop, then no more
        sides.append(p.get("to"))
    named = [s for s in sides if isinstance(s, str)]
    return named + [f"coordinators:{s}" for s in named]


def _check(view: RulesView, event: dict[str, Any]) -> None:
    p = event["payload"]
    if event["type"] == "request.closed" and not all(1 <= p[k] <= 5 for k in ("timeliness", "quality")):
        raise Refusal("invalid", "ratings of timeliness and quality are whole numbers from 1 to 5")


def _authorize(view: RulesView, event: dict[str, Any]) -> None:
    from imi_cli.errors import Rejected

    user, actor = actor_of(view, event)
    request = _request_of(view, event)
    try:
        lifecycle.check_step(event["type"], request, actor, user,
                             lambda other: view.covers(actor, view.authority(other)),
                             clock.iso(view.now()), event["payload"])
    except Rejected as refused:
        template = getattr(refused, "template", None)
        if template is not None:  # the lifecycle's whole sentence: its English id and fields travel
            raise Refusal(refused.reason, template, **getattr(refused, "fields", {})) from None
        # Translators: a sentence said elsewhere (already in the interface language): keep it as is
        raise Refusal(refused.reason, "{detail}", detail=refused.message) from None
    assert request is not None or event["type"] == "request.drafted"
    _check_step_content(view, event, request)


def _check_step_content(view: RulesView, event: dict[str, Any], request: dict[str, Any] | None) -> None:
    type_, p = event["type"], event["payload"]
    if type_ == "request.drafted":
        if p["request"]["requester"] != event["actor"]["authority"]:
            raise Refusal("not_allowed", "a request is drafted by the requesting authority")
        _check_alert_link(view, p["request"])
        return
    assert request is not None
    if type_ == "request.answered":
        _check_answers_fit(request, p)
    if type_ in ("request.forwarded", "request.reassigned"):
        target = view.authority(p["to"])
        if target is None or request["area"] not in (target.get("areas") or {}) \
                or p["to"] in (request["requester"], request["responder"]):
            raise Refusal("invalid", "a request goes on only to another registered authority competent "
                          "in {area}", area=request["area"])
    if type_ in ("request.sent", "request.forwarded", "request.reassigned"):
        _check_content_unchanged(request, p)
        receiver = p["to"] if type_ != "request.sent" else request["responder"]
        if (view.authority(receiver) or {}).get("deactivated"):  # `imi authority deactivate`
            raise Refusal("invalid", "{authority} is deactivated: it receives no new requests", authority=receiver)
    if type_ == "request.allocated" and any(
            (view.user(h) or {}).get("authority") != request["responder"] for h in p["handlers"]):
        raise Refusal("invalid", "handlers must be users of {authority}", authority=request["responder"])


def _check_alert_link(view: RulesView, content: dict[str, Any]) -> None:
    """A request about an alert is made by an authority that has the alert (it received it or
    handles it), to the alert's sender; an alert's question set is not a request's."""
    from imi_cli.exchanges.alerts.kinds import QUESTIONNAIRES, participants

    if content["questionnaire"] in QUESTIONNAIRES:
        raise Refusal("invalid", "{questionnaire} is an alert's question set, not a request's",
                      field="questionnaire", questionnaire=content["questionnaire"])
    linked = content.get("about_alert")
    if linked is None:
        return
    alert = view.alert(linked)
    if alert is None or alert["state"] == "draft" or content["requester"] not in participants(
            alert["record"] | {"sender": alert["sender"]}):
        raise Refusal("not_allowed", "alert/{entity} is not an alert your authority received", entity=linked)
    if content["responder"] != alert["sender"]:
        raise Refusal("invalid", "a request about an alert goes to its sender, {sender}", sender=alert["sender"])


def _check_content_unchanged(request: dict[str, Any], payload: dict[str, Any]) -> None:
    """Sending or passing a request on carries its content to the new reader; it must be the
    content the request has, documents included, not a rewritten one."""
    content, record = payload["request"], request["record"]
    changed = [k for k in IDENTITY_KEYS if content.get(k) != record.get(k)]
    try:
        hashes = sorted(hashlib.sha256(base64.b64decode(a["content_b64"], validate=True)).hexdigest()
                        for a in content.get("attachments") or [])
    except (ValueError, TypeError):
        raise Refusal("invalid", "an attachment's content is not base64") from None
    if hashes != sorted(a["sha256"] for a in record.get("attachments") or []):
        changed.append("attachments")
    if changed:
        raise Refusal("invalid", "the request's content differs from the request ({fields})",
                      fields=", ".join(changed))


def _check_answers_fit(request: dict[str, Any], payload: dict[str, Any]) -> None:
    """Answers are checked against the question set on both sides, in the version the request
    was made with (loaded once per process): a node cannot slip in bad ones."""
    from imi_cli.errors import ImiError, NotFound
    from imi_cli.questionnaires.answers import validate_answers
    from imi_cli.questionnaires.registry import catalogs

    record = request["record"]
    try:
        qset = catalogs().get(record["questionnaire"], record["qversion"])
    except NotFound as missing:
        # Translators: a sentence said elsewhere (already in the interface language): keep it as is
        raise Refusal("invalid", "{detail}", detail=missing.message) from None
    try:
        validate_answers(_asked(qset, record["questions"]), payload["answers"], payload["lang"])
    except ImiError as bad:
        raise Refusal("invalid", "the answers do not fit the question set: {detail}", detail=bad.message) from None


# (question set, the questions a request asks) -> the question set narrowed to them: made once
# per process for each pair, not for every answer checked (the hub checks thousands a batch)
_ASKED: dict[tuple[int, tuple[str, ...]], tuple[Any, Any]] = {}


def _asked(qset: Any, questions: Any) -> Any:
    key = (id(qset), tuple(questions))
    kept = _ASKED.get(key)
    if kept is not None and kept[0] is qset:  # the very question set (kept alive beside it)
        return kept[1]
    asked = dataclasses.replace(qset, questions=tuple(q for q in qset.questions if q.id in questions))
    if len(_ASKED) >= 1024:
        _ASKED.clear()
    _ASKED[key] = (qset, asked)
    return asked


def _personal_answers(conn: Any, event: dict[str, Any]) -> frozenset[str]:
    """Answers to the questions flagged ``personal_data`` in the request's pinned question set."""
    from imi_cli.errors import ImiError
    from imi_cli.questionnaires.registry import catalogs

    entity = event.get("subject", {}).get("entity", "")
    # only the question set it was made with: its record is not read whole
    row = conn.execute("SELECT json_extract(record, '$.questionnaire'), json_extract(record, '$.qversion') "
                       "FROM requests WHERE id = ?", (entity.split("/", 1)[1],)).fetchone() \
        if isinstance(entity, str) and "/" in entity else None
    if row is None:
        return frozenset()
    try:
        qset = catalogs().get(row[0], row[1])
    except ImiError:
        return frozenset()
    return frozenset(q.id for q in qset.questions if q.personal_data)


_CONTENT_PERSONAL = ((("payload", "request", "person"), ALL),
                     (("payload", "request", "attachments", "*"), ATTACHMENT_CONTENT))
PERSONAL = {
    "request.drafted": _CONTENT_PERSONAL, "request.sent": _CONTENT_PERSONAL,
    "request.forwarded": _CONTENT_PERSONAL, "request.reassigned": _CONTENT_PERSONAL,
    "request.answered": ((("payload", "answers"), _personal_answers),
                         (("payload", "attachments", "*"), ATTACHMENT_CONTENT)),
}


def _declare() -> None:
    for name, schema in PAYLOADS.items():
        hub_made = name == "request.reminder"
        declare(EventType(
            name, schema, "request/", _audience, None if hub_made else _authorize, _check, _party,
            project=apply_request, transition=CREATE if name == "request.drafted" else UPDATE,
            made_by=HUB if hub_made else "users",
            hub_only_message=N_("only the hub makes reminders") if hub_made else None,
            retention="exchange", counts_as_change=not hub_made, personal=PERSONAL.get(name, ())))


_declare()
