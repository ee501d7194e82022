"""The commands of `imi`, one module per group (as pip's ``commands_dict``).

A module is imported only when one of its commands runs or its help is asked for:
`imi --help` reads the one-line help of each command from this table, so it costs the
same however many groups there are. Each module keeps its heavy imports inside its
functions. A test checks that these lines match the commands' own help.
"""

from __future__ import annotations

from typing import NamedTuple


class Entry(NamedTuple):
    module: str  # imi_cli.commands.<module>
    attr: str  # a typer.Typer (a group) or a function (a command) in it
    help: str  # the line `imi --help` shows


COMMANDS: dict[str, Entry] = {
    "init": Entry("store", "init", "Create an encrypted store (passphrase asked twice, or IMI_PASSPHRASE); "
                                   "with --hub, make your key pair in it and enrol with the hub."),
    "unlock": Entry("store", "unlock", "Check the passphrase once and cache the store's key for this user's "
                                       "session."),
    "lock": Entry("store", "lock", "Forget the cached key: the next command asks for the passphrase again."),
    "demo": Entry("demo", "demo", "Run IMI end to end on a sample directory, in a temp folder, without prompts."),
    "sync": Entry("sync", "sync", "Push this store's pending events to the hub and pull what concerns its "
                                  "authority."),
    "outbox": Entry("sync", "outbox", "What this store has pushed or must push: pending, accepted, rejected "
                                      "and why."),
    "inbox": Entry("request", "inbox", "What needs your authority's action now: alerts to forward or read, "
                                       "notifications to disseminate or decide, new requests, answers to read, "
                                       "deadlines, reminders."),
    "stats": Entry("request", "stats", "Requests per area and authority (accepted within 7 days, days to answer, "
                                       "by the deadline, ratings); alerts per area and country; notifications per "
                                       "kind, country and area."),
    "store": Entry("store", "app", "The encrypted store: status, verify the signed log, rebuild projections."),
    "privacy": Entry("privacy", "app", "Personal data by the clock: status, run, the access log, a data subject's "
                                       "search, read blocked data, rectify, erase."),
    "hub": Entry("hub", "app", "The hub: init, serve, invite national coordinators."),
    "message": Entry("message", "app", "Messages between two authorities."),
    "request": Entry("request", "app", "Information requests: new, send, accept, answer, close, ..."),
    "notification": Entry("notification", "app", "Notifications to the Commission and the member states: new, "
                                                 "broadcast, disseminate, comment, close, search, ..."),
    "cit": Entry("cit", "app", "Euro cash-in-transit licences: issue, suspend, withdraw, check validity on a "
                               "day in a country, import, export."),
    "registers": Entry("registers", "app", "The directory of registers: add, import, search in any language, "
                                           "show, export."),
    "alert": Entry("alert", "app", "Alerts to every member state: new, send, forward, acknowledge, modify, close, ..."),
    "authority": Entry("authority", "app", "The authority directory: register, import, show, search, export."),
    "user": Entry("user", "app", "Users: add, import, list, show, invite, remove."),
    "area": Entry("area", "app", "Legislative areas."),
    "country": Entry("area", "country_app", "IMI countries."),
    "questionnaire": Entry("questionnaire", "app", "Question sets: list, show, validate, translate."),
}
