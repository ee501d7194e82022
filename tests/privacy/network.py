"""A small network for the data-protection tests (issue 14): a hub on loopback, Ireland and
Hungary, each with a national coordinator and one authority in the areas of these tests, and:

- IE-AUTH: ie.handler asks (request_handler, alert_handler, notification_handler), ie.dpo is
  its data-protection officer;
- HU-AUTH: hu.handler answers (request_handler, alert_handler), hu.dpo is its data-protection
  officer, hu.late a second handler whose store stays offline when a test says so.

Each test module builds its own (``build``): the clock tests move it years ahead, which would
block and erase every other test's exchanges. Every store has one known passphrase, so the
tests can open them with `imi --store` and decrypt their pages.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imi_cli.directory.authorities import Directory
from imi_cli.directory.invitations import coordinator_records
from imi_cli.directory.users import Users
from imi_cli.hub.state import init_hub
from imi_cli.log.store import Store, derive_key, read_salt
from imi_cli.sync.enrolment import client_for, enrol
from imi_cli.sync.session import sync

PASSPHRASE = "privacy test passphrase"
AREAS = "professional-qualifications;services"
COUNTRIES = {"IE": ("en", "IE-AUTH"), "HU": ("hu", "HU-AUTH")}
USERS = {
    "ie.handler": ("IE", "request_handler;alert_handler;notification_handler"),
    "ie.dpo": ("IE", "data_protection"),
    "hu.handler": ("HU", "request_handler;alert_handler"),
    "hu.dpo": ("HU", "data_protection"),
    "hu.late": ("HU", "request_handler"),
}


class Clock:
    """The module's IMI_NOW: it only moves forward (no store may pull an event from its future)."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def iso(self) -> str:
        return self.now.isoformat()

    def to(self, when: dt.datetime, monkeypatch: Any) -> dt.datetime:
        """Move to ``when``, and set IMI_NOW to it for the rest of the test."""
        assert when > self.now, f"the clock only moves forward: {when} is before {self.now}"
        self.now = when
        monkeypatch.setenv("IMI_NOW", self.iso())
        return when

    def tick(self, monkeypatch: Any, **delta: float) -> dt.datetime:
        return self.to(self.now + dt.timedelta(**(delta or {"minutes": 1})), monkeypatch)

    def today(self) -> str:
        return self.now.date().isoformat()


@dataclass
class Net:
    hub: Any
    url: str
    folder: Path
    clock: Clock
    served: Any = None
    stores: dict[str, Any] = field(default_factory=dict)
    keys: dict[bytes, bytes] = field(default_factory=dict)  # salt -> raw key
    clients: dict[str, Any] = field(default_factory=dict)

    def sync(self, *names: str) -> list[Any]:
        """Sync the named stores in order (the sync reports); with no names, every store twice."""
        reports = []
        for name in names or [*self.stores, *self.stores]:
            if name not in self.clients:  # one hub client per store (each costs a TLS context)
                self.clients[name] = client_for(self.stores[name])
            reports.append(sync(self.stores[name], self.clients[name]))
        return reports

    def key(self, path: Path) -> bytes:
        """The raw SQLCipher key of the store at ``path`` (as `imi unlock` caches it)."""
        salt = read_salt(path)
        if salt not in self.keys:
            self.keys[salt] = derive_key(PASSPHRASE, salt)
        return self.keys[salt]

    @property
    def everyone(self) -> dict[str, Any]:
        """Every store of the network, the hub's too (as "hub")."""
        return {**self.stores, "hub": self.hub.store}

    def close(self) -> None:
        for client in self.clients.values():
            client.close()
        for store in self.stores.values():
            store.close()
        if self.served is not None:
            self.served.__exit__(None, None, None)
        self.hub.store.close()


@contextmanager
def at(clock: Clock) -> Iterator[None]:
    """IMI_NOW is the clock's time inside (a module fixture runs outside any test's monkeypatch)."""
    before = os.environ.get("IMI_NOW")
    os.environ["IMI_NOW"] = clock.iso()
    try:
        yield
    finally:
        os.environ.pop("IMI_NOW") if before is None else os.environ.__setitem__("IMI_NOW", before)


@contextmanager
def _keys_kept(keys: dict[bytes, bytes]) -> Iterator[None]:
    """Keep each key the stores made here derive (salt -> key): no second KDF to open them."""
    from imi_cli.log import store as module

    real = module.derive_key

    def derive(passphrase: str, salt: bytes) -> bytes:
        keys[bytes(salt)] = real(passphrase, salt)
        return keys[bytes(salt)]

    module.derive_key = derive
    try:
        yield
    finally:
        module.derive_key = real


def _new_store(folder: Path, name: str, url: str, code: str) -> Any:
    store = Store.create(folder / f"{name}.db", PASSPHRASE)
    enrol(store, url, code)
    return store


def build(folder: Path, start: dt.datetime) -> Net:
    """The network at ``start`` (the clock's time during the build), served on loopback."""
    from imi_cli.hub.background import BackgroundHub

    clock = Clock(start)
    keys: dict[bytes, bytes] = {}
    with at(clock), _keys_kept(keys):
        hub = init_hub(folder / "hub.db", PASSPHRASE)
        served = BackgroundHub(hub).__enter__()
        net = Net(hub, served.url, folder, clock, served, keys=keys)
        try:
            codes = {}
            for country, (lang, _) in COUNTRIES.items():
                record, user = coordinator_records(
                    f"{country}-NCO", country, f"NCO {country}", lang, f"{lang};en", AREAS,
                    f"nco@example.{country.lower()}", f"{country.lower()}.nco", f"Coordinator {country}",
                    f"c@example.{country.lower()}")
                codes[f"{country.lower()}.nco"] = hub.invite_coordinator(record, user)
            net.stores.update(_made(folder, served.url, codes))
            codes = {}
            for country, (lang, authority) in COUNTRIES.items():
                coordinator = net.stores[f"{country.lower()}.nco"]
                net.sync(f"{country.lower()}.nco")
                Directory(coordinator).register_authorities([("t", {
                    "id": authority, "country": country, "names": {lang: f"Authority {country}"},
                    "languages": f"{lang};en", "areas": AREAS, "competences": "architect;nurse",
                    "email": f"a@example.{country.lower()}", "coordinator": f"{country}-NCO"})])
                mine = {u: roles for u, (c, roles) in USERS.items() if c == country}
                report = Users(coordinator).register([("t", {
                    "id": u, "name": f"User {u}", "email": f"{u}@example.eu", "authority": authority,
                    "roles": roles}) for u, roles in mine.items()])
                net.sync(f"{country.lower()}.nco")
                codes.update({u: report.invitations[u] for u in mine})
            net.stores.update(_made(folder, served.url, codes))
            net.sync()
        except BaseException:
            net.close()
            raise
    return net


def _made(folder: Path, url: str, codes: dict[str, str]) -> dict[str, Any]:
    """Stores for these users, side by side (each costs a key derivation)."""
    with ThreadPoolExecutor(max_workers=len(codes)) as pool:
        futures = {name: pool.submit(_new_store, folder, name, url, code) for name, code in codes.items()}
    return {name: future.result() for name, future in futures.items()}
