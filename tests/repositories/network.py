"""A small network for the repository tests: a hub on loopback and four countries.

- NL: the national coordinator (nl.nco, competent in cash-in-transit too, for bulk imports);
  NL-DNB, the Dutch licensing authority: nl.jansen (licensing_officer), nl.clerk (request_handler);
- BE: be.nco; BE-POL, the Belgian police, competent in cash-in-transit: be.dupont (licensing_officer);
- FR: fr.nco; FR-BDF, competent in cash-in-transit: fr.martin (licensing_officer);
- HU: hu.nco; HU-MEK, the Hungarian chamber, in professional qualifications only:
  hu.kovacs holds licensing_officer for every area of HU-MEK, so nothing but the party rule
  keeps licences from it.

Built once per test session (tests/repositories and tests/cli/test_cit.py, test_registers.py
share it) on a clock that only moves forward (``CLOCK``)."""

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

CIT = "euro-cash-in-transit"
PQ = "professional-qualifications"
COORDINATORS = {"NL": ("nl", f"{PQ};services;{CIT}"), "BE": ("fr", f"{PQ};services"), "FR": ("fr", f"{PQ};services"),
                "HU": ("hu", f"{PQ};services")}
# (registering coordinator store, authority record, {user: roles})
AUTHORITIES = [
    ("nl.nco", {"id": "NL-DNB", "country": "NL", "names": {"nl": "De Nederlandsche Bank"}, "languages": "nl;en",
                "areas": CIT, "competences": "geldtransport", "email": "d@example.nl"},
     {"nl.jansen": "licensing_officer", "nl.clerk": "request_handler"}),
    ("be.nco", {"id": "BE-POL", "country": "BE", "names": {"fr": "Police fédérale"}, "languages": "fr;nl",
                "areas": CIT, "competences": "transport de fonds", "email": "p@example.be"},
     {"be.dupont": "licensing_officer"}),
    ("fr.nco", {"id": "FR-BDF", "country": "FR", "names": {"fr": "Banque de France"}, "languages": "fr",
                "areas": CIT, "competences": "transport de fonds", "email": "b@example.fr"},
     {"fr.martin": "licensing_officer"}),
    ("hu.nco", {"id": "HU-MEK", "country": "HU", "names": {"hu": "Magyar Építész Kamara"}, "languages": "hu",
                "areas": PQ, "competences": "építész;architect", "email": "k@example.hu"},
     {"hu.kovacs": "licensing_officer"}),
]
START = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
CLOCK = Clock(START)
_SHARED: dict[str, Any] = {}


def _build(folder: Path) -> Network:
    from imi_cli.directory.users import Users
    from imi_cli.hub.background import BackgroundHub

    hub = init_hub(folder / "hub.db", secrets.token_urlsafe(16))
    served = BackgroundHub(hub).__enter__()
    net = Network(hub, served.url, folder, passphrase=PASSPHRASE)
    for country, (lang, areas) in COORDINATORS.items():
        name = f"{country.lower()}.nco"
        record, user = coordinator_records(f"{country}-NCO", country, f"Coordinator {country}", lang, f"{lang};en",
                                           areas, f"nco@example.{country.lower()}", name, f"Coordinator {country}",
                                           f"c@example.{country.lower()}")
        net.stores[name] = _new_store(folder, name, served.url, hub.invite_coordinator(record, user), PASSPHRASE)
        net.sync(name)
    for coordinator, record, users in AUTHORITIES:
        Directory(net.stores[coordinator]).register_authorities([("t", record)])
        report = Users(net.stores[coordinator]).register([("t", {
            "id": u, "name": u, "email": f"{u}@example.eu", "authority": record["id"], "roles": roles})
            for u, roles in users.items()])
        net.sync(coordinator)
        for user_id in users:
            net.stores[user_id] = _new_store(folder, user_id, served.url, report.invitations[user_id], PASSPHRASE)
    net.sync()
    net.served = served  # type: ignore[attr-defined]
    return net


def repository_network(tmp_path_factory: Any) -> Network:
    """The session's repository network (built on its first use, closed at exit)."""
    return shared(_SHARED, _build, CLOCK, tmp_path_factory, "repositories")  # type: ignore[no-any-return]


def today() -> dt.date:
    return CLOCK.now.date()


_KEYS: dict[str, bytes] = {}


def cli_runner(net: Network, imi: Any) -> Any:
    """``run(name, *args)``: `imi --store <name's store> args...`, unlocked as `imi unlock` leaves
    it (keys cached by path: another network may have a store of the same name)."""
    from imi_cli.log.store import derive_key, read_salt
    from imi_cli.log.unlock import cache_key

    def run(name: str, *args: str) -> Any:
        path = net.stores[name].path
        if str(path) not in _KEYS:
            _KEYS[str(path)] = derive_key(PASSPHRASE, read_salt(path))
        cache_key(path, _KEYS[str(path)], 600)
        result = imi("--store", path, *args)
        assert "Traceback" not in result.err + result.out
        return result

    return run
