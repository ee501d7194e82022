"""What the hub accepts: the shape of an event, the actor's right to make it, and the
transition from the version its author saw. Each refusal is a typed reason."""

from __future__ import annotations

import json
from typing import Any

from imi_cli.errors import Problem
from imi_cli.log.event import NETWORK
from imi_cli.log.journal import entity_version

DIRECTORY_TYPES = {"authority.registered", "authority.updated", "user.registered",
                   "user.updated", "user.enrolled", "user.revoked"}
CREATES = {"authority.registered", "user.registered", "message.sent", "user.invited", "request.drafted"}
UPDATES = {"authority.updated", "user.updated", "user.revoked", "request.approved", "request.sent",
           "request.accepted", "request.deadline_agreed", "request.forwarded", "request.reassigned",
           "request.allocated", "request.answered", "request.info_requested", "request.closed",
           "request.withdrawn", "request.reopened"}
HUB_ONLY = "hub"
INVITATION_DAYS = 14
CLOCK_SKEW_SECONDS = 300


class Refusal(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason, self.message = reason, message


def check_shape(event: Any) -> None:
    if not isinstance(event, dict):
        raise Refusal("invalid", "an event must be a JSON object")
    for key, kind in (("id", str), ("type", str), ("at", str), ("actor", dict), ("audience", list),
                      ("subject", dict), ("payload", dict), ("signature", dict)):
        if not isinstance(event.get(key), kind):
            raise Refusal("invalid", f"field {key!r} is missing or of the wrong type")
    if set(event) - {"id", "type", "at", "actor", "audience", "subject", "payload", "signature"}:
        raise Refusal("invalid", "unknown top-level fields")
    if event["actor"].get("user") != event["signature"].get("by"):
        raise Refusal("invalid", "the signer is not the actor")


def expected_audience(conn: Any, event: dict[str, Any]) -> list[str]:
    type_ = event["type"]
    if type_ in DIRECTORY_TYPES:
        return [NETWORK]
    if type_ == "user.invited":
        return [HUB_ONLY]
    if type_ == "message.sent":
        return sorted({event["payload"].get("from"), event["payload"].get("to")} - {None})
    if type_.startswith("request.") and type_ in CREATES | UPDATES | {"request.reminder"}:
        from imi_cli.exchanges.requests.access import expected_audience as request_audience

        return request_audience(conn, event)
    raise Refusal("not_allowed", f"the hub does not take events of type {type_[:60]!r}")


def _user(conn: Any, user_id: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT record FROM users WHERE id = ?", (user_id,)).fetchone()
    return json.loads(row[0]) if row else None


def _authority(conn: Any, ident: str | None) -> dict[str, Any] | None:
    row = conn.execute("SELECT record FROM authorities WHERE id = ?", (ident,)).fetchone()
    return json.loads(row[0]) if row else None


def _has_role(user: dict[str, Any], role: str) -> bool:
    return any(role in roles for roles in user["roles"].values())


def _covers(actor: dict[str, Any], user: dict[str, Any], target: dict[str, Any]) -> bool:
    """Does the actor's authority coordinate the target authority (country, areas, kind)?

    A national coordinator covers every other authority of its country except another
    national coordinator (only the operator registers those); an area coordinator covers
    plain authorities of its country whose areas are all among its own. A coordinator
    also covers its own authority (to manage its own users)."""
    if not _has_role(user, "coordinator") or actor["country"] != target.get("country"):
        return False
    if target.get("id") == actor["id"]:
        return actor["kind"] in ("national_coordinator", "area_coordinator")
    if target.get("kind") == "national_coordinator":
        return False
    if actor["kind"] == "national_coordinator":
        return True
    return (actor["kind"] == "area_coordinator" and target.get("kind", "authority") == "authority"
            and set(target.get("areas") or {}) <= set(actor["areas"]))


def _may_manage(conn: Any, user: dict[str, Any], actor: dict[str, Any], target: dict[str, Any] | None) -> bool:
    if target is None:
        return False
    if _covers(actor, user, target):
        return True
    return actor["id"] == target["id"] and _has_role(user, "administrator")


def check_right(conn: Any, event: dict[str, Any]) -> None:
    by = event["signature"]["by"]
    if by == "operator":
        return
    user = _user(conn, by)
    actor = _authority(conn, user["authority"]) if user else None
    if user is None or actor is None:
        raise Refusal("not_allowed", f"{by!r} is not a registered user")
    if event["actor"].get("authority") != actor["id"]:
        raise Refusal("not_allowed", "the event names another authority than its author's")
    type_, p = event["type"], event["payload"]
    if type_ in ("authority.registered", "authority.updated"):
        target = p.get("authority") or {}
        old = _authority(conn, target.get("id")) if type_ == "authority.updated" else None
        if old is not None and target.get("id") == actor["id"]:  # its own authority
            if any(old.get(k) != target.get(k) for k in ("kind", "country", "coordinator")) \
                    or set(old.get("areas") or {}) != set(target.get("areas") or {}):
                raise Refusal("not_allowed", f"{by} may not change the kind, country, areas or coordinator "
                              "of its own authority; its coordinator does")
            if _has_role(user, "administrator") or _has_role(user, "coordinator"):
                return
            raise Refusal("not_allowed", f"{by} is not an administrator of {actor['id']}")
        if not _covers(actor, user, target) or (old is not None and not _covers(actor, user, old)):
            raise Refusal("not_allowed", f"{by} may not register authorities in {target.get('country')} "
                          f"for {', '.join(target.get('areas', {})) or 'these areas'}"
                          + (" of that kind" if target.get("kind") != "authority" else ""))
    elif type_ in ("user.registered", "user.updated", "user.invited", "user.revoked"):
        target_user = p.get("user") if isinstance(p.get("user"), dict) else _user(conn, str(p.get("user")))
        target = _authority(conn, (target_user or {}).get("authority"))
        if not _may_manage(conn, user, actor, target):
            raise Refusal("not_allowed", f"{by} may not manage users of that authority")
        if type_ == "user.invited":
            _check_reinvitation(conn, by, str(p.get("user")), user, actor, target)
        if type_ == "user.updated":  # moving a user needs the right over both authorities
            current = _user(conn, str((target_user or {}).get("id")))
            if current and not _may_manage(conn, user, actor, _authority(conn, current.get("authority"))):
                raise Refusal("not_allowed", f"{by} may not manage users of {current.get('authority')}")
    elif type_ == "message.sent":
        if p.get("from") != actor["id"] or _authority(conn, p.get("to")) is None:
            raise Refusal("not_allowed", "a message goes from the author's authority to a registered one")
    elif type_ == "user.enrolled":
        raise Refusal("not_allowed", "only the hub enrols users")
    elif type_.startswith("request."):
        _check_request_step(conn, event, user, actor)


def _check_reinvitation(conn: Any, by: str, user_id: str, user: dict[str, Any], actor: dict[str, Any],
                        target: dict[str, Any] | None) -> None:
    """A new code for a user who already has a key replaces that key: whoever enrols it can then
    sign as the user. So a revoked user is invited again only by the operator, and a user with a
    key only by a coordinator above its authority, not by a colleague."""
    row = conn.execute("SELECT revoked_at FROM principals WHERE user_id = ?", (user_id,)).fetchone()
    if row is None:
        return
    if row[0] is not None:
        raise Refusal("not_allowed", f"{user_id} was revoked by the hub's operator; only the operator invites it again")
    if not (target and target["id"] != actor["id"] and _covers(actor, user, target)):
        raise Refusal("not_allowed", f"{user_id} is enrolled already; a new key is for a coordinator above "
                      f"{(target or {}).get('id')} to issue")


def _check_request_step(conn: Any, event: dict[str, Any], user: dict[str, Any], actor: dict[str, Any]) -> None:
    from imi_cli.errors import Rejected
    from imi_cli.exchanges.requests.access import coordinates
    from imi_cli.exchanges.requests.lifecycle import check_step
    from imi_cli.exchanges.requests.projection import load
    from imi_cli.log import clock

    request = load(conn, event["subject"]["entity"].split("/", 1)[1])
    try:
        check_step(event["type"], request, actor, user, lambda other: coordinates(conn, actor["id"], other),
                   clock.iso(clock.now()), event["payload"])
    except Rejected as refused:
        raise Refusal(refused.reason, refused.message) from None
    if request is None:  # a new draft: the checks below are about an existing request
        return
    if event["type"] == "request.answered":
        _check_answers_fit(request, event["payload"])
    if event["type"] in ("request.forwarded", "request.reassigned"):
        to = event["payload"].get("to")
        target = _authority(conn, to) if isinstance(to, str) else None
        if target is None or request["area"] not in (target.get("areas") or {}) \
                or to in (request["requester"], request["responder"]):
            raise Refusal("invalid", f"a request goes on only to another registered authority competent "
                          f"in {request['area']}")
    if event["type"] in ("request.sent", "request.forwarded", "request.reassigned"):
        _check_content_unchanged(request, event["payload"])
    if event["type"] == "request.allocated":
        handlers = event["payload"].get("handlers")
        if not isinstance(handlers, list) or not handlers or any(
                (_user(conn, str(h)) or {}).get("authority") != request["responder"] for h in handlers):
            raise Refusal("invalid", f"handlers must be users of {request['responder']}")


IDENTITY_KEYS = ("area", "requester", "subject", "questionnaire", "qversion", "questions", "person")


def _check_content_unchanged(request: dict[str, Any], payload: dict[str, Any]) -> None:
    """Sending or passing a request on carries its content to the new reader; it must be the
    content the request has, documents included, not a rewritten one."""
    import base64
    import hashlib

    content = payload.get("request")
    if not isinstance(content, dict):
        raise Refusal("invalid", "the step carries the request's content")
    record = request["record"]
    changed = [k for k in IDENTITY_KEYS if content.get(k) != record.get(k)]
    try:
        hashes = sorted(hashlib.sha256(base64.b64decode(a["content_b64"], validate=True)).hexdigest()
                        for a in content.get("attachments") or [])
    except (ValueError, TypeError, KeyError):
        raise Refusal("invalid", "an attachment's content is not base64") from None
    if hashes != sorted(a["sha256"] for a in record.get("attachments") or []):
        changed.append("attachments")
    if changed:
        raise Refusal("invalid", f"the request's content differs from the request ({', '.join(changed)})")


def check_party(conn: Any, event: dict[str, Any]) -> None:
    """Before anything about a request is said to its author: does the author's authority take
    part in it? An outsider gets the same answer whether the request exists or not."""
    if not event["type"].startswith("request.") or event["type"] == "request.drafted":
        return
    from imi_cli.exchanges.requests.access import coordinates, parties
    from imi_cli.exchanges.requests.projection import load

    entity = event["subject"]["entity"]
    request = load(conn, entity.split("/", 1)[1])
    mine = event["actor"].get("authority")
    if request is None or not isinstance(mine, str) or not (
            mine in parties(conn, request["requester"], request["responder"])
            or coordinates(conn, mine, request["requester"]) or coordinates(conn, mine, request["responder"])):
        raise Refusal("not_allowed", f"{entity} is not a request your authority takes part in")


def _check_answers_fit(request: dict[str, Any], payload: dict[str, Any]) -> None:
    """The hub checks answers against the question set too: a node cannot slip in bad ones."""
    import dataclasses

    from imi_cli.errors import ImiError, NotFound
    from imi_cli.questionnaires.answers import validate_answers
    from imi_cli.questionnaires.registry import catalogs

    record = request["record"]
    try:  # the version the request was made with, loaded once per process
        qset = catalogs().get(record["questionnaire"], record["qversion"])
    except NotFound as missing:
        raise Refusal("invalid", missing.message) from None
    try:
        asked = dataclasses.replace(qset, questions=tuple(q for q in qset.questions
                                                          if q.id in record["questions"]))
        validate_answers(asked, payload["answers"], payload["lang"])
    except ImiError as bad:
        raise Refusal("invalid", f"the answers do not fit the question set: {bad.message}") from None


def check_payload(event: dict[str, Any]) -> None:
    from imi_cli.directory.records import check_authority, check_user

    problems: list[Problem] = []
    p, type_ = event["payload"], event["type"]
    if type_.startswith("authority."):
        raw = p.get("authority") if isinstance(p.get("authority"), dict) else {}
        if check_authority(raw, "event", problems) != raw and not problems:
            raise Refusal("invalid", "the authority record is not in its normal form")
    elif type_ in ("user.registered", "user.updated"):
        raw = p.get("user") if isinstance(p.get("user"), dict) else {}
        if check_user(raw, "event", problems) != raw and not problems:
            raise Refusal("invalid", "the user record is not in its normal form")
    elif type_ in ("user.invited", "user.revoked") and not isinstance(p.get("user"), str):
        raise Refusal("invalid", "the payload needs the user's id")
    elif type_ == "user.invited" and not all(isinstance(p.get(k), str) for k in ("code_hash", "expires_at")):
        raise Refusal("invalid", "an invitation needs code_hash and expires_at")
    elif type_ == "message.sent":
        if not all(isinstance(p.get(k), str) for k in ("from", "to", "subject", "text", "lang")):
            raise Refusal("invalid", "a message needs from, to, subject, text and lang")
        if not str(event["subject"].get("entity", "")).startswith("message/"):
            raise Refusal("invalid", "a message's subject is message/<id>")
    if problems:
        raise Refusal("invalid", "; ".join(str(pr) for pr in problems))
    if type_.startswith("request."):
        from imi_cli.exchanges.requests.payloads import check_request_payload

        check_request_payload(event, Refusal)
    entity = event["subject"].get("entity")
    if not isinstance(entity, str) or not isinstance(event["subject"].get("version"), int):
        raise Refusal("invalid", "the subject needs an entity and the version its author saw")
    expected = _entity_of(type_, p)
    if expected is not None and entity != expected:
        raise Refusal("invalid", f"the subject of a {type_} is {expected}")
    if type_ == "user.invited":
        _check_invitation_terms(p)
    _check_time(event["at"])


def _entity_of(type_: str, p: dict[str, Any]) -> str | None:
    """The entity a directory event must name: the very record its payload is about (else an
    event could update one record while its checks looked at another)."""
    if type_.startswith("authority."):
        return f"authority/{p['authority'].get('id')}"
    if type_ in ("user.registered", "user.updated"):
        return f"user/{p['user'].get('id')}"
    if type_ == "user.revoked":
        return f"user/{p['user']}"
    if type_ == "user.invited":
        return f"invitation/{p['code_hash'][:16]}"
    return None


def _check_invitation_terms(p: dict[str, Any]) -> None:
    import re
    from datetime import timedelta

    from imi_cli.log import clock

    if not re.fullmatch(r"[0-9a-f]{64}", p["code_hash"]):
        raise Refusal("invalid", "an invitation's code_hash is a SHA-256 in hex")
    expires = _utc_time(p["expires_at"], "an invitation's expires_at")
    if expires > clock.now() + timedelta(days=INVITATION_DAYS + 1):
        raise Refusal("invalid", f"an invitation expires within {INVITATION_DAYS} days")


def _utc_time(value: str, what: str) -> Any:
    """The instant ``value`` names, if it is in the one form the hub stores and compares as
    text (2026-01-05T09:00:00.000Z); other ISO 8601 forms would sort wrongly."""
    from imi_cli.log import clock

    try:
        when = clock.parse_instant(value)
    except Exception:
        when = None
    if when is None or clock.iso(when) != value:
        raise Refusal("invalid", f"{what} is not a UTC time like 2026-01-05T09:00:00.000Z")
    return when


def _check_time(at: str) -> None:
    """An event's time is its author's (work done offline is pushed later), but it is a real
    time and not in the future; what the hub decides by time, it decides by its own clock."""
    from datetime import timedelta

    from imi_cli.log import clock

    when = _utc_time(at, "the event's time (at)")
    if when > clock.now() + timedelta(seconds=CLOCK_SKEW_SECONDS):
        raise Refusal("invalid", "the event's time (at) is in the future: check the author's clock")


def check_transition(conn: Any, event: dict[str, Any]) -> None:
    entity, seen = event["subject"]["entity"], event["subject"]["version"]
    current = entity_version(conn, entity)
    if event["type"] in CREATES and current > 0:
        raise Refusal("illegal_transition", f"{entity} already exists")
    if event["type"] in UPDATES and current == 0:
        raise Refusal("illegal_transition", f"{entity} does not exist")
    # Stale: someone else changed it after the version its author saw. The author's own
    # later events (made offline, in a row) build on each other and do not count, and nor do
    # the hub's reminders, which change nothing anyone decides on.
    row = conn.execute("SELECT max(l.seq) FROM entity_log l JOIN events e ON e.seq = l.seq "
                       "WHERE l.entity = ? AND l.seq > ? AND l.author != ? AND e.type NOT IN ('request.reminder')",
                       (entity, seen, event["signature"]["by"])).fetchone()
    if row[0] is not None:
        raise Refusal("stale", f"{entity} was changed by someone else (at {row[0]}) after the version "
                      f"its author saw ({seen})")
