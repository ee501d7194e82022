"""A small IMI network for request tests: a hub on loopback, three countries, each with a
national coordinator, an authority in every area of these tests, and users with roles."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imi_cli.directory.authorities import Directory
from imi_cli.directory.invitations import coordinator_records
from imi_cli.directory.users import Users
from imi_cli.hub.state import init_hub
from imi_cli.log.store import Store
from imi_cli.sync.enrolment import client_for, enrol
from imi_cli.sync.session import sync

AREAS = "professional-qualifications;services;euro-cash-in-transit"
COUNTRIES = {"IE": ("en", "IE-AUTH"), "HU": ("hu", "HU-AUTH"), "DE": ("de", "DE-AUTH"), "MT": ("mt", "MT-AUTH")}


@dataclass
class Network:
    hub: Any
    url: str
    folder: Path
    stores: dict[str, Any] = field(default_factory=dict)
    passphrase: str | None = None

    def sync(self, *names: str) -> None:
        """Sync the named stores in order; with no names, every store twice (push, then pull)."""
        for name in names or [*self.stores, *self.stores]:
            with client_for(self.stores[name]) as client:
                sync(self.stores[name], client)

    def add_users(self, coordinator: str, authority: str, users: dict[str, str]) -> None:
        """Register ``users`` (name -> roles) of ``authority`` from the store ``coordinator``; one store each."""
        report = Users(self.stores[coordinator]).register([("t", {"id": u, "name": u, "email": f"{u}@example.eu",
                                                                  "authority": authority, "roles": roles})
                                                           for u, roles in users.items()])
        self.sync(coordinator)
        for user_id in users:
            self.stores[user_id] = _new_store(self.folder, user_id, self.url, report.invitations[user_id],
                                              self.passphrase)
            self.sync(user_id)

    def close(self) -> None:
        for store in self.stores.values():
            store.close()


PASSPHRASE = "network test passphrase"  # known, so `imi --store` can open these stores too


def _new_store(folder: Path, name: str, url: str, code: str, passphrase: str | None = None) -> Any:
    store = Store.create(folder / f"{name}.db", passphrase or secrets.token_urlsafe(16))
    enrol(store, url, code)
    return store


def build(hub: Any, url: str, folder: Path, users: dict[str, tuple[str, str]],
          passphrase: str | None = None) -> Network:
    """``users``: name -> (country, roles). Each country gets NCO + one authority (X-AUTH).
    ``passphrase``: every store's (default: a random one each)."""
    net = Network(hub, url, folder)
    net.passphrase = passphrase
    for country, (lang, authority) in COUNTRIES.items():
        record, coord = coordinator_records(f"{country}-NCO", country, f"NCO {country}", lang, f"{lang};en",
                                            AREAS, f"nco@example.{country.lower()}", f"{country.lower()}.nco",
                                            f"Coordinator {country}", f"c@example.{country.lower()}")
        name = f"{country.lower()}.nco"
        net.stores[name] = _new_store(folder, name, url, hub.invite_coordinator(record, coord), passphrase)
        net.sync(name)
        Directory(net.stores[name]).register_authorities([("t", {
            "id": authority, "country": country, "names": {lang: f"Authority {country}"}, "languages": f"{lang};en",
            "areas": AREAS, "email": f"a@example.{country.lower()}", "coordinator": f"{country}-NCO"})])
        mine = {u: r for u, (c, r) in users.items() if c == country}
        report = Users(net.stores[name]).register([("t", {"id": u, "name": u, "email": f"{u}@example.eu",
                                                          "authority": authority, "roles": roles})
                                                   for u, roles in mine.items()]) if mine else None
        net.sync(name)
        for user_id in mine:
            net.stores[user_id] = _new_store(folder, user_id, url, report.invitations[user_id], passphrase)
    net.sync()
    return net


_SHARED: dict[str, Any] = {}


def shared_network(tmp_path_factory: Any, users: dict[str, tuple[str, str]]) -> Network:
    """One network per test session (building it costs a KDF per store), whichever test
    folder asks first; closed at exit."""
    if "net" not in _SHARED:
        import atexit

        from imi_cli.hub.background import BackgroundHub

        folder = tmp_path_factory.mktemp("net")
        hub = init_hub(folder / "hub.db", secrets.token_urlsafe(16))
        served = BackgroundHub(hub).__enter__()
        _SHARED["net"] = net = build(hub, served.url, folder, users, PASSPHRASE)

        def stop() -> None:
            net.close()
            served.__exit__(None, None, None)
            hub.store.close()

        atexit.register(stop)
    return _SHARED["net"]
