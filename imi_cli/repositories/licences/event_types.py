"""The licence's event types. Every CIT-area authority of the network receives them
(audience ``area:euro-cash-in-transit``); nobody else does. Only a licensing authority of the
company's home member state issues, changes, suspends, lifts, withdraws, sanctions and bans; an
authority of a host state suspends the right to operate on its own territory, for at most 2
months (Regulation (EU) No 1214/2011 Art. 4, 12, 22)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from imi_cli.directory.event_types import actor_of
from imi_cli.protocol.refusal import Refusal
from imi_cli.protocol.registry import CREATE, EventType, declare
from imi_cli.protocol.schemas import BOOL, DATE, ID, array, obj, text
from imi_cli.protocol.view import RulesView
from imi_cli.repositories.licences import rules
from imi_cli.repositories.licences.projection import apply_licence, licence_number

COUNTRY = {"type": "string", "pattern": "^[A-Z]{2}$"}
COMPANY = obj({"name": text(300, 1), "registration_number": text(100, 1), "address": text(500, 1)})
CONDITIONS = obj({"good_repute": BOOL, "insurance": BOOL, "staff_vehicles_procedures": BOOL},
                 {"national_licence": BOOL, "cit_activity_24_months": BOOL})
LICENCE = obj({"number": ID, "country": COUNTRY, "authority": ID, "company": COMPANY, "valid_from": DATE,
               "valid_to": DATE, "conditions": CONDITIONS}, {"contact": text(300, 1)})
STAFF = obj({"name": text(200, 1)}, {"id_document": text(100, 1)})
PAYLOADS: dict[str, dict[str, Any]] = {
    "licence.issued": obj({"licence": LICENCE}),
    "licence.changed": obj({"reason": text(2000, 1)}, {"company": COMPANY, "valid_to": DATE,
                                                         "conditions": CONDITIONS, "contact": text(300, 1)}),
    "licence.host_notified": obj({"host": COUNTRY, "notice_date": DATE, "start": DATE,
                                  "transport_types": array(text(100, 1), 20, 1), "staff": array(STAFF, 500),
                                  "weapons": text(500)}, {"override_reason": text(2000, 1)}),
    "licence.suspended": obj({"scope": COUNTRY, "from": DATE, "to": DATE, "reason": text(2000, 1)}),
    "licence.resumed": obj({"scope": COUNTRY, "on": DATE}),
    "licence.withdrawn": obj({"on": DATE, "reason": text(2000, 1)}),
    "licence.banned": obj({"until": DATE, "reason": text(2000, 1)}),
    "licence.sanctioned": obj({"kind": {"enum": ["warning", "fine"]}, "reason": text(2000, 1)},
                              {"amount_eur": {"type": "number", "minimum": 0, "maximum": 1e9}}),
}
HOME_STEPS = ("licence.issued", "licence.changed", "licence.host_notified", "licence.withdrawn",
              "licence.banned", "licence.sanctioned")


def _licence(view: RulesView, event: dict[str, Any]) -> dict[str, Any] | None:
    return view.licence(licence_number(event))


def _audience(view: RulesView, event: dict[str, Any]) -> list[str]:
    return [f"area:{rules.AREA}"]


def _party(view: RulesView, event: dict[str, Any]) -> None:
    """Licences are for the authorities competent in cash-in-transit: anyone else is told
    the same whether the licence exists or not."""
    mine = view.authority(event["actor"].get("authority"))
    if mine is None or rules.AREA not in (mine.get("areas") or {}):
        raise Refusal("not_allowed", "licences are kept by and for the authorities competent in {area}",
                      area=rules.AREA)


def _day(value: str, field: str) -> dt.date:
    day = rules.date(value)
    if day is None:
        raise Refusal("invalid", "{field} {value!r} is not a date", field=field, value=value)
    return day


def _check(view: RulesView, event: dict[str, Any]) -> None:
    type_, p = event["type"], event["payload"]
    if type_ == "licence.issued":
        check_licence(p["licence"])
    elif type_ == "licence.changed" and len(p) == 1:
        raise Refusal("invalid", "a change changes something: company, valid_to, conditions or contact")
    elif type_ == "licence.suspended" and _day(p["to"], "to") < _day(p["from"], "from"):
        raise Refusal("invalid", "a suspension ends on or after the day it starts", field="to")
    elif type_ == "licence.host_notified":
        notice, start = _day(p["notice_date"], "notice_date"), _day(p["start"], "start")
        if start < rules.add_months(notice, rules.NOTICE_MONTHS) and not p.get("override_reason"):
            raise Refusal("invalid", "the start ({start}) is less than {months} months after the "
                          "notice ({notice}): give the reason it may start earlier (--override-reason)",
                          field="start", start=start.isoformat(), months=rules.NOTICE_MONTHS,
                          notice=notice.isoformat())


def check_licence(licence: dict[str, Any]) -> None:
    start, end = _day(licence["valid_from"], "valid_from"), _day(licence["valid_to"], "valid_to")
    last = rules.add_years(start, rules.MAX_YEARS) - dt.timedelta(days=1)  # both ends count
    if end <= start or end > last:
        raise Refusal("invalid", "a licence is valid for at most {years} years: valid_to must be "
                      "after valid_from and no later than {last}", field="valid_to", years=rules.MAX_YEARS,
                      last=last.isoformat())
    check_conditions(licence["conditions"])
    if not licence["number"].upper().startswith(licence["country"]):
        raise Refusal("invalid", "a licence number begins with its issuing state ({country})",
                      field="number", country=licence["country"])


def check_conditions(c: dict[str, Any]) -> None:
    missing = [k for k in ("good_repute", "insurance", "staff_vehicles_procedures") if not c.get(k)]
    if not (c.get("national_licence") or c.get("cit_activity_24_months")):
        missing.insert(0, "national_licence or cit_activity_24_months")
    if missing:
        raise Refusal("invalid", "a licence is issued only when every condition is met; not met: "
                      "{conditions}", field="conditions", conditions=", ".join(missing))


def _authorize(view: RulesView, event: dict[str, Any]) -> None:
    from imi_cli.directory.event_types import has_role
    from imi_cli.exchanges.alerts.event_types import has_role_in

    type_, p = event["type"], event["payload"]
    user, actor = actor_of(view, event)
    licence = _licence(view, event)
    licensing = has_role_in(user, rules.ROLE, rules.AREA)
    if type_ == "licence.issued":
        named = view.authority(p["licence"]["authority"])
        if named is None or named.get("country") != p["licence"]["country"] or rules.AREA not in named.get("areas", {}):
            raise Refusal("invalid", "a licence names a licensing authority of {country} "
                          "competent in {area}", field="authority", country=p["licence"]["country"],
                          area=rules.AREA)
        # its own licensing officer, or a coordinator covering it (a bulk import)
        if not ((licensing and named["id"] == actor["id"])
                or (has_role(user, "coordinator") and view.covers(actor, named))):
            raise Refusal("not_allowed", "a licence of {authority} is issued by its licensing officers "
                          "or its coordinators", role=rules.ROLE, authority=named["id"])
    elif not (licensing or (type_ == "licence.changed" and licence is not None and has_role(user, "coordinator")
                            and view.covers(actor, view.authority(licence["authority"])))):
        raise Refusal("not_allowed", "that needs the {role} role in {area}", role=rules.ROLE, area=rules.AREA)
    home = p["licence"]["country"] if type_ == "licence.issued" else (licence or {}).get("country")
    scope = p.get("scope") if type_ in ("licence.suspended", "licence.resumed") else home
    if scope != actor["country"]:
        raise Refusal("not_allowed", "only a licensing authority of {country} may do that "
                      "(yours is of {own})", country=scope, own=actor["country"])
    if licence is None:
        return
    if licence.get("withdrawn_on") and type_ not in ("licence.banned", "licence.sanctioned"):
        raise Refusal("illegal_transition", "licence {number} was withdrawn on {day}", number=licence["number"],
                      day=licence["withdrawn_on"])
    at = dt.date.fromisoformat(event["at"][:10])
    if type_ == "licence.suspended":
        _check_suspension(licence, p)
    elif type_ == "licence.resumed":
        if not any(s["scope"] == p["scope"] and not s.get("resumed_on") and s["from"] <= p["on"] <= s["to"]
                   for s in licence["record"].get("suspensions", [])):
            raise Refusal("illegal_transition", "licence {number} has no suspension in {country} "
                          "in force on {day}", number=licence["number"], country=p["scope"], day=p["on"])
    elif type_ == "licence.banned" and _day(p["until"], "until") > rules.add_years(at, rules.MAX_BAN_YEARS):
        raise Refusal("invalid", "a ban lasts up to {years} years", field="until", years=rules.MAX_BAN_YEARS)
    elif type_ == "licence.changed" and ("valid_to" in p or "conditions" in p):
        check_licence({**licence["record"]["licence"], **{k: p[k] for k in ("valid_to", "conditions") if k in p}})


def _check_suspension(licence: dict[str, Any], p: dict[str, Any]) -> None:
    start, end = _day(p["from"], "from"), _day(p["to"], "to")
    if end > rules.add_months(start, rules.MAX_SUSPENSION_MONTHS) - dt.timedelta(days=1):
        raise Refusal("invalid", "a suspension lasts at most {months} months", field="to",
                      months=rules.MAX_SUSPENSION_MONTHS)
    if p["scope"] == licence["country"]:
        if (end - start).days + 1 < 14:
            raise Refusal("invalid", "a suspension of a licence lasts at least 2 weeks", field="to")
        return
    if not any(h["country"] == p["scope"] for h in licence["record"].get("hosts", [])):
        raise Refusal("not_allowed", "{country} is not a state the company was notified to operate in",
                      country=p["scope"])


def _declare() -> None:
    for name, schema in PAYLOADS.items():
        declare(EventType(
            name, schema, "licence/" if name != "licence.issued" else (lambda p: f"licence/{p['licence']['number']}"),
            _audience, _authorize, _check, _party, project=apply_licence,
            transition=CREATE if name == "licence.issued" else "update", retention="directory",
            # the staff a company may send abroad are people: their names travel as disclosures
            personal=((("payload", "staff", "*"), None),) if name == "licence.host_notified" else ()))


_declare()
