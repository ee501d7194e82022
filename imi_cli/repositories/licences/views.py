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
    from imi_cli.safe_text import safe_text as t

    c = v["company"]
    lines = [f"licence {t(v['number'])} ({t(v['country'])}, issued by {t(v['authority'])})",
             f"company: {t(c['name'])}, {t(c['registration_number'])}, {t(c['address'])}",
             f"valid from {t(v['valid_from'])} to {t(v['valid_to'])}; today ({t(v['today']['on'])}): "
             f"{'VALID' if v['today']['valid'] else 'NOT VALID'} — {t(v['today']['reason'])}",
             "conditions: " + ", ".join(f"{t(k)}: {'yes' if on else 'no'}" for k, on in v["conditions"].items())]
    for h in v["hosts"]:
        lines.append(f"may operate in {t(h['country'])} from {t(h['start'])} (notified {t(h['notice_date'])}): "
                     f"{', '.join(t(x) for x in h['transport_types'])}; weapons: {t(h['weapons']) or '-'}; "
                     f"staff: {len(h['staff'])}")
    for s in v["suspensions"]:
        where = "everywhere (by the home state)" if s["scope"] == v["country"] else f"in {t(s['scope'])} (host state)"
        lines.append(f"suspended {where} from {t(s['from'])} to {t(s['to'])} by {t(s['by'])}"
                     + (f", lifted {t(s['resumed_on'])}" if s.get("resumed_on") else "") + f": {t(s['reason'])}")
    if v["withdrawn"]:
        w = v["withdrawn"]
        lines.append(f"withdrawn on {t(w['on'])} by {t(w['by'])}: {t(w['reason'])}")
    for s in v["sanctions"]:
        amount = f" EUR {t(s['amount_eur'])}" if "amount_eur" in s else ""
        lines.append(f"{t(s['kind'])} ({t(s['at'])[:10]}){amount}: {t(s['reason'])}")
    for b in v["bans"]:
        lines.append(f"banned from applying for a licence until {t(b['until'])}: {t(b['reason'])}")
    return "\n".join(lines) + "\n"
