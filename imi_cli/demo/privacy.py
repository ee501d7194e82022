"""The demo's last act, personal data by the clock (Regulation (EU) No 1024/2012, Art. 14-19):
HU-MEK names a data-protection officer, who reads the access log of the demo's reads and
answers a data subject, Nagy Béla. Then the clock (``IMI_NOW``) moves on: 7 months after the
request was closed its personal data is blocked (the officer alone reads it, with a logged
reason), and 3 years and a day after it the hub erases it everywhere; every log still verifies.

It runs last: the clock is put back when it ends, but the stores have lived through the dates."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from typing import Any

from imi_cli.demo.alert import clock_at, tables_holding
from imi_cli.demo.network import AUTHORITIES
from imi_cli.i18n import current, formats, language, nt, t

Say = Callable[[str], None]
PERSON = "Nagy Béla"
IN_ASCII = "Nagy B"  # the name as the request wrote it: a byte search finds it however a table stores it
REASON = "Complaint of the data subject: checking what was exchanged about him"
OFFICER = "data_protection"


def run_privacy(say: Say, hub: Any, coords: dict[str, Any], users: dict[str, Any], rid: str,
                sync: Callable[[Any], Any], first: int = 33) -> dict[str, Any]:
    """``coords``: the HU and IE coordinators' stores; ``users``: hu.kovacs (HU) and ie.murphy
    (IE); ``rid``: the request ie.murphy sent HU-MEK and closed. ``first``: the first step's number."""
    from imi_cli.exchanges.requests.service import Requests
    from imi_cli.log import clock

    clock_before = os.environ.get("IMI_NOW")
    hu, ie = users["HU"], users["IE"]
    entity = f"request/{rid}"
    request = Requests(hu).get(rid)
    if request["state"] != "closed":  # the request story closes it; if it ever stops, close it here
        with language("en"):
            Requests(ie).close(rid, 5, 5)
        sync(ie)
        sync(hu)
        request = Requests(hu).get(rid)
    result: dict[str, Any] = {"entity": entity, "closed_at": request["closed_at"]}
    result["officer_roles"] = _officer(say, first, coords["HU"], hu, sync)
    result["access_log"] = _access_log(say, first + 1, coords, hu, entity, sync)
    result["subject"] = _subject(say, first + 2, hu, entity)
    closed = clock.parse_instant(request["closed_at"], source="closed_at")
    result["blocked"] = _blocked(say, first + 3, hub, hu, ie, rid, closed, sync)
    stores = {"HU-NCO": coords["HU"], "IE-NCO": coords["IE"], "hu.kovacs": hu, "ie.murphy": ie}
    result["erased"] = _erased(say, first + 4, hub, stores, hu, ie, rid, closed, sync)
    result["clock_restored"] = os.environ.get("IMI_NOW") == clock_before
    return result


def _officer(say: Say, step: int, coordinator: Any, hu: Any, sync: Callable[[Any], Any]) -> list[str]:
    """The Hungarian coordinator registers hu.kovacs again, with one more role (as `imi user add`
    with the same id does); her store learns it at its next sync."""
    from imi_cli.directory.users import Users
    from imi_cli.privacy.blocking import is_officer

    _, user = AUTHORITIES["HU"]
    report = Users(coordinator).register([("demo", {**user, "roles": f"{user['roles']};{OFFICER}"})],
                                         source="demo")
    sync(coordinator)
    sync(hu)
    roles = [role for per_area in Users(hu).get(user["id"])["roles"].values() for role in per_area]
    if not is_officer(hu):
        raise RuntimeError(t("hu.kovacs's store does not know her new role {role}", role=OFFICER))
    # Translators: {roles} is a list of role codes (administrator, request_handler, data_protection)
    say(nt("{step}. HU-MEK names a data-protection officer: the Hungarian coordinator registers hu.kovacs again"
           " with one more role\n    ({n} user updated, no new invitation). At her next sync her roles are"
           " {roles}.",
           "{step}. HU-MEK names a data-protection officer: the Hungarian coordinator registers hu.kovacs again"
           " with one more role\n    ({n} users updated, no new invitation). At her next sync her roles are"
           " {roles}.", len(report.updated), step=step, roles=", ".join(roles)))
    return roles


def _access_log(say: Say, step: int, coords: dict[str, Any], hu: Any, entity: str,
                sync: Callable[[Any], Any]) -> dict[str, Any]:
    """The reads made earlier in the demo, as HU-MEK's officer and the coordinators hold them."""
    from imi_cli.privacy.access import entries

    for store in coords.values():
        sync(store)
    own = entries(hu.conn)
    held = {c: entries(store.conn) for c, store in coords.items()}
    say(t("{step}. As officer she reads HU-MEK's access log (`imi privacy log`): each read of personal data above"
          " is a signed\n    event of its reader, for the reader's authority and the coordinators above it:",
          step=step))
    with language("hu"):  # as `imi --lang hu privacy log` shows it to hu.kovacs
        for e in own:
            say(f"     {formats.datetime(e['at'])}  {e['user']}  {e['action']}  {_short(e['entity'])}")
    # Translators: {coordinator} is an authority's id (HU-NCO), {users} a list of user ids
    logs = []
    for c, rows in held.items():
        coordinator, users = c + "-NCO", ", ".join(sorted({e["user"] for e in rows}))
        logs.append(nt("{coordinator} {n} read, by {users}", "{coordinator} {n} reads, by {users}", len(rows),
                       coordinator=coordinator, users=users))
    # Translators: {logs} is a list of "HU-NCO 3 reads, by hu.kovacs, hu.szabo", separated by semicolons
    say("    " + t("The coordinators' logs: {logs}.", logs="; ".join(logs)))
    return {"officer": [{k: e[k] for k in ("user", "action", "entity")} for e in own],
            "officer_reads_of_request": sum(e["entity"] == entity for e in own),
            "coordinators": {f"{c}-NCO": sorted((e["user"], e["action"]) for e in rows) for c, rows in held.items()}}


def _short(entity: str) -> str:
    kind, _, ident = entity.partition("/")
    return f"{kind}/{ident[:13]}…" if len(ident) > 13 else entity


def _subject(say: Say, step: int, hu: Any, entity: str) -> dict[str, Any]:
    """A data subject asks what HU-MEK holds about him (`imi privacy subject --name "nagy bela"`)."""
    from imi_cli.privacy import access, subjects

    query = subjects.Query("nagy bela").check()
    found = subjects.search(hu.conn, query)
    logged = access.record(hu, "subject.search", entities=[f["entity"] for f in found],
                           reason="request of the data subject", person=query.as_dict())
    report = subjects.report(query, logged or {}, found)
    # Translators: {found} lists what was found: "request/0190c3a1-2b4c… (closed, professional-qualifications)"
    say(t("{step}. {person} asks HU-MEK what it holds about him. She searches `imi privacy subject --name"
          " \"nagy bela\"` (case and\n    accents folded) and finds {found}; the search is logged,\n    and the"
          " answer is due by {due} (30 days).", step=step, person=PERSON,
          found=", ".join(f"{_short(f['entity'])} ({subjects.state_label(f['kind'], f['state'])}, "
                          f"{subjects.area_label(f['area'], current())})" for f in found),
          due=formats.date(report["due"])))
    return {"found": [f["entity"] for f in found], "finds_request": entity in {f["entity"] for f in found},
            "logged_at": report["logged_at"], "due": report["due"]}


def _person(requests: Any, rid: str, reader: str | None = None) -> dict[str, Any]:
    """The person concerned as the request's view shows it; ``reader``: the interface language
    of the one who reads it (ie.murphy: en), else the run's."""
    from imi_cli.exchanges.requests.render import request_view
    from imi_cli.i18n import current

    with language(reader or current()):
        return request_view(requests.get(rid), [], "en")["person"]


def _blocked(say: Say, step: int, hub: Any, hu: Any, ie: Any, rid: str, closed: dt.datetime,
             sync: Callable[[Any], Any]) -> dict[str, Any]:
    """7 months after the closing: blocked on the hub and in each store; the officer reads it
    with a reason (`imi privacy read`), in a transaction rolled back, and the read is logged."""
    from imi_cli.exchanges.requests.service import Requests
    from imi_cli.hub.housekeeping import run_once
    from imi_cli.privacy import access
    from imi_cli.privacy.blocking import unsealed_view
    from imi_cli.privacy.clock import add_months

    entity = f"request/{rid}"
    when = add_months(closed, 7)
    with clock_at(when):
        blocked = run_once(hub, None)["privacy_blocked"]
        counted = _counted(hub, "blocked_at")
        for store in (ie, hu):
            sync(store)
        shown = {"ie.murphy": _person(Requests(ie), rid, "en"), "hu.kovacs": _person(Requests(hu), rid)}
        unsealed = unsealed_view(hu, [entity], lambda conn: _person(Requests(hu), rid))
        access.record(hu, "blocked.read", entity=entity, reason=REASON)
        sync(hu)
        after = _person(Requests(hu), rid)
        logged = [e for e in access.entries(hu.conn, entities={entity}) if e["action"] == "blocked.read"]
    # Translators: {blocked} is a number of exchanges, {kinds} the same counted by kind ("1 notification,
    # 1 request"); {fields} what is shown of the person ("field 1: [blocked], field 2: [blocked]")
    say(t("{step}. On {date}, 7 months after the closing (the clock moved with IMI_NOW, for this step and the next"
          " only),\n    the hub's housekeeping blocks the personal data of what was closed 6 months before or more"
          "\n    ({blocked}: {kinds}), and each store its copy when it syncs. ie.murphy and hu.kovacs read the"
          " person\n    concerned as: {fields}", step=step, date=formats.date(when.date()), blocked=blocked,
          kinds=_kinds_shown(counted), fields=_fields(shown["ie.murphy"])))
    say("    " + t("As officer, hu.kovacs reads it with a reason (`imi privacy read {entity} --reason ...`):",
                   entity=_short(entity)))
    say("     " + _fields(unsealed))
    if logged:
        say("    " + t("The read is logged with its reason ({reason!r});\n    her store still reads {fields}.",
                       reason=logged[0]["reason"], fields=_fields(after)))
    else:
        say("    " + t("The read is not logged;\n    her store still reads {fields}.", fields=_fields(after)))
    return {"on": when.isoformat(), "blocked_on_hub": blocked, "blocked_kinds": _kinds(counted), "shown": shown,
            "officer_reads": unsealed, "after_officer_read": after, "logged_reasons": [e["reason"] for e in logged]}


def _counted(hub: Any, column: str) -> dict[str, int]:
    """What the hub's clock did just now (``column``: blocked_at or erased_at), counted by kind."""
    from collections import Counter

    from imi_cli.log import clock

    rows = hub.store.query(f"SELECT entity FROM privacy_marks WHERE {column} = ?", (clock.iso(clock.now()),))
    return dict(Counter(entity.partition("/")[0] for (entity,) in rows))


def _kinds(counted: dict[str, int]) -> str:
    """The kinds counted, as the JSON output gives them (codes): "1 notification, 1 request"."""
    return ", ".join(f"{n} {kind}" for kind, n in sorted(counted.items())) or "nothing"


def _kinds_shown(counted: dict[str, int]) -> str:
    """The kinds counted, in the interface language: "1 notification, 1 request"."""
    shown = []
    for kind, n in sorted(counted.items()):
        if kind == "request":
            shown.append(nt("{n} request", "{n} requests", n))
        elif kind == "alert":
            shown.append(nt("{n} alert", "{n} alerts", n))
        elif kind == "notification":
            shown.append(nt("{n} notification", "{n} notifications", n))
        else:
            # Translators: {kind} is the code of a kind of exchange
            shown.append(t("{n} {kind}", n=n, kind=kind))
    return ", ".join(shown) or t("nothing")


def tables_naming(store: Any, text: str) -> list[str]:
    """The tables of a store in which ``text`` appears in any cell, case and accents folded."""
    from imi_cli.directory.search import fold

    needle = fold(text)
    found = []
    names = [n for (n,) in store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for name in names:
        for row in store.conn.execute(f'SELECT * FROM "{name}"'):
            if any(needle in fold(c.decode("utf-8", "replace") if isinstance(c, bytes) else str(c))
                   for c in row if c is not None):
                found.append(name)
                break
    return found


def _fields(person: dict[str, Any]) -> str:
    """What is shown of the person concerned: "applicant_name: Nagy Béla, profession: architect"."""
    from imi_cli.exchanges.requests.render import field_label, hidden_label

    return ", ".join(f"{field_label(k)}: {hidden_label(v)}" for k, v in person.items()) or t("nothing")


def _erased(say: Say, step: int, hub: Any, stores: dict[str, Any], hu: Any, ie: Any, rid: str,
            closed: dt.datetime, sync: Callable[[Any], Any]) -> dict[str, Any]:
    """3 years and a day after the closing: the hub's housekeeping erases the request's personal
    data and tells every holder; each store erases it when it syncs; every log still verifies
    (`imi store verify`)."""
    from imi_cli.exchanges.requests.service import Requests
    from imi_cli.hub.housekeeping import run_once
    from imi_cli.log.redaction import verify_log
    from imi_cli.privacy.clock import add_months

    when = add_months(closed, 36) + dt.timedelta(days=1)
    with clock_at(when):
        done = run_once(hub, None)
        counted = _counted(hub, "erased_at")
        for store in stores.values():
            sync(store)
    shown = {"ie.murphy": _person(Requests(ie), rid, "en"), "hu.kovacs": _person(Requests(hu), rid)}
    left = hub.store.query("SELECT count(*) FROM disclosures WHERE entity = ? AND disclosure IS NOT NULL",
                           (f"request/{rid}",))[0][0]
    holding = {"hub": tables_naming(hub.store, PERSON), **{n: tables_naming(s, PERSON) for n, s in stores.items()}}
    as_written = {"hub": tables_holding(hub.store, IN_ASCII), "ie.murphy": tables_holding(ie, IN_ASCII),
                  "hu.kovacs": tables_holding(hu, IN_ASCII)}
    reports = {"hub": verify_log(hub.store.conn, hub.operator_public_key),
               **{name: verify_log(s.conn, hub.operator_public_key) for name, s in stores.items()}}
    counts = {name: {k: r[k] for k in ("events", "signed", "disclosures", "erased")} | {"problems": len(r["problems"])}
              for name, r in reports.items()}
    only_log = all(set(tables) <= {"access_log"} for tables in holding.values())
    where = [name for name, tables in holding.items() if tables]
    if not where:
        named = t("{person!r} is in no table of the hub or the {stores} stores.", person=PERSON, stores=len(stores))
    elif only_log:
        # Translators: {where} is a list of store names
        named = t("{person!r} is left only in the access log ({where}): his own request, by the name he gave.",
                  person=PERSON, where=", ".join(where))
    else:
        # Translators: {places} lists stores and their tables: "hub (events, disclosures); ie.murphy (requests)"
        named = t("{person!r} is still in: {places}.", person=PERSON,
                  places="; ".join(f"{n} ({', '.join(holding[n])})" for n in where))
    # Translators: {erased} is a number of exchanges, {kinds} the same counted by kind ("1 notification,
    # 1 request"); {fields} what is shown of the person ("field 1: [erased], field 2: [erased]")
    say(nt("{step}. On {date}, 3 years and a day after the closing, the hub's housekeeping erases the personal data"
           " of what\n    was closed 3 years before or more ({erased}: {kinds}; {n} personal value of the request"
           " left on the hub),\n    and tells every holder: each store erases its copy when it syncs. ie.murphy and"
           " hu.kovacs read the person\n    concerned as: {fields}.",
           "{step}. On {date}, 3 years and a day after the closing, the hub's housekeeping erases the personal data"
           " of what\n    was closed 3 years before or more ({erased}: {kinds}; {n} personal values of the request"
           " left on the hub),\n    and tells every holder: each store erases its copy when it syncs. ie.murphy and"
           " hu.kovacs read the person\n    concerned as: {fields}.",
           left, step=step, date=formats.date(when.date()), erased=done["privacy_erased"],
           kinds=_kinds_shown(counted), fields=_fields(shown["ie.murphy"])))
    say("    " + named)
    say("    " + t("`imi store verify` proves each log whole (every signature, and every personal field held"
                   " against its digest):"))
    for name, c in counts.items():
        # Translators: one line per store; {events}, {signed}, {held} and {erased} are numbers
        say(f"     {name:<12} " + nt("{events} events, {signed} signed; {held} personal fields held, {erased} erased:"
                                   " {n} problem",
                                   "{events} events, {signed} signed; {held} personal fields held, {erased} erased:"
                                   " {n} problems",
                                   c["problems"], events=c["events"], signed=c["signed"], held=c["disclosures"],
                                   erased=c["erased"]))
    return {"on": when.isoformat(), "erased_on_hub": done["privacy_erased"], "personal_values_left_on_hub": left,
            "erased_kinds": _kinds(counted), "shown": shown, "tables_with_name": holding,
            "tables_with_name_as_written": as_written, "verify": counts}
