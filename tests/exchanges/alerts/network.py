"""A small network for alert tests: a hub on loopback, national coordinators of IE, HU, FI and
DE, the European Commission (country EU, invited by the hub operator), and:

- IE-NMBI (nurses, PQ and services): ie.byrne sends alerts (alert_handler), ie.clerk may not;
- HU-RIASZT: Hungary's incoming-alert coordinator for PQ (hu.szabo, alert_coordinator; hu.kiss
  without that role);
- HU-MESZK: the Hungarian nursing chamber, competent for nurses (hu.toth, alert_handler);
- HU-SZOLG: a Hungarian services authority, not in PQ (no user);
- FI-VALVIRA: competent only for doctors (fi.virtanen, alert_handler);
- DE-GEWERBE: a German services authority (de.weber, alert_handler).

Built once per test session (both tests/exchanges/alerts and tests/cli/test_alert.py use it)
on a clock that only moves forward (``CLOCK``): every test runs at a later IMI_NOW than the
one before, so no store ever pulls an event from its future."""

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
COORDINATORS = {"IE": ("IE-NCO", "en"), "HU": ("HU-NCO", "hu"), "FI": ("FI-NCO", "fi"), "DE": ("DE-NCO", "de"),
                "EU": ("EU-COM", "en")}
# (registering coordinator store, authority record, {user: roles})
AUTHORITIES = [
    ("ie.nco", {"id": "IE-NMBI", "country": "IE", "names": {"en": "Nursing and Midwifery Board of Ireland"},
                "languages": "en", "areas": f"{PQ};services", "competences": "nurse;midwife",
                "email": "a@example.ie"}, {"ie.byrne": "alert_handler", "ie.clerk": "request_handler"}),
    ("hu.nco", {"id": "HU-RIASZT", "country": "HU", "names": {"hu": "Riasztási koordinátor"}, "languages": "hu",
                "areas": PQ, "competences": "riasztás", "email": "r@example.hu"},
     {"hu.szabo": "alert_coordinator", "hu.kiss": "request_handler"}),
    ("hu.nco", {"id": "HU-MESZK", "country": "HU", "names": {"hu": "Magyar Egészségügyi Szakdolgozói Kamara"},
                "languages": "hu", "areas": PQ, "competences": "nurse;ápoló", "email": "m@example.hu"},
     {"hu.toth": "alert_handler"}),
    ("hu.nco", {"id": "HU-SZOLG", "country": "HU", "names": {"hu": "Szolgáltatási hatóság"}, "languages": "hu",
                "areas": "services", "email": "sz@example.hu"}, {}),
    ("fi.nco", {"id": "FI-VALVIRA", "country": "FI", "names": {"fi": "Valvira"}, "languages": "fi", "areas": PQ,
                "competences": "doctor", "email": "v@example.fi"}, {"fi.virtanen": "alert_handler"}),
    ("de.nco", {"id": "DE-GEWERBE", "country": "DE", "names": {"de": "Gewerbeamt"}, "languages": "de",
                "areas": "services", "email": "g@example.de"}, {"de.weber": "alert_handler"}),
]
AUTHORITY_OF = {"ie.nco": "IE-NCO", "hu.nco": "HU-NCO", "fi.nco": "FI-NCO", "de.nco": "DE-NCO",
                "eu.com": "EU-COM", **{u: a["id"] for _, a, users in AUTHORITIES for u in users}}




CLOCK = Clock(START)
_SHARED: dict[str, Any] = {}


def _build(folder: Path) -> Network:
    from imi_cli.directory.users import Users
    from imi_cli.hub.background import BackgroundHub

    hub = init_hub(folder / "hub.db", secrets.token_urlsafe(16))
    served = BackgroundHub(hub).__enter__()
    net = Network(hub, served.url, folder, passphrase=PASSPHRASE)
    for country, (authority, lang) in COORDINATORS.items():
        name = "eu.com" if country == "EU" else f"{country.lower()}.nco"
        record, user = coordinator_records(authority, country, f"Coordinator {country}", lang, f"{lang};en",
                                           f"{PQ};services", f"nco@example.{country.lower()}", name,
                                           f"Coordinator {country}", f"c@example.{country.lower()}")
        net.stores[name] = _new_store(folder, name, served.url, hub.invite_coordinator(record, user), PASSPHRASE)
        net.sync(name)
    for coordinator, record, users in AUTHORITIES:
        Directory(net.stores[coordinator]).register_authorities([("t", record)])
        if users:
            report = Users(net.stores[coordinator]).register([("t", {
                "id": u, "name": u, "email": f"{u}@example.eu", "authority": record["id"], "roles": roles})
                for u, roles in users.items()])
        net.sync(coordinator)
        for user_id in users:
            net.stores[user_id] = _new_store(folder, user_id, served.url, report.invitations[user_id], PASSPHRASE)
    net.sync()
    net.served = served  # type: ignore[attr-defined]
    return net


def alert_network(tmp_path_factory: Any) -> Network:
    """The session's alert network (built on its first use, closed at exit)."""
    return shared(_SHARED, _build, CLOCK, tmp_path_factory, "alerts")  # type: ignore[no-any-return]
