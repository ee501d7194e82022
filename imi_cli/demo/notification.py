"""The demo's last act, a notification: Italy tells the Commission and every member state of
a new requirement on tourist guides (Services Directive Art. 15(7)), in Italian. Austria's
national coordinator passes it on to a ministry; the Commission comments in English and
Austria in German; the Italian official reads the fields in Italian and each comment with
the language it was written in, the Austrian the fields and chosen options in German; the
Commission closes it with a decision each side reads in its own language."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from imi_cli.demo.network import _nodes, _register
from imi_cli.i18n import formats, language, nt, t

Say = Callable[[str], None]
KIND = "services-notification"

# country -> (coordinator's language, its name): the operator invites them, the Commission too
COORDINATORS = {"IT": ("it", "Coordinatore nazionale IMI"), "AT": ("de", "IMI-Koordinator Österreich"),
                "EU": ("en", "European Commission")}
COMMISSION = "EU-COM"

# country, authority, its user
CAST = {
    "IT-MIMIT": ({"id": "IT-MIMIT", "country": "IT", "names": {"it": "Ministero delle Imprese e del Made in Italy"},
                  "languages": "it;en", "areas": "services", "competences": "servizi;guide turistiche",
                  "email": "notifiche@example.it", "coordinator": "IT-NCO"},
                 {"id": "it.rossi", "name": "Giulia Rossi", "email": "g.rossi@example.it", "authority": "IT-MIMIT",
                  "roles": "notification_handler"}),
    "AT-BMAW": ({"id": "AT-BMAW", "country": "AT", "names": {"de": "Bundesministerium für Arbeit und Wirtschaft"},
                 "languages": "de;en", "areas": "services", "competences": "Dienstleistungen;Fremdenführer",
                 "email": "dlrl@example.at", "coordinator": "AT-NCO"},
                {"id": "at.huber", "name": "Lukas Huber", "email": "l.huber@example.at", "authority": "AT-BMAW",
                 "roles": "notification_handler"}),
}

ANSWERS = {  # in Italian: a cap on licensed tourist guides in the most visited provinces
    "requirement_type": ["quantitative_territorial"],
    "service_activity": "Guide turistiche",
    "measure_title": "Decreto sul numero massimo di guide turistiche per provincia",
    "non_discriminatory": "yes",
    "justification": "Tutela del patrimonio storico e artistico nei siti più visitati.",
    "proportionality": "Il limite vale solo nelle province con siti UNESCO ed è rivisto ogni due anni.",
    "entry_into_force": "2027-06-01",
    "draft_text": "schema-di-decreto.pdf",
}
COMMENTS = {COMMISSION: ("Please explain why a cap on numbers is needed, rather than a qualification requirement.",
                         "en"),
            "AT-BMAW": ("Österreich hat eine ähnliche Regelung geprüft und verworfen; wir teilen gerne unsere "
                        "Erfahrungen.", "de")}
DECISION = ("no_objection", "The cap is limited to the sites concerned and reviewed every two years.")
SHOWN = ("requirement_type", "measure_title", "non_discriminatory", "entry_into_force")


def _invite(hub: Any, workdir: Path, url: str) -> dict[str, Any]:
    """The operator invites the Italian and Austrian coordinators and the Commission; they
    enrol side by side."""
    from imi_cli.directory.invitations import coordinator_records

    codes = {}
    for country, (lang, name) in COORDINATORS.items():
        ident = COMMISSION if country == "EU" else f"{country}-NCO"
        record, user = coordinator_records(ident, country, name, lang, f"{lang};en", "services",
                                           f"imi@example.{country.lower()}", f"{country.lower()}.coord",
                                           f"Coordinator {country}", f"coord@example.{country.lower()}")
        codes[ident] = hub.invite_coordinator(record, user)
    return _nodes(workdir, url, codes)


def _view(store: Any, ident: str, lang: str, me: str, country: str) -> dict[str, Any]:
    from imi_cli.exchanges.notifications.projection import load
    from imi_cli.exchanges.notifications.render import notification_view

    n = load(store.conn, ident)
    if n is None:
        raise RuntimeError(t("the demo's notification {id} did not reach {authority}, which it should have",
                             id=ident, authority=me))
    with language(lang):  # as `imi --lang <lang> notification show` shows it
        return notification_view(n, lang, me, country)


def _fields(view: dict[str, Any]) -> dict[str, Any]:
    return {f["id"]: f["value"] for f in view["fields"] if f["id"] in SHOWN}


def _say_fields(say: Say, view: dict[str, Any]) -> None:
    for f in view["fields"]:
        if f["id"] in SHOWN:
            say(f"     {f['label']}: {f['value']}")


def run_notification(say: Say, hub: Any, url: str, workdir: Path, sync: Callable[[Any], Any]) -> dict[str, Any]:
    """Steps 24-29 at the hub served at ``url`` (the stores the story makes are closed at the end)."""
    from imi_cli.exchanges.notifications.service import Notifications

    stores: dict[str, Any] = {}
    try:
        stores.update(_invite(hub, workdir, url))
        for ident in ("IT-NCO", "AT-NCO"):  # each takes the directory before it registers anyone
            sync(stores[ident])
        codes = {user["id"]: _register(stores[f"{authority['country']}-NCO"], authority, user)
                 for authority, user in CAST.values()}
        made = _nodes(workdir, url, codes)
        stores.update({ident: made[user["id"]] for ident, (_, user) in CAST.items()})
        for ident in CAST:
            sync(stores[ident])
        say(t("{step}. The operator invites Italy's and Austria's national coordinators and the European"
              " Commission (EU-COM,\n    country EU). IT-NCO registers IT-MIMIT (it.rossi, notification_handler),"
              " AT-NCO registers AT-BMAW (at.huber).", step=24))
        italy, austria, commission = stores["IT-MIMIT"], stores["AT-BMAW"], stores[COMMISSION]
        notifier = Notifications(italy)
        with language("it"):  # it.rossi's steps, as `imi --lang it notification new/broadcast` run
            nid = notifier.new(kind=KIND, answers=ANSWERS, lang="it")
            notifier.broadcast(nid)
        for store in (italy, commission, stores["AT-NCO"]):  # the notifier's first: it takes it to the hub
            sync(store)
        mine = _view(italy, nid, "it", "IT-MIMIT", "IT")
        sent_to = [a for a in mine["recipients"] if a != "IT-MIMIT"]
        # Translators: {id} is the start of a notification's id, {title} its title in Italian, {recipients}
        # a list of authority ids
        say(nt("{step}. it.rossi notifies a new requirement in Italian (Services Directive Art. 15(7)), {id}…:"
               "\n    {title!r}.\n    It is broadcast to the Commission and every national coordinator:"
               " {recipients};\n    the Commission examines it until {deadline} (3 months; {n} day left).",
               "{step}. it.rossi notifies a new requirement in Italian (Services Directive Art. 15(7)), {id}…:"
               "\n    {title!r}.\n    It is broadcast to the Commission and every national coordinator:"
               " {recipients};\n    the Commission examines it until {deadline} (3 months; {n} days left).",
               mine["days_left"], step=25, id=nid[:13], title=ANSWERS["measure_title"],
               recipients=", ".join(sent_to), deadline=formats.date(mine["deadline"])))
        with language("en"):  # the Commission, in English
            Notifications(commission).comment(nid, *COMMENTS[COMMISSION])
        sync(commission)
        with language("de"):  # Austria's coordinator, in German
            Notifications(stores["AT-NCO"]).disseminate(nid, ["AT-BMAW"])
        sync(stores["AT-NCO"])
        sync(austria)
        german = _view(austria, nid, "de", "AT-BMAW", "AT")
        say(t("{step}. The Commission comments in English; AT-NCO disseminates the notification to AT-BMAW,"
              " which receives it\n    as it stands (with the comment). at.huber reads fields and options in"
              " German:", step=26))
        _say_fields(say, german)
        with language("de"):
            Notifications(austria).comment(nid, *COMMENTS["AT-BMAW"])
        sync(austria)
        sync(italy)
        mine = _view(italy, nid, "it", "IT-MIMIT", "IT")
        say(t("{step}. at.huber comments in German. it.rossi reads the fields in Italian and each comment in the"
              " language it was written in:", step=27))
        _say_fields(say, mine)
        for c in mine["comments"]:
            say(f"     {c['authority']} [{c['lang']}]: {c['text']}")
        code, reasons = DECISION
        with language("en"):
            Notifications(commission).close(nid, code, "en", reasons)
        sync(commission)
        sync(italy)
        sync(austria)
        decisions = {"IT-MIMIT": _view(italy, nid, "it", "IT-MIMIT", "IT")["decision"]["label"],
                     "AT-BMAW": _view(austria, nid, "de", "AT-BMAW", "AT")["decision"]["label"]}
        # Translators: {decision} is a decision's code (no_objection); {it} and {at} the decision as each reads it
        say(t("{step}. The Commission closes it: {decision}. it.rossi reads {it!r}, at.huber {at!r}.", step=28,
              decision=code, it=decisions["IT-MIMIT"], at=decisions["AT-BMAW"]))
        return {"id": nid, "kind": KIND, "recipients": sent_to, "broadcast_at": mine["broadcast_at"],
                "deadline": mine["deadline"], "days_left": mine["days_left"],
                "disseminated": mine["disseminated"], "notifier_fields_it": _fields(mine),
                "comments": [{"authority": c["authority"], "lang": c["lang"], "text": c["text"]}
                             for c in mine["comments"]],
                "austria_fields_de": _fields(german), "decision": code, "decision_labels": decisions}
    finally:
        for store in stores.values():
            store.close()

