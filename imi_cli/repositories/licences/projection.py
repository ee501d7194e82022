"""Folding licence events into the ``licences`` table (nodes and hub alike): the licence as it
stands, its host states, suspensions, sanctions, bans and who did what when."""

from __future__ import annotations

import json
from typing import Any

from imi_cli.directory.search import fold
from imi_cli.log.redaction import forgets

COLUMNS = ("number", "country", "authority", "company_name", "company_folded", "registration_number",
           "valid_from", "valid_to", "withdrawn_on", "banned_until", "last_activity", "record")


def licence_number(event: dict[str, Any]) -> str:
    return str(event["subject"]["entity"]).split("/", 1)[1]


def load(conn: Any, number: str) -> dict[str, Any] | None:
    row = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM licences WHERE number = ?", (number,)).fetchone()
    if row is None:
        return None
    data = dict(zip(COLUMNS, row, strict=True))
    data["record"] = json.loads(data["record"])
    return data


def _save(conn: Any, lic: dict[str, Any]) -> None:
    company = lic["record"]["licence"]["company"]
    lic.update(company_name=company["name"], company_folded=fold(company["name"]),
               registration_number=fold(company["registration_number"]))
    values = [lic.get(c) for c in COLUMNS[:-1]] + [json.dumps(lic["record"], ensure_ascii=False, sort_keys=True)]
    _unindex(conn, lic["number"])  # INSERT OR REPLACE gives the row a new rowid: its trigrams follow
    cursor = conn.execute(f"INSERT OR REPLACE INTO licences({', '.join(COLUMNS)}) "
                          f"VALUES ({','.join('?' * len(COLUMNS))})", values)
    conn.execute("INSERT INTO licences_trigram(rowid, company_folded) VALUES (?, ?)",
                 (cursor.lastrowid, lic["company_folded"]))


def _unindex(conn: Any, number: str) -> None:
    conn.execute("DELETE FROM licences_trigram WHERE rowid IN (SELECT rowid FROM licences WHERE number = ?)",
                 (number,))


def apply_licence(conn: Any, event: dict[str, Any]) -> None:
    type_, p = event["type"], event["payload"]
    if type_ == "licence.issued":
        data = p["licence"]
        lic: dict[str, Any] = {"number": data["number"], "country": data["country"], "authority": data["authority"],
                               "valid_from": data["valid_from"], "valid_to": data["valid_to"],
                               "record": {"licence": data, "hosts": [], "suspensions": [], "sanctions": [],
                                          "bans": [], "history": []}}
    else:
        found = load(conn, licence_number(event))
        if found is None:
            return
        lic = found
        _step(lic, event)
    entry = {"at": event["at"], "type": type_, "authority": event["actor"].get("authority"),
             "user": event["actor"].get("user")}
    detail = {k: v for k, v in p.items() if k not in ("licence", "staff")}
    if detail:
        entry["detail"] = detail
    lic["record"]["history"].append(entry)
    lic["last_activity"] = event["at"]
    _save(conn, lic)


def _step(lic: dict[str, Any], event: dict[str, Any]) -> None:
    type_, p, record = event["type"], event["payload"], lic["record"]
    by = event["actor"].get("authority")
    if type_ == "licence.changed":
        record["licence"].update({k: v for k, v in p.items() if k != "reason"})
        lic["valid_to"] = record["licence"]["valid_to"]
    elif type_ == "licence.host_notified":
        staff = [s for s in p["staff"] if isinstance(s, dict) and "name" in s]  # withheld or erased: not listed
        record["hosts"].append({"country": p["host"], "notice_date": p["notice_date"], "start": p["start"],
                                "transport_types": p["transport_types"], "staff": staff, "weapons": p["weapons"],
                                **({"override_reason": p["override_reason"]} if p.get("override_reason") else {})})
    elif type_ == "licence.suspended":
        record["suspensions"].append({"scope": p["scope"], "from": p["from"], "to": p["to"], "reason": p["reason"],
                                      "by": by})
    elif type_ == "licence.resumed":
        for s in record["suspensions"]:
            if s["scope"] == p["scope"] and not s.get("resumed_on") and s["from"] <= p["on"] <= s["to"]:
                s["resumed_on"] = p["on"]
    elif type_ == "licence.withdrawn":
        lic["withdrawn_on"] = p["on"]
        record["withdrawn"] = {"on": p["on"], "reason": p["reason"], "by": by}
    elif type_ == "licence.banned":
        record["bans"].append({"until": p["until"], "reason": p["reason"], "by": by, "at": event["at"]})
        lic["banned_until"] = max(b["until"] for b in record["bans"])
    elif type_ == "licence.sanctioned":
        record["sanctions"].append({"kind": p["kind"], "reason": p["reason"], "by": by, "at": event["at"],
                                    **({"amount_eur": p["amount_eur"]} if "amount_eur" in p else {})})


@forgets("licence/")
def _forget(conn: Any, entity: str) -> None:
    _unindex(conn, entity.split("/", 1)[1])
    conn.execute("DELETE FROM licences WHERE number = ?", (entity.split("/", 1)[1],))
