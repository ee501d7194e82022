"""The directory's event types: authorities, users, invitations and keys.

Directory entries reach every store (audience ``*``), a user's name and e-mail only its own
authority and the coordinators above it (``imi_cli.directory.minimal``); invitations stay on
the hub. A national
coordinator acts for its country, an area coordinator for its areas, an authority's
administrator for its own authority (``imi_cli.directory.coordination`` says who covers whom).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, NoReturn

from imi_cli.directory import minimal, projection
from imi_cli.directory.records import KINDS, ROLES, check_authority, check_user
from imi_cli.errors import Problem
from imi_cli.i18n import N_
from imi_cli.protocol.audience import HUB_ONLY, NETWORK
from imi_cli.protocol.pipeline import utc_time
from imi_cli.protocol.refusal import Refusal
from imi_cli.protocol.registry import ANY, BOTH, CREATE, HUB, UPDATE, EventType, declare
from imi_cli.protocol.schemas import BOOL, HEX64, ID, array, mapping, obj, text
from imi_cli.protocol.view import RulesView

INVITATION_DAYS = 14
_COUNTRY_ALIASES = {"EL": ("GR",), "GR": ("EL",)}  # Greece is EL in IMI and EU usage, GR in ISO 3166
_AREA_KEY = {"type": "string", "pattern": r"^(\*|[a-z][a-z0-9-]{0,63})$"}
_LANG_KEY = {"type": "string", "pattern": r"^[a-z]{2,3}$"}

AUTHORITY = obj(
    {"id": ID, "kind": {"enum": list(KINDS)}, "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
     "names": mapping(text(300, 1), _LANG_KEY, 40), "languages": array({"type": "string"}, 30, 1),
     "areas": mapping(array(text(200), 200), _AREA_KEY, 40), "email": text(254)},
    {"phone": text(100), "address": text(500), "website": text(500), "coordinator": ID, "requires_approval": BOOL,
     "deactivated": BOOL})
USER = obj({"id": ID, "name": text(200, 1), "email": text(254), "authority": ID,
            "roles": mapping(array({"enum": list(ROLES)}, 10), _AREA_KEY, 40)})


# -- who the actor is ------------------------------------------------------
def actor_of(view: RulesView, event: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The acting user and its authority, as the view's directory knows them; the event must
    name that authority."""
    by = event["signature"]["by"]
    user = view.user(by)
    authority = view.authority(user["authority"]) if user else None
    if user is None or authority is None:
        raise Refusal("not_allowed", "{user!r} is not a registered user", user=by)
    if event["actor"].get("authority") != authority["id"]:
        raise Refusal("not_allowed", "the event names another authority than its author's")
    return user, authority


def has_role(user: dict[str, Any], role: str) -> bool:
    return any(role in roles for roles in user["roles"].values())


def coordinates(view: RulesView, user: dict[str, Any], actor: dict[str, Any], target: dict[str, Any] | None) -> bool:
    """The user acts as a coordinator over the target: the role, and the authority covers it."""
    return has_role(user, "coordinator") and view.covers(actor, target)


def may_manage(view: RulesView, user: dict[str, Any], actor: dict[str, Any], target: dict[str, Any] | None) -> bool:
    if target is None:
        return False
    return coordinates(view, user, actor, target) or (actor["id"] == target["id"] and has_role(user, "administrator"))


# -- authorities -------------------------------------------------------------
def _check_authority(view: RulesView, event: dict[str, Any]) -> None:
    record = event["payload"]["authority"]
    problems: list[Problem] = []
    if check_authority(record, "event", problems) != record:
        if problems:
            # Translators: the problems found in a record, said elsewhere: keep it as is
            raise Refusal("invalid", "{problems}", problems="; ".join(str(p) for p in problems))
        raise Refusal("invalid", "the authority record is not in its normal form")


def _check_links(view: RulesView, record: dict[str, Any]) -> None:
    """An id tied to its country (HU-...); one national coordinator per country; a coordinator
    link names a coordinator of the authority's own country that exists (a dangling id could
    be claimed later by another). Checked after the rights: who may not act learns nothing."""
    country = record["country"]
    prefix, dash, _ = record["id"].partition("-")
    if not dash or prefix.upper() not in (country, *_COUNTRY_ALIASES.get(country, ())):
        raise Refusal("invalid", "an authority's id begins with its country's code ({country}-...); "
                      "{id!r} does not", field="id", country=country, id=record["id"])
    if record["kind"] == "national_coordinator":
        other = view.national_coordinator(record["country"], record["id"])
        if other:
            raise Refusal("invalid", "{country} already has a national coordinator ({coordinator}); "
                          "there is one per country", country=record["country"], coordinator=other)
    link = record.get("coordinator")
    if link:
        coordinator = view.authority(link)
        if coordinator is None or coordinator["country"] != record["country"] or coordinator["kind"] == "authority":
            raise Refusal("invalid", "the coordinator of {id} must be a registered coordinator of "
                          "{country}; {coordinator!r} is not", field="coordinator", id=record["id"],
                          country=record["country"], coordinator=link)


def _authorize_authority(view: RulesView, event: dict[str, Any]) -> None:
    user, actor = actor_of(view, event)
    by, target = event["signature"]["by"], event["payload"]["authority"]
    old = view.authority(target["id"]) if event["type"] == "authority.updated" else None
    if old is not None and target["id"] == actor["id"]:  # its own authority
        if old.get("deactivated") != target.get("deactivated"):
            raise Refusal("not_allowed", "{user} may not deactivate or reactivate its own authority; "
                          "its coordinator does", user=by)
        if any(old.get(k) != target.get(k) for k in ("kind", "country", "coordinator")) \
                or set(old.get("areas") or {}) != set(target.get("areas") or {}):
            raise Refusal("not_allowed", "{user} may not change the kind, country, areas or coordinator "
                          "of its own authority; its coordinator does", user=by)
        if has_role(user, "administrator") or has_role(user, "coordinator"):
            return _check_links(view, target)
        raise Refusal("not_allowed", "{user} is not an administrator of {authority}", user=by, authority=actor["id"])
    if not coordinates(view, user, actor, target) or (old is not None and not coordinates(view, user, actor, old)):
        _may_not_register(by, target)
    _check_links(view, target)


def _may_not_register(by: str, target: dict[str, Any]) -> NoReturn:
    country, areas = str(target.get("country")), ", ".join(target.get("areas", {}))
    if target.get("kind") == "authority":
        if areas:
            raise Refusal("not_allowed", "{user} may not register authorities in {country} for {areas}",
                          user=by, country=country, areas=areas)
        raise Refusal("not_allowed", "{user} may not register authorities in {country} for these areas",
                      user=by, country=country)
    if areas:
        raise Refusal("not_allowed", "{user} may not register authorities in {country} for {areas} of that kind",
                      user=by, country=country, areas=areas)
    raise Refusal("not_allowed", "{user} may not register authorities in {country} for these areas of that kind",
                  user=by, country=country)


# -- users -------------------------------------------------------------------
def _check_user(view: RulesView, event: dict[str, Any]) -> None:
    record = event["payload"]["user"]
    problems: list[Problem] = []
    if check_user(record, "event", problems) != record:
        if problems:
            # Translators: the problems found in a record, said elsewhere: keep it as is
            raise Refusal("invalid", "{problems}", problems="; ".join(str(p) for p in problems))
        raise Refusal("invalid", "the user record is not in its normal form")


def _authorize_user(view: RulesView, event: dict[str, Any]) -> None:
    user, actor = actor_of(view, event)
    by, p = event["signature"]["by"], event["payload"]
    target_user = p["user"] if isinstance(p["user"], dict) else view.user(p["user"])
    target = view.authority((target_user or {}).get("authority"))
    if not may_manage(view, user, actor, target):
        raise Refusal("not_allowed", "{user} may not manage users of that authority", user=by)
    if event["type"] == "user.invited":
        _check_reinvitation(view, by, p["user"], user, actor, target)
    if event["type"] == "user.updated":  # moving a user needs the right over both authorities
        current = view.user((target_user or {}).get("id"))
        if current and not may_manage(view, user, actor, view.authority(current.get("authority"))):
            raise Refusal("not_allowed", "{user} may not manage users of {authority}", user=by,
                          authority=str(current.get("authority")))


def _check_reinvitation(view: RulesView, by: str, user_id: str, user: dict[str, Any], actor: dict[str, Any],
                        target: dict[str, Any] | None) -> None:
    """A new code for a user who already has a key replaces that key: whoever enrols it can then
    sign as the user. So a revoked user is invited again only by the operator, and a user with a
    key only by a coordinator above its authority, not by a colleague."""
    key = view.key_of(user_id)
    if key is None:
        return
    if key[1] is not None:
        raise Refusal("not_allowed", "{user} was revoked by the hub's operator; only the operator invites it again",
                      user=user_id)
    if not (target and target["id"] != actor["id"] and coordinates(view, user, actor, target)):
        raise Refusal("not_allowed", "{user} is enrolled already; a new key is for a coordinator above "
                      "{authority} to issue", user=user_id, authority=str((target or {}).get("id")))


def _check_invitation(view: RulesView, event: dict[str, Any]) -> None:
    expires = utc_time(event["payload"]["expires_at"], "an invitation's expires_at")
    if expires > view.now() + timedelta(days=INVITATION_DAYS + 1):
        raise Refusal("invalid", "an invitation expires within {days} days", days=INVITATION_DAYS)
    if view.user(event["payload"]["user"]) is None:
        raise Refusal("invalid", "no user {user!r} to invite", user=event["payload"]["user"])


def _check_left(view: RulesView, event: dict[str, Any]) -> None:
    if view.user(event["payload"]["user"]) is None:
        raise Refusal("invalid", "no user {user!r} in the directory", user=event["payload"]["user"])


def _network(view: RulesView, event: dict[str, Any]) -> list[str]:
    return [NETWORK]


def _hub_only(view: RulesView, event: dict[str, Any]) -> list[str]:
    return [HUB_ONLY]


# The minimal directory (``imi_cli.directory.minimal``): a user's name and e-mail are signed as
# digests and travel as disclosures, which the hub gives only to the user's own authority and
# the coordinators above it; every other store knows the user by id, authority and key.
USER_PERSONAL = ((("payload", "user"), minimal.PERSONAL_KEYS),)


def _invitation_entity(p: dict[str, Any]) -> str:
    return f"invitation/{p['code_hash'][:16]}"


declare(
    EventType("authority.registered", obj({"authority": AUTHORITY}), lambda p: f"authority/{p['authority']['id']}",
              _network, _authorize_authority, _check_authority, project=projection.authority,
              project_many=projection.new_authorities, transition=CREATE, made_by=BOTH),
    EventType("authority.updated", obj({"authority": AUTHORITY}), lambda p: f"authority/{p['authority']['id']}",
              _network, _authorize_authority, _check_authority, project=projection.authority, made_by=BOTH),
    EventType("user.registered", obj({"user": USER}), lambda p: f"user/{p['user']['id']}", _network,
              _authorize_user, _check_user, project=projection.user, transition=CREATE, made_by=BOTH,
              personal=USER_PERSONAL, withhold=minimal.withhold),
    EventType("user.updated", obj({"user": USER}), lambda p: f"user/{p['user']['id']}", _network,
              _authorize_user, _check_user, project=projection.user, made_by=BOTH,
              personal=USER_PERSONAL, withhold=minimal.withhold),
    EventType("user.left", obj({"user": ID}), lambda p: f"user/{p['user']}", _network, _authorize_user,
              _check_left, project=projection.left, made_by=BOTH),
    EventType("user.revoked", obj({"user": ID}, {"authority": {"anyOf": [ID, {"type": "null"}]}}),
              lambda p: f"user/{p['user']}", _network, _authorize_user, project=projection.revoked, made_by=BOTH),
    EventType("user.invited", obj({"user": ID, "code_hash": HEX64, "expires_at": text(40)}), _invitation_entity,
              _hub_only, _authorize_user, _check_invitation, project=projection.invited, transition=CREATE,
              made_by=BOTH, retention="hub"),
    EventType("user.enrolled", obj({"user": ID, "authority": {"anyOf": [ID, {"type": "null"}]},
                                    "public_key": text(64, 43)}),
              "principal/", _network, project=projection.enrolled, transition=ANY, made_by=HUB,
              hub_only_message=N_("only the hub enrols users")),
    EventType("invitation.spent", obj({"code_hash": HEX64}), _invitation_entity, _hub_only,
              project=projection.invitation_spent, transition=UPDATE, made_by=HUB, retention="hub"),
)
