"""What the hub accepts: the shape of an event, the actor's right to make it, and the
transition from the version its author saw. Each refusal is a typed reason."""

from __future__ import annotations

import json
from typing import Any

from imi_cli.errors import Problem
from imi_cli.events import NETWORK, entity_version

DIRECTORY_TYPES = {"authority.registered", "authority.updated", "user.registered",
                   "user.updated", "user.enrolled", "user.revoked"}
CREATES = {"authority.registered", "user.registered", "message.sent", "user.invited"}
UPDATES = {"authority.updated", "user.updated", "user.revoked"}
HUB_ONLY = "hub"


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
    raise Refusal("not_allowed", f"the hub does not take events of type {type_!r}")


def _user(conn: Any, user_id: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT record FROM users WHERE id = ?", (user_id,)).fetchone()
    return json.loads(row[0]) if row else None


def _authority(conn: Any, ident: str | None) -> dict[str, Any] | None:
    row = conn.execute("SELECT record FROM authorities WHERE id = ?", (ident,)).fetchone()
    return json.loads(row[0]) if row else None


def _has_role(user: dict[str, Any], role: str) -> bool:
    return any(role in roles for roles in user["roles"].values())


def _covers(actor: dict[str, Any], user: dict[str, Any], target: dict[str, Any]) -> bool:
    """Does the actor's authority coordinate the target authority (country, areas)?"""
    if not _has_role(user, "coordinator") or actor["country"] != target["country"]:
        return False
    if actor["kind"] == "national_coordinator":
        return True
    return actor["kind"] == "area_coordinator" and set(target["areas"]) <= set(actor["areas"])


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
        if type_ == "authority.updated" and target.get("id") == actor["id"] and _has_role(user, "administrator"):
            return
        if not _covers(actor, user, target):
            raise Refusal("not_allowed", f"{by} may not register authorities in {target.get('country')} "
                          f"for {', '.join(target.get('areas', {})) or 'these areas'}")
    elif type_ in ("user.registered", "user.updated", "user.invited", "user.revoked"):
        target_user = p.get("user") if isinstance(p.get("user"), dict) else _user(conn, str(p.get("user")))
        target = _authority(conn, (target_user or {}).get("authority"))
        if not _may_manage(conn, user, actor, target):
            raise Refusal("not_allowed", f"{by} may not manage users of that authority")
    elif type_ == "message.sent":
        if p.get("from") != actor["id"] or _authority(conn, p.get("to")) is None:
            raise Refusal("not_allowed", "a message goes from the author's authority to a registered one")
    elif type_ == "user.enrolled":
        raise Refusal("not_allowed", "only the hub enrols users")


def check_payload(event: dict[str, Any]) -> None:
    from imi_cli.records import check_authority, check_user

    problems: list[Problem] = []
    p, type_ = event["payload"], event["type"]
    if type_.startswith("authority."):
        check_authority(p.get("authority") or {}, "event", problems)
    elif type_ in ("user.registered", "user.updated"):
        check_user(p.get("user") or {}, "event", problems)
    if problems:
        raise Refusal("invalid", "; ".join(str(pr) for pr in problems))
    entity = event["subject"].get("entity")
    if not isinstance(entity, str) or not isinstance(event["subject"].get("version"), int):
        raise Refusal("invalid", "the subject needs an entity and the version its author saw")


def check_transition(conn: Any, event: dict[str, Any]) -> None:
    entity, seen = event["subject"]["entity"], event["subject"]["version"]
    current = entity_version(conn, entity)
    if event["type"] in CREATES and current > 0:
        raise Refusal("illegal_transition", f"{entity} already exists")
    if event["type"] in UPDATES and current == 0:
        raise Refusal("illegal_transition", f"{entity} does not exist")
    if seen != current:
        raise Refusal("stale", f"{entity} is at version {current}; the event was made from version {seen}")
