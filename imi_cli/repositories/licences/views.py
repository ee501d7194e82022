"""Looking licences up: by number, company name (any spelling: case and diacritics folded),
registration number or country, and the question a police officer asks: was it valid on
that day, in that country? Reads only this store (a CIT authority's holds every licence)."""

from __future__ import annotations

import json
from typing import Any

from imi_cli.directory.search import fold
from imi_cli.repositories.licences.projection import COLUMNS
from imi_cli.repositories.licences.rules import validity


def find(conn: Any, *, number: str | None = None, company: str | None = None, registration: str | None = None,
         country: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    where, params = [], []
    if number:
        where.append("number = ?")
        params.append(number.strip())
    if company:
        # A part of a name is found anywhere in it: from 3 characters through the trigram index
        # (licences_trigram, a fraction of a millisecond at 100,000 licences); a shorter part by
        # a scan of the index licences_company, not of the table and its records
        # (bench/bench_licences.py).
        part = fold(company.strip())
        if len(part) >= 3:
            where.append("rowid IN (SELECT rowid FROM licences_trigram WHERE licences_trigram MATCH ?)")
            params.append('"' + part.replace('"', '""') + '"')
        else:
            where.append("rowid IN (SELECT rowid FROM licences WHERE instr(company_folded, ?) > 0)")
            params.append(part)
    if registration:
        where.append("registration_number = ?")
        params.append(fold(registration.strip()))
    if country:
        where.append("country = ?")
        params.append(country.strip().upper())
    sql = (f"SELECT {', '.join(COLUMNS)} FROM licences" + (" WHERE " + " AND ".join(where) if where else "")
           + " ORDER BY number" + (f" LIMIT {int(limit)}" if limit else ""))
    out = []
    for row in conn.execute(sql, params):
        data = dict(zip(COLUMNS, row, strict=True))
        data["record"] = json.loads(data["record"])
        out.append(data)
    return out


def row(licence: dict[str, Any], day: str) -> dict[str, Any]:
    ok, reason = validity(licence, day)
    return {"number": licence["number"], "company": licence["company_name"], "country": licence["country"],
            "authority": licence["authority"], "valid_from": licence["valid_from"], "valid_to": licence["valid_to"],
            "status": "valid" if ok else "not valid", "why": reason,
            "hosts": ", ".join(sorted({h["country"] for h in licence["record"].get("hosts", [])}))}


def check(conn: Any, day: str, country: str | None, **criteria: Any) -> list[dict[str, Any]]:
    """Each licence the criteria find, with the answer for ``day`` (and ``country``) and why."""
    out = []
    for licence in find(conn, **criteria):
        ok, reason = validity(licence, day, country)
        out.append({"number": licence["number"], "company": licence["company_name"], "home": licence["country"],
                    "on": day, "in": country or licence["country"], "valid": ok, "reason": reason})
    return out


def view(licence: dict[str, Any], day: str) -> dict[str, Any]:
    record = licence["record"]
    ok, reason = validity(licence, day)
    hosts = [{k: v for k, v in h.items() if k != "staff"} | {"staff": [s.get("name") for s in h.get("staff", [])]}
             for h in record.get("hosts", [])]
    return {"number": licence["number"], "country": licence["country"], "authority": licence["authority"],
            "company": record["licence"]["company"], "valid_from": licence["valid_from"],
            "valid_to": licence["valid_to"], "conditions": record["licence"]["conditions"],
            "contact": record["licence"].get("contact"), "today": {"on": day, "valid": ok, "reason": reason},
            "hosts": hosts, "suspensions": record.get("suspensions", []), "withdrawn": record.get("withdrawn"),
            "sanctions": record.get("sanctions", []), "bans": record.get("bans", []),
            "history": record.get("history", [])}


def as_text(v: dict[str, Any]) -> str:
    """The view as a person reads it, in the interface language; days as the language writes them
    (the reason of today's answer is the rules' English sentence)."""
    from imi_cli.i18n import formats, t
    from imi_cli.safe_text import safe_text as safe

    def day(value: Any) -> str:
        return safe(formats.date(value)) if value else ""

    c = v["company"]
    today = v["today"]
    lines = [t("licence {number} ({country}, issued by {authority})", number=safe(v["number"]),
               country=safe(v["country"]), authority=safe(v["authority"])),
             t("company: {name}, {registration}, {address}", name=safe(c["name"]),
               registration=safe(c["registration_number"]), address=safe(c["address"])),
             _validity_line(today["valid"], start=day(v["valid_from"]), end=day(v["valid_to"]),
                            today=day(today["on"]), reason=safe(today["reason"])),
             t("conditions: {conditions}", conditions=", ".join(_condition(safe(k), on)
                                                                for k, on in v["conditions"].items()))]
    for h in v["hosts"]:
        lines.append(t("may operate in {country} from {start} (notified {notified}): {transport}; weapons: {weapons}; "
                       "staff: {staff}", country=safe(h["country"]), start=day(h["start"]),
                       notified=day(h["notice_date"]), transport=", ".join(safe(x) for x in h["transport_types"]),
                       weapons=safe(h["weapons"]) or "-", staff=formats.number(len(h["staff"]))))
    for s in v["suspensions"]:
        fields = {"start": day(s["from"]), "end": day(s["to"]), "by": safe(s["by"]), "reason": safe(s["reason"]),
                  "host": safe(s["scope"]), "lifted": day(s.get("resumed_on"))}
        home = s["scope"] == v["country"]
        if home and s.get("resumed_on"):
            lines.append(t("suspended everywhere (by the home state) from {start} to {end} by {by}, lifted {lifted}: "
                           "{reason}", **fields))
        elif home:
            lines.append(t("suspended everywhere (by the home state) from {start} to {end} by {by}: {reason}",
                           **fields))
        elif s.get("resumed_on"):
            lines.append(t("suspended in {host} (host state) from {start} to {end} by {by}, lifted {lifted}: {reason}",
                           **fields))
        else:
            lines.append(t("suspended in {host} (host state) from {start} to {end} by {by}: {reason}", **fields))
    if v["withdrawn"]:
        w = v["withdrawn"]
        lines.append(t("withdrawn on {day} by {by}: {reason}", day=day(w["on"]), by=safe(w["by"]),
                       reason=safe(w["reason"])))
    for s in v["sanctions"]:
        fields = {"day": day(s["at"]), "reason": safe(s["reason"])}
        if s["kind"] == "warning":
            lines.append(t("warning ({day}): {reason}", **fields))
        elif "amount_eur" in s:
            lines.append(t("fine ({day}) EUR {amount}: {reason}", amount=formats.number(s["amount_eur"]), **fields))
        elif s["kind"] == "fine":
            lines.append(t("fine ({day}): {reason}", **fields))
        else:
            lines.append(f"{safe(s['kind'])} ({fields['day']}): {fields['reason']}")
    for b in v["bans"]:
        lines.append(t("banned from applying for a licence until {day}: {reason}", day=day(b["until"]),
                       reason=safe(b["reason"])))
    return "\n".join(lines) + "\n"


def _validity_line(valid: bool, **fields: str) -> str:
    from imi_cli.i18n import t

    if valid:
        # Translators: {reason} says why, in a sentence of the rules
        return t("valid from {start} to {end}; today ({today}): VALID — {reason}", **fields)
    # Translators: {reason} says why, in a sentence of the rules
    return t("valid from {start} to {end}; today ({today}): NOT VALID — {reason}", **fields)


def _condition(name: str, on: bool) -> str:
    from imi_cli.i18n import t

    return t("{condition}: yes", condition=name) if on else t("{condition}: no", condition=name)
