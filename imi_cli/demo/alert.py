"""The demo's fourth act, an alert about a nurse: an Irish board warns every member state in
English; Hungary's incoming-alert coordinator reads it in Hungarian without the nurse's name
and forwards it to the nursing chamber, which reads it whole and acknowledges; a Finnish
authority competent for doctors only sees nothing of it. The sender marks it under appeal,
then closes it, and 3 days after the restriction ended (the clock moved with ``IMI_NOW``)
the personal data is erased on the hub and in every store, and the logs still verify."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from imi_cli.demo.network import _coordinator, _nodes, _register
from imi_cli.i18n import formats, language, nt, t

Say = Callable[[str], None]
NURSE = "Aoife Example"  # fictional; in ASCII, so a byte search finds it however a table stores it
PQ = "professional-qualifications"
LIFTED_AFTER_DAYS = 60  # the suspension, lifted on appeal


def _authority(ident: str, country: str, names: dict[str, str], competences: str, coordinator: str) -> dict:
    return {"id": ident, "country": country, "names": names, "languages": ";".join(names),
            "areas": PQ, "competences": competences, "email": f"alerts@example.{country.lower()}",
            "coordinator": coordinator}


def _user(ident: str, name: str, authority: str, roles: str) -> dict:
    country = authority[:2].lower()
    return {"id": ident, "name": name, "email": f"{ident}@example.{country}", "authority": authority,
            "roles": roles}


# country, authority, its user: who takes part in the story
CAST = {
    "IE-NMBI": ("IE", _authority("IE-NMBI", "IE", {"en": "Nursing and Midwifery Board of Ireland"},
                                 "nurse;midwife", "IE-NCO"),
                _user("ie.byrne", "Ciarán Byrne", "IE-NMBI", "alert_handler")),
    "HU-RIASZT": ("HU", _authority("HU-RIASZT", "HU", {"hu": "Beérkező riasztások koordinátora",
                                                       "en": "Incoming alerts coordinator"},
                                   "riasztások;alerts", "HU-NCO"),
                  _user("hu.szabo", "Szabó Péter", "HU-RIASZT", "alert_coordinator")),
    "HU-MESZK": ("HU", _authority("HU-MESZK", "HU", {"hu": "Magyar Egészségügyi Szakdolgozói Kamara",
                                                     "en": "Hungarian Chamber of Health Care Professionals"},
                                  "nurse;ápoló", "HU-NCO"),
                 _user("hu.toth", "Tóth Judit", "HU-MESZK", "alert_handler")),
    "FI-VALVIRA": ("FI", _authority("FI-VALVIRA", "FI", {"fi": "Sosiaali- ja terveysalan lupa- ja valvontavirasto",
                                                         "en": "Valvira"}, "doctor;lääkäri", "FI-NCO"),
                   _user("fi.virtanen", "Aino Virtanen", "FI-VALVIRA", "alert_handler")),
}


@contextmanager
def clock_at(instant: dt.datetime) -> Iterator[None]:
    """Set the program's clock (``IMI_NOW``) for the block, and put back what was there."""
    before = os.environ.get("IMI_NOW")
    os.environ["IMI_NOW"] = instant.isoformat()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("IMI_NOW", None)
        else:
            os.environ["IMI_NOW"] = before


def _field(alert: dict[str, Any], lang: str, me: str, ident: str) -> Any:
    from imi_cli.exchanges.alerts.render import alert_view

    return next((f["value"] for f in alert_view(alert, lang, me)["fields"] if f["id"] == ident), None)


def _lines(alert: dict[str, Any], lang: str, me: str, ids: tuple[str, ...]) -> list[str]:
    from imi_cli.exchanges.alerts.render import alert_view

    fields = {f["id"]: f for f in alert_view(alert, lang, me)["fields"]}
    from imi_cli.exchanges.requests.render import hidden_label

    return [f"     {fields[i]['label']}: {hidden_label(fields[i]['value'])}" for i in ids if i in fields]


def tables_holding(store: Any, text: str) -> list[str]:
    """The tables of a store in which ``text`` appears in any cell."""
    needle = text.encode()
    found = []
    names = [n for (n,) in store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for name in names:
        for row in store.conn.execute(f'SELECT * FROM "{name}"'):
            if any(needle in (c if isinstance(c, bytes) else str(c).encode()) for c in row if c is not None):
                found.append(name)
                break
    return found


def _events_about(store: Any, alert_id: str) -> int:
    return store.query("SELECT count(*) FROM events WHERE body LIKE ?", (f"%{alert_id}%",))[0][0]


def run_alert(say: Say, hub: Any, url: str, coords: dict[str, Any], workdir: Path,
              sync: Callable[[Any], Any]) -> dict[str, Any]:
    """``coords``: the HU and IE coordinators' stores, enrolled at the hub served at ``url``."""
    from imi_cli.exchanges.alerts.service import Alerts
    from imi_cli.log import clock
    from imi_cli.privacy.access import record

    clock_before = os.environ.get("IMI_NOW")
    finnish = _coordinator(hub, workdir, url, "FI", "fi", "IMI-kansallinen koordinaattori")
    stores: dict[str, Any] = {"FI-NCO": finnish}
    try:
        codes = {user["id"]: _register({**coords, "FI": finnish}[country], authority, user)
                 for country, authority, user in CAST.values()}
        made = _nodes(workdir, url, codes)
        stores.update({ident: made[user["id"]] for ident, (_, _, user) in CAST.items()})
        for store in stores.values():
            sync(store)
        say(t("{step}. The operator invites a Finnish coordinator too. Coordinators register IE-NMBI (nurses,"
              " midwives; ie.byrne),\n    HU-RIASZT (Hungary's incoming-alert coordinator; hu.szabo), HU-MESZK"
              " (nurses; hu.toth) and FI-VALVIRA\n    (doctors only; fi.virtanen). Each user enrols.", step=15))
        ie, chamber = stores["IE-NMBI"], stores["HU-MESZK"]
        today = clock.now().date()
        sender = Alerts(ie)
        with language("en"):  # the Irish board's steps, as `imi --lang en alert new/send` run
            aid = sender.new(kind="pq-restriction", profession="nurse", lang="en", answers={
                "professional_name": NURSE, "date_of_birth": "1985-04-12", "place_of_birth": "Galway",
                "deciding_authority": "Fitness to Practise Committee", "restriction_scope": "suspension",
                "decision_date": today.isoformat(), "period_start": today.isoformat()})
            routing = sender.send(aid)["payload"]["routing"]
        for store in (ie, *stores.values()):  # the sender's first: it takes the alert to the hub
            sync(store)
        # Translators: {id} is the start of an alert's id, {coordinators} a list of authority ids
        say(t("{step}. ie.byrne sends a pq-restriction alert {id}… in English: a nurse, {name}, is suspended"
              " from today.\n    It goes to every other member state; the directory routes it to the incoming-alert"
              " coordinators\n    {coordinators} (Finland has no authority competent for nurses: its national"
              " coordinator routes it).", step=16, id=aid[:13], name=NURSE,
              coordinators=", ".join(routing["coordinators"])))
        result: dict[str, Any] = {"id": aid, "routing": routing, **_routed(say, stores, aid)}
        with language("hu"):  # hu.szabo, in Hungarian
            Alerts(stores["HU-RIASZT"]).forward(aid, ["HU-MESZK"])
        sync(stores["HU-RIASZT"])
        sync(chamber)
        whole = _held(chamber, aid)
        say(t("{step}. hu.szabo forwards it to HU-MESZK; the hub delivers it whole. hu.toth reads everything in"
              " Hungarian:", step=19))
        with language("hu"):  # hu.toth's steps, as `imi --lang hu alert show/acknowledge` run
            record(chamber, "alert.show", entity=f"alert/{aid}")  # as `imi alert show` logs it
            for line in _lines(whole, "hu", "HU-MESZK", ("professional_name", "date_of_birth", "place_of_birth",
                                                        "profession", "deciding_authority", "restriction_scope")):
                say(line)
            result["handler"] = {i: _field(whole, "hu", "HU-MESZK", i)
                                 for i in ("professional_name", "profession", "restriction_scope")}
            Alerts(chamber).acknowledge(aid)
        sync(chamber)
        sync(ie)
        result["acknowledged_by"] = sorted(_held(ie, aid)["record"]["acks"])
        # Translators: {authorities} is a list of authority ids
        say(t("{step}. hu.toth acknowledges; ie.byrne sees it acknowledged by {authorities}.", step=20,
              authorities=", ".join(result["acknowledged_by"])))
        with language("en"):
            sender.modify(aid, answers={}, lang="en", under_appeal=True)
        sync(ie)
        sync(chamber)
        result["under_appeal_at_handler"] = bool(_held(chamber, aid)["under_appeal"])
        if result["under_appeal_at_handler"]:
            say(t("{step}. The nurse appeals; ie.byrne sets the under-appeal flag, and hu.toth's copy reads"
                  " UNDER APPEAL.", step=21))
        else:
            say(t("{step}. The nurse appeals; ie.byrne sets the under-appeal flag, and hu.toth's copy reads"
                  " not under appeal.", step=21))
        result.update(_closed_and_erased(say, hub, stores, aid, today, sync))
        result["clock_restored"] = os.environ.get("IMI_NOW") == clock_before
        return result
    finally:
        for store in stores.values():
            store.close()


def _held(store: Any, aid: str) -> dict[str, Any]:
    """The alert as this store holds it (the story has just made sure it does)."""
    from imi_cli.exchanges.alerts.projection import load

    alert = load(store.conn, aid)
    if alert is None:
        raise RuntimeError(t("the demo's alert {id} did not reach a store it should have", id=aid))
    return alert


def _routed(say: Say, stores: dict[str, Any], aid: str) -> dict[str, Any]:
    """What the incoming-alert coordinator, the Finnish coordinator and Valvira hold."""
    from imi_cli.privacy.access import record

    coordinator = stores["HU-RIASZT"]
    seen = _held(coordinator, aid)
    leaked = tables_holding(coordinator, NURSE)
    tables = coordinator.query("SELECT count(*) FROM sqlite_master WHERE type = 'table'")[0][0]
    say(t("{step}. hu.szabo (HU-RIASZT) reads profession and scope in Hungarian, without the nurse's name:",
          step=17))
    with language("hu"):  # hu.szabo's steps, as `imi --lang hu alert show` runs
        record(coordinator, "alert.show", entity=f"alert/{aid}")  # as `imi alert show` logs it
        for line in _lines(seen, "hu", "HU-RIASZT", ("professional_name", "profession", "restriction_scope")):
            say(line)
        shown = {i: _field(seen, "hu", "HU-RIASZT", i) for i in ("professional_name", "profession",
                                                                  "restriction_scope")}
    if leaked:
        # Translators: {found} is a list of the names of database tables
        say("    " + nt("{name!r} is in these tables of HU-RIASZT's store: {found} ({n} table searched).",
                        "{name!r} is in these tables of HU-RIASZT's store: {found} ({n} tables searched).",
                        tables, name=NURSE, found=", ".join(leaked)))
    else:
        say("    " + nt("{name!r} is in no table of HU-RIASZT's store ({n} table searched).",
                        "{name!r} is in no table of HU-RIASZT's store ({n} tables searched).", tables, name=NURSE))
    with language("fi"):  # the Finnish coordinator reads in Finnish
        finland = {"FI-VALVIRA": _events_about(stores["FI-VALVIRA"], aid),
                   "FI-NCO": _field(_held(stores["FI-NCO"], aid), "fi", "FI-NCO", "professional_name")}
    say(nt("{step}. FI-VALVIRA (doctors only) holds {n} event about it; FI-NCO, which routes it, reads the name as"
           " {name}.",
           "{step}. FI-VALVIRA (doctors only) holds {n} events about it; FI-NCO, which routes it, reads the name as"
           " {name}.", finland["FI-VALVIRA"], step=18, name=_said(finland["FI-NCO"])))
    return {"coordinator": shown,
            "coordinator_tables_with_name": leaked, "finland": finland}


def _closed_and_erased(say: Say, hub: Any, stores: dict[str, Any], aid: str, today: dt.date,
                       sync: Callable[[Any], Any]) -> dict[str, Any]:
    """Months later the suspension is lifted and the alert closed; 3 days on, the hub's
    housekeeping erases its personal data, and each store its copy when it syncs."""
    from imi_cli.exchanges.alerts.service import Alerts
    from imi_cli.hub.housekeeping import run_once
    from imi_cli.log.redaction import verify_log

    ie, chamber = stores["IE-NMBI"], stores["HU-MESZK"]
    lifted = today + dt.timedelta(days=LIFTED_AFTER_DAYS)
    with clock_at(dt.datetime.combine(lifted, dt.time(10), tzinfo=dt.UTC)):
        with language("en"):
            Alerts(ie).close(aid, lifted.isoformat())
        sync(ie)
    erase_after = _held(ie, aid)["erase_after"]
    say(t("{step}. On {date} (the clock moved with IMI_NOW, for this step only) the appeal succeeds and the"
          " suspension is lifted;\n    ie.byrne closes the alert: its personal data is to go on {erase_after}.",
          step=22, date=formats.date(lifted), erase_after=formats.date(erase_after)))
    with clock_at(dt.datetime.combine(dt.date.fromisoformat(erase_after), dt.time(9), tzinfo=dt.UTC)):
        erased = run_once(hub, None)["alerts_erased"]
        for store in stores.values():
            sync(store)
    left = hub.store.query("SELECT count(*) FROM disclosures WHERE entity = ? AND disclosure IS NOT NULL",
                           (f"alert/{aid}",))[0][0]
    with language("en"):
        names = {"IE-NMBI": _field(_held(ie, aid), "en", "IE-NMBI", "professional_name")}
    with language("hu"):
        names["HU-MESZK"] = _field(_held(chamber, aid), "hu", "HU-MESZK", "professional_name")
    holding = {"hub": tables_holding(hub.store, NURSE),
               **{i: tables_holding(stores[i], NURSE) for i in ("IE-NMBI", "HU-MESZK")}}
    reports = {"hub": verify_log(hub.store.conn, hub.operator_public_key),
               **{i: verify_log(s.conn, hub.operator_public_key) for i, s in stores.items()}}
    problems = {i: r["problems"] for i, r in reports.items()}
    where = [f"{i} ({', '.join(found)})" for i, found in holding.items() if found]
    events = sum(r["events"] for r in reports.values())
    if where:
        # Translators: {places} lists stores and their tables: "hub (events, disclosures); HU-MESZK (alerts)"
        say(nt("{step}. On {date} the hub's housekeeping erases it ({n} personal value left on the hub), and each"
               " store its copy\n    when it syncs: hu.toth reads the name as {name}; {nurse!r} is in {places}.",
               "{step}. On {date} the hub's housekeeping erases it ({n} personal values left on the hub), and each"
               " store its copy\n    when it syncs: hu.toth reads the name as {name}; {nurse!r} is in {places}.",
               left, step=23, date=formats.date(erase_after), name=_said(names["HU-MESZK"]), nurse=NURSE,
               places="; ".join(where)))
    else:
        say(nt("{step}. On {date} the hub's housekeeping erases it ({n} personal value left on the hub), and each"
               " store its copy\n    when it syncs: hu.toth reads the name as {name}; {nurse!r} is in no table of"
               " the hub, IE-NMBI or HU-MESZK.",
               "{step}. On {date} the hub's housekeeping erases it ({n} personal values left on the hub), and each"
               " store its copy\n    when it syncs: hu.toth reads the name as {name}; {nurse!r} is in no table of"
               " the hub, IE-NMBI or HU-MESZK.",
               left, step=23, date=formats.date(erase_after), name=_said(names["HU-MESZK"]), nurse=NURSE))
    # Translators: {stores} is the number of stores (6), {events} a number of events (some hundreds)
    say("    " + nt("The logs of the hub and the {stores} stores still verify (every signature and digest of"
                    " {events} events): {n} problem.",
                    "The logs of the hub and the {stores} stores still verify (every signature and digest of"
                    " {events} events): {n} problems.",
                    sum(map(len, problems.values())), stores=len(stores), events=events))
    return {"lifted_on": lifted.isoformat(), "erase_after": erase_after, "erased_on_hub": erased,
            "personal_values_left_on_hub": left, "names_after_erasure": names,
            "tables_with_name_after_erasure": holding, "verify_problems": problems}


def _said(value: Any) -> Any:
    """A field's value for the story: "[withheld]" and "[erased]" in the interface language."""
    from imi_cli.exchanges.requests.render import hidden_label

    return hidden_label(value)
