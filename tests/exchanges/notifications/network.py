"""A small network for notification tests: a hub on loopback, national coordinators of IT,
AT, FI and DE, the European Commission (EU-COM, country EU, invited by the hub operator), and:

- IT-MIMIT (services): it.rossi notifies (notification_handler), it.clerk may not;
- AT-NCO's at.assist: a user of Austria's national coordinator without the coordinator role;
- AT-BMAW and AT-WKO (services): at.huber and at.gruber, each read what AT-NCO disseminates;
- AT-AERZTE: an Austrian authority competent only for professional qualifications (no user);
- FI-TEM (services): fi.koski, never disseminated to: it must hold nothing;
- DE-GEWERBE (services and PQ): de.weber, a third state's authority (notification_handler).

Built once per test session (tests/exchanges/notifications and tests/cli/test_notification.py
share it) on a clock that only moves forward (``CLOCK``): every test runs at a later IMI_NOW
than the one before, so no store ever pulls an event from its future, and the clock tests may
jump months ahead."""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path
from typing import Any

from imi_cli.directory.authorities import Directory
from imi_cli.directory.invitations import coordinator_records
from imi_cli.hub.state import init_hub
from tests.exchanges.requests.network import PASSPHRASE, Network, _new_store
from tests.session_network import Clock, shared

START = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
PQ = "professional-qualifications"
COORDINATORS = {"IT": ("IT-NCO", "it"), "AT": ("AT-NCO", "de"), "FI": ("FI-NCO", "fi"), "DE": ("DE-NCO", "de"),
                "EU": ("EU-COM", "en")}
# (registering coordinator store, authority record or None for the coordinator's own, {user: roles})
AUTHORITIES: list[tuple[str, dict[str, Any] | None, dict[str, str]]] = [
    ("it.nco", {"id": "IT-MIMIT", "country": "IT", "names": {"it": "Ministero delle Imprese e del Made in Italy"},
                "languages": "it", "areas": "services", "competences": "servizi", "email": "m@example.it"},
     {"it.rossi": "notification_handler", "it.clerk": "request_handler"}),
    ("at.nco", None, {"at.assist": "request_handler"}),
    ("at.nco", {"id": "AT-BMAW", "country": "AT", "names": {"de": "Bundesministerium für Arbeit und Wirtschaft"},
                "languages": "de", "areas": "services", "email": "b@example.at"}, {"at.huber": "request_handler"}),
    ("at.nco", {"id": "AT-WKO", "country": "AT", "names": {"de": "Wirtschaftskammer Österreich"}, "languages": "de",
                "areas": "services", "email": "w@example.at"}, {"at.gruber": "request_handler"}),
    ("at.nco", {"id": "AT-AERZTE", "country": "AT", "names": {"de": "Österreichische Ärztekammer"},
                "languages": "de", "areas": PQ, "competences": "doctor", "email": "ae@example.at"}, {}),
    ("fi.nco", {"id": "FI-TEM", "country": "FI", "names": {"fi": "Työ- ja elinkeinoministeriö"}, "languages": "fi",
                "areas": "services", "email": "t@example.fi"}, {"fi.koski": "request_handler"}),
    ("de.nco", {"id": "DE-GEWERBE", "country": "DE", "names": {"de": "Gewerbeamt"}, "languages": "de",
                "areas": f"services;{PQ}", "competences": "nurse", "email": "g@example.de"},
     {"de.weber": "notification_handler"}),
]
NAME_OF = {"IT": "it.nco", "AT": "at.nco", "FI": "fi.nco", "DE": "de.nco", "EU": "eu.com"}




CLOCK = Clock(START)
_SHARED: dict[str, Any] = {}


def _build(folder: Path) -> Network:
    from imi_cli.directory.users import Users
    from imi_cli.hub.background import BackgroundHub

    hub = init_hub(folder / "hub.db", secrets.token_urlsafe(16))
    served = BackgroundHub(hub).__enter__()
    net = Network(hub, served.url, folder, passphrase=PASSPHRASE)
    for country, (authority, lang) in COORDINATORS.items():
        name = NAME_OF[country]
        record, user = coordinator_records(authority, country, f"Coordinator {country}", lang, f"{lang};en",
                                           f"{PQ};services", f"nco@example.{country.lower()}", name,
                                           f"Coordinator {country}", f"c@example.{country.lower()}")
        net.stores[name] = _new_store(folder, name, served.url, hub.invite_coordinator(record, user), PASSPHRASE)
        net.sync(name)
    for coordinator, record, users in AUTHORITIES:
        authority = record["id"] if record else net.stores[coordinator].meta("authority_id")
        if record:
            Directory(net.stores[coordinator]).register_authorities([("t", record)])
        if users:
            report = Users(net.stores[coordinator]).register([("t", {
                "id": u, "name": u, "email": f"{u}@example.eu", "authority": authority, "roles": roles})
                for u, roles in users.items()])
        net.sync(coordinator)
        for user_id in users:
            net.stores[user_id] = _new_store(folder, user_id, served.url, report.invitations[user_id], PASSPHRASE)
    net.sync()
    net.served = served  # type: ignore[attr-defined]
    return net


def notification_network(tmp_path_factory: Any) -> Network:
    """The session's notification network (built on its first use, closed at exit)."""
    return shared(_SHARED, _build, CLOCK, tmp_path_factory, "notifications")  # type: ignore[no-any-return]
