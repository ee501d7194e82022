"""The demo's repositories story, short: De Nederlandsche Bank issues a euro cash-in-transit
licence, records the company's prior notice to operate in Belgium, and later suspends the
licence; the Belgian federal police check it that day in Belgium and read the suspension,
the names in French where the directory has them and the reason as the Dutch side wrote it
(in French); an authority outside cash-in-transit holds nothing of it. Then a register:
Hungary's coordinator records its register of architects, and a Finnish word finds it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from imi_cli.demo.alert import clock_at
from imi_cli.demo.network import _nodes, _register
from imi_cli.i18n import formats, language, nt, t

Say = Callable[[str], None]
CIT = "euro-cash-in-transit"
NUMBER = "NL-CIT-0417"
COMPANY = "Geldtransport Zuid B.V."  # fictional
REASON = "Assurance de responsabilité civile expirée ; suspension jusqu'au renouvellement."
SUSPENSION_DAYS = 30  # from 2 weeks to 2 months (Regulation (EU) No 1214/2011 Art. 22)

CAST = {
    "NL": ({"id": "NL-DNB", "country": "NL", "names": {"nl": "De Nederlandsche Bank"}, "languages": "nl;en",
            "areas": CIT, "competences": "geldtransport", "email": "cit@example.nl", "coordinator": "NL-NCO"},
           {"id": "nl.jansen", "name": "Jansen Pieter", "email": "p.jansen@example.nl", "authority": "NL-DNB",
            "roles": "licensing_officer"}),
    "BE": ({"id": "BE-POL", "country": "BE", "names": {"fr": "Police fédérale", "nl": "Federale Politie"},
            "languages": "fr;nl;de", "areas": CIT, "competences": "transport de fonds", "email": "cit@example.be",
            "coordinator": "BE-NCO"},
           {"id": "be.dubois", "name": "Dubois Claire", "email": "c.dubois@example.be", "authority": "BE-POL",
            "roles": "request_handler"}),
}
REGISTER = {"id": "HU-REG-ARCH", "country": "HU", "holder": "HU-MEK", "area": "professional-qualifications",
            "names": {"hu": "Építészek névjegyzéke", "en": "Register of architects"}, "covers": "architect",
            "access": "online", "url": "https://www.example.hu/nevjegyzek", "languages": "hu"}


def _coordinators(hub: Any, workdir: Path, url: str, sync: Callable[[Any], Any]) -> dict[str, Any]:
    """The Dutch and Belgian national coordinators, invited by the operator, enrolled side by side."""
    from imi_cli.directory.invitations import coordinator_records

    codes = {}
    for country, lang, name in (("NL", "nl", "Nationaal IMI-coördinator"), ("BE", "fr", "Coordinateur national IMI")):
        c = country.lower()
        record, user = coordinator_records(f"{country}-NCO", country, name, lang, f"{lang};en", f"{CIT};services",
                                           f"imi@example.{c}", f"{c}.coord", f"Coordinator {country}",
                                           f"coord@example.{c}")
        codes[country] = hub.invite_coordinator(record, user)
    made = _nodes(workdir, url, {f"{c.lower()}-coordinator": code for c, code in codes.items()})
    for store in made.values():
        sync(store)
    return {c: made[f"{c.lower()}-coordinator"] for c in codes}


def _name(conn: Any, authority: str, lang: str) -> tuple[str, str]:
    """An authority's name in ``lang`` where the directory has one, else in its own language."""
    import json

    from imi_cli.reference.languages import pick

    record = json.loads(conn.execute("SELECT record FROM authorities WHERE id = ?", (authority,)).fetchone()[0])
    return pick(record["names"], lang, record["languages"][0])


def run_repositories(say: Say, hub: Any, url: str, coords: dict[str, Any], users: dict[str, Any],
                     workdir: Path, sync: Callable[[Any], Any], first: int = 24) -> dict[str, Any]:
    """``coords``: the HU coordinator's store among them; ``users``: hu.kovacs (HU, an authority
    outside cash-in-transit) and ie.murphy (IE); all enrolled at the hub served at ``url``.
    ``first``: the number of the story's first step."""
    stores = _coordinators(hub, workdir, url, sync)
    try:
        codes = {user["id"]: _register(stores[c], authority, user) for c, (authority, user) in CAST.items()}
        made = _nodes(workdir, url, codes)
        nl, be = (made[CAST[c][1]["id"]] for c in ("NL", "BE"))
        stores.update({"NL-DNB": nl, "BE-POL": be})
        for store in (nl, be):
            sync(store)
        # Translators: {area} is the code of an area of IMI (euro-cash-in-transit)
        say(t("{step}. The operator invites Dutch and Belgian coordinators. They register NL-DNB (De Nederlandsche"
              " Bank; nl.jansen,\n    licensing officer) and BE-POL (Police fédérale; be.dubois), both in {area}."
              " Each user enrols.", step=first, area=CIT))
        result = _licence(say, first + 1, nl, be, users["HU"], sync)
        result["register"] = _register_story(say, first + 3, coords["HU"], users["IE"], sync)
        return result
    finally:
        for store in stores.values():
            store.close()


def _licence(say: Say, step: int, nl: Any, be: Any, outsider: Any, sync: Callable[[Any], Any]) -> dict[str, Any]:
    from imi_cli.log import clock
    from imi_cli.repositories.licences.projection import load
    from imi_cli.repositories.licences.rules import add_months, add_years
    from imi_cli.repositories.licences.service import Licences
    from imi_cli.repositories.licences.views import check, view

    today = clock.now().date()
    officer = Licences(nl)
    start = add_months(today, 2)
    with language("nl"):  # nl.jansen's steps, as `imi --lang nl cit issue/notify` run
        officer.issue({"number": NUMBER, "company": {"name": COMPANY, "registration_number": "KVK 90417000",
                                                     "address": "Stationsplein 1, Eindhoven"},
                       "valid_from": today.isoformat(),
                       "valid_to": (add_years(today, 5) - dt.timedelta(days=1)).isoformat(),
                       "conditions": {"national_licence": True, "good_repute": True, "insurance": True,
                                      "staff_vehicles_procedures": True}})
        officer.notify_host(NUMBER, host="BE", start=start.isoformat(), transport_types=["euro banknotes by road"],
                            staff=["Piet de Vries"], weapons="none")
    sync(nl)
    say(t("{step}. nl.jansen issues licence {number} to {company} for 5 years and records the company's prior"
          " notice\n    to operate in Belgium from {start} (2 months after the notice). Every CIT authority's store"
          " receives them.", step=step, number=NUMBER, company=COMPANY, start=formats.date(start)))
    day = start + dt.timedelta(days=20)
    until = day + dt.timedelta(days=SUSPENSION_DAYS - 1)
    with clock_at(dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC)):
        with language("nl"):
            officer.suspend(NUMBER, start=day.isoformat(), end=until.isoformat(), reason=REASON)
        sync(nl)
        sync(be)
        with language("fr"):  # be.dubois's steps, as `imi --lang fr cit check/show` run
            answer = check(be.conn, day.isoformat(), "BE", company="geldtransport zuid")
            licence = load(be.conn, NUMBER)
            if licence is None:
                raise RuntimeError(t("the demo's licence {number} did not reach BE-POL's store", number=NUMBER))
            suspension = view(licence, day.isoformat())["suspensions"][0]
    sync(outsider)
    held = outsider.query("SELECT count(*) FROM events WHERE type LIKE 'licence.%'")[0][0]
    by, by_lang = _name(be.conn, suspension["by"], "fr")
    reader = _name(be.conn, "BE-POL", "fr")[0]
    say(nt("{step}. On {date} (the clock moved with IMI_NOW, for this step only) nl.jansen suspends the licence"
           " for {n} day,\n    the reason written in French for the host state. be.dubois ({reader}) checks the"
           " company, by a spelling of its\n    name, for that day in BE (`imi cit check --company"
           " 'geldtransport zuid' --in BE`: exit 1):",
           "{step}. On {date} (the clock moved with IMI_NOW, for this step only) nl.jansen suspends the licence"
           " for {n} days,\n    the reason written in French for the host state. be.dubois ({reader}) checks the"
           " company, by a spelling of its\n    name, for that day in BE (`imi cit check --company"
           " 'geldtransport zuid' --in BE`: exit 1):",
           SUSPENSION_DAYS, step=step + 1, date=formats.date(day), reader=reader))
    with language("fr"):  # what be.dubois reads
        for a in answer:
            if a["valid"]:
                # Translators: {country} is a country code (BE); {reason} is the licence's state on that day
                line = t("{number}  valid in {country} on {date}: yes — {reason}", number=a["number"],
                         country=a["in"], date=formats.date(a["on"]), reason=a["reason"])
            else:
                line = t("{number}  valid in {country} on {date}: no — {reason}", number=a["number"],
                         country=a["in"], date=formats.date(a["on"]), reason=a["reason"])
            say("     " + line)
    say("    " + t("and reads the suspension (in her language; names in French where the directory has them):"))
    with language("fr"):
        # Translators: {authority} is an authority's id, {name} its name; {reason} as the suspending side wrote it
        say("     " + t("suspended by {authority}, {name}, from {start} to {end},\n     in every state (NL is the"
                        " home state): {reason}", authority=suspension["by"], name=_named(by, by_lang),
                        start=formats.date(suspension["from"]), end=formats.date(suspension["to"]),
                        reason=suspension["reason"]))
    say("    " + nt("hu.kovacs (HU-MEK, outside cash-in-transit) syncs and holds {n} licence event.",
                    "hu.kovacs (HU-MEK, outside cash-in-transit) syncs and holds {n} licence events.", held))
    return {"number": NUMBER, "issuer": licence["authority"], "reader_name_fr": reader, "check_in_be": answer,
            "suspension": suspension, "suspended_by_name": [by, by_lang], "non_cit_licence_events": held,
            "non_cit_has_licence": load(outsider.conn, NUMBER) is not None}


def _named(name: str, lang: str) -> str:
    if lang == "fr":
        return name
    # Translators: {lang} is a language code; the name is shown in that language
    return t("{name} (in {lang}: it has no French name)", name=name, lang=lang)


def _register_story(say: Say, step: int, coordinator: Any, searcher: Any, sync: Callable[[Any], Any]
                    ) -> dict[str, Any]:
    from imi_cli.repositories.registers.service import Registers, search

    registers = Registers(coordinator)
    report = registers.record_rows([("demo:1", dict(REGISTER))], source="demo")
    again = registers.record_rows([("demo:1", dict(REGISTER))], source="demo")
    sync(coordinator)
    sync(searcher)
    with language("fi"):  # as `imi --lang fi register search` shows it
        hits = search(searcher.conn, "arkkitehti", country="HU", lang="fi")
    # Translators: {recorded} and {unchanged} are numbers of registers (here 1 each)
    say(t("{step}. Hungary's coordinator records its register of architects in the directory of registers"
          " ({recorded} recorded;\n    again: {unchanged} unchanged). ie.murphy's store finds it with the Finnish"
          " word 'arkkitehti' --country HU, shown\n    in Finnish (the profession; the register has no Finnish"
          " name, so its English one stands in):", step=step, recorded=report["recorded"],
          unchanged=again["unchanged"]))
    for hit in hits:
        say(f"     {hit['id']}  {hit['name']} — {hit['covers']} — {hit['access']}")
    return {"recorded": report["recorded"], "unchanged_again": again["unchanged"],
            "found_fi": [h["id"] for h in hits], "shown_fi": hits}
