"""The kinds of alert the law defines, and who receives one.

- ``pq-restriction``: a professional's practice was restricted or prohibited (Directive
  2005/36/EC Art. 56a(1)); ``pq-falsified``: a court found falsified evidence of
  qualifications (Art. 56a(3)). Both go to every other member state, within 3 days of the
  decision (Implementing Regulation (EU) 2015/983 Art. 23-24).
- ``services``: serious acts or circumstances of a service provider (Directive 2006/123/EC
  Art. 29(3) and 32), to the member states the sender picks and the European Commission.

In each receiving country the alert goes to its incoming-alert coordinators (users with the
``alert_coordinator`` role); a country without one gets it at the authorities competent for
the profession, and failing those at its national coordinator.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from imi_cli.reference.countries import COUNTRIES

COMMISSION = "EU"  # the European Commission's "country": a participant, not a member state
DAYS_TO_SEND = 3   # PQ alerts: within 3 days of the decision (Art. 56a(1))
DAYS_TO_ERASE = 3  # PQ alerts: personal data erased 3 days after the restriction ended


@dataclass(frozen=True)
class Kind:
    name: str
    area: str
    questionnaire: str
    profession: bool        # names a profession (its code)
    all_countries: bool     # to every other member state (else the ones the sender picks)
    falsified: str | None   # the answer the pq-alert catalog's falsified_evidence must have


KINDS: dict[str, Kind] = {
    "pq-restriction": Kind("pq-restriction", "professional-qualifications", "pq-alert", True, True, "no"),
    "pq-falsified": Kind("pq-falsified", "professional-qualifications", "pq-alert", True, True, "yes"),
    "services": Kind("services", "services", "services-alert", False, False, None),
}
QUESTIONNAIRES = frozenset(k.questionnaire for k in KINDS.values())
# The professions Art. 56a(1) names (codes of imi_cli/reference/data/professions.yaml).
ALERT_PROFESSIONS = ("doctor", "specialist-doctor", "nurse", "dentist", "specialist-dentist",
                     "veterinary-surgeon", "midwife", "pharmacist", "patient-safety", "education-of-minors")


def is_pq(kind: str) -> bool:
    return kind in ("pq-restriction", "pq-falsified")


def target_countries(kind: Kind, sender_country: str, chosen: list[str] | None) -> list[str]:
    """The countries an alert goes to: every other member state, or the ones chosen (never
    the sender's own) and, for services, the Commission."""
    countries = [c for c in (COUNTRIES if kind.all_countries else (chosen or [])) if c != sender_country]
    if not kind.all_countries:
        countries.append(COMMISSION)
    return sorted(set(countries))


def routing(conn: Any, kind: Kind, profession: str | None, sender_country: str,
            chosen: list[str] | None) -> dict[str, list[str]]:
    """Who receives the alert, by the store's directory: ``coordinators`` (they see who it is
    about only once they forward it to themselves) and ``direct`` recipients (they see all)."""
    targets = set(target_countries(kind, sender_country, chosen))
    coordinators = _alert_coordinators(conn, kind.area, targets)
    area_members = [json.loads(r) for (r,) in conn.execute(
        "SELECT a.record FROM authorities a JOIN authority_areas x ON x.authority_id = a.id WHERE x.area = ?",
        (kind.area,))]
    out: dict[str, list[str]] = {"coordinators": [], "direct": []}
    for country in sorted(targets):
        if coordinators.get(country):
            out["coordinators"] += coordinators[country]
            continue
        members = [a for a in area_members if a.get("country") == country]
        competent = [a["id"] for a in members if (a.get("kind") == "authority" or country == COMMISSION)
                     and (profession is None or competent_for(a, kind.area, profession))]
        if competent:  # the Commission is an addressee of its own: it reads the whole alert
            out["direct"] += competent
        else:  # nobody competent registered: the national coordinator routes it
            out["coordinators"] += [a["id"] for a in members if a.get("kind") == "national_coordinator"]
    return {k: sorted(set(v)) for k, v in out.items()}


def _alert_coordinators(conn: Any, area: str, countries: set[str]) -> dict[str, list[str]]:
    rows = conn.execute(
        "SELECT DISTINCT a.id, a.country FROM users u JOIN authorities a ON a.id = u.authority_id, "
        "json_each(u.roles) r, json_each(r.value) v "
        "WHERE v.value = 'alert_coordinator' AND r.key IN (?, '*')", (area,)).fetchall()
    found: dict[str, list[str]] = {}
    for ident, country in rows:
        if country in countries:
            found.setdefault(country, []).append(ident)
    return found


def competent_for(authority: dict[str, Any], area: str, profession: str) -> bool:
    """Does the authority list the profession (its code, or its name in any language) among
    its competences in the area?"""
    from imi_cli.reference.professions import names

    spelled = {profession.lower(), *(n.lower() for n in (names().get(profession) or {}).values())}
    competences = (authority.get("areas") or {}).get(area) or []
    return any(isinstance(c, str) and c.strip().lower() in spelled for c in competences)


def participants(record: dict[str, Any], country: str | None = None,
                 country_of: Callable[[str], str | None] | None = None) -> list[str]:
    """Audience terms of an alert's later steps: the sender and its coordinators, every
    recipient and handler (or, with ``country``, only those of that country)."""
    routing_ = record.get("routing") or {}
    named = [*routing_.get("coordinators", []), *routing_.get("direct", []), *record.get("handlers", [])]
    if country is not None and country_of is not None:
        named = [a for a in named if country_of(a) == country]
    sender = record["sender"]
    return sorted({sender, f"coordinators:{sender}", *named})
