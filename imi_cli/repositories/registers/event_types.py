"""The register's event types. Every store receives the directory of registers (audience
``*``); a national coordinator adds and changes its country's entries, an area coordinator
those of its areas (``directory.coordination``: the same rule as for authorities)."""

from __future__ import annotations

from typing import Any

from imi_cli.directory.event_types import actor_of, has_role
from imi_cli.protocol.audience import NETWORK
from imi_cli.protocol.refusal import Refusal
from imi_cli.protocol.registry import ANY, EventType, declare
from imi_cli.protocol.schemas import ID, array, mapping, obj, text
from imi_cli.protocol.view import RulesView
from imi_cli.repositories.registers.projection import apply_register

_LANG_KEY = {"type": "string", "pattern": r"^[a-z]{2,3}$"}
_AREA = {"type": "string", "pattern": r"^[a-z][a-z0-9-]{0,63}$"}
ACCESS = obj({"how": {"enum": ["online", "on_request", "online_and_on_request"]}},
             {"url": text(500, 1), "fee": text(200, 1), "terms": text(2000, 1)})
REGISTER = obj({"id": ID, "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
                "names": mapping(text(300, 1), _LANG_KEY, 40), "holder": ID, "area": _AREA,
                "covers": array(text(200, 1), 100, 1), "access": ACCESS, "languages": array(_LANG_KEY, 30, 1)},
               {"contents": mapping(text(2000, 1), _LANG_KEY, 40), "legal_basis": text(500, 1)})
PAYLOADS = {"register.recorded": obj({"register": REGISTER})}


def _audience(view: RulesView, event: dict[str, Any]) -> list[str]:
    return [NETWORK]


def _check(view: RulesView, event: dict[str, Any]) -> None:
    from imi_cli.reference.areas import area_ids
    from imi_cli.reference.countries import normalize_country

    r = event["payload"]["register"]
    if normalize_country(r["country"]) != r["country"]:
        raise Refusal("invalid", "{country!r} is not an IMI country", field="country", country=r["country"])
    if r["area"] not in area_ids():
        raise Refusal("invalid", "{area!r} is not a legislative area", field="area", area=r["area"])
    if not r["id"].upper().startswith(r["country"]):
        raise Refusal("invalid", "a register's id begins with its country ({country})", field="id",
                      country=r["country"])
    if r["access"]["how"] != "on_request" and not r["access"].get("url"):
        raise Refusal("invalid", "a register consulted online gives its url", field="access")


def _authorize(view: RulesView, event: dict[str, Any]) -> None:
    r = event["payload"]["register"]
    user, actor = actor_of(view, event)
    holder = view.authority(r["holder"])
    if holder is None or holder.get("country") != r["country"]:
        raise Refusal("invalid", "the register's holder is an authority of {country} in the directory",
                      field="holder", country=r["country"])
    from imi_cli.repositories.registers.projection import load

    # the entry as it is to be, and as it is now: who changes one must cover both (an area
    # coordinator cannot take over another area's register by re-recording its id)
    existing = load(view.conn, r["id"])
    for entry in (r, existing) if existing else (r,):
        target = {"id": entry["holder"], "country": entry["country"], "kind": "authority",
                  "areas": {entry["area"]: []}}
        if not (has_role(user, "coordinator") and view.covers(actor, target)):
            raise Refusal("not_allowed", "the registers of {country} in {area} are recorded by "
                          "its national coordinator or the area's coordinator", country=entry["country"],
                          area=entry["area"])


declare(EventType("register.recorded", PAYLOADS["register.recorded"], lambda p: f"register/{p['register']['id']}",
                  _audience, _authorize, _check, project=apply_register, transition=ANY, retention="directory"))
