"""The demo's second act: a hub on loopback, two national coordinators, their authorities
and users, and a message that reaches its recipient and no third authority."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from imi_cli.i18n import language, t

Say = Callable[[str], None]


def _node(workdir: Path, name: str, hub_url: str, code: str) -> Any:
    from imi_cli.log.store import Store
    from imi_cli.sync.enrolment import enrol

    store = Store.create(workdir / f"{name}.db", secrets.token_urlsafe(24))
    enrol(store, hub_url, code)
    return store


def _nodes(workdir: Path, hub_url: str, codes: dict[str, str]) -> dict[str, Any]:
    """``_node`` for each user name -> code, side by side: a store's key derivation takes
    some 0.2 s of a core and leaves the others free."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=len(codes) or 1) as pool:
        made = {name: pool.submit(_node, workdir, name, hub_url, code) for name, code in codes.items()}
    return {name: future.result() for name, future in made.items()}


_KEPT: dict[int, tuple[Any, Any]] | None = None  # id(store) -> (store, its hub client), in kept_clients()


@contextmanager
def kept_clients() -> Iterator[None]:
    """Within the block, ``_sync`` keeps one hub client per store instead of making one per
    sync (each costs a TLS context, some 30 ms); they are closed when the block ends."""
    global _KEPT
    outer, _KEPT = _KEPT, {}
    try:
        yield
    finally:
        kept, _KEPT = _KEPT, outer
        for _, client in kept.values():
            client.close()


def _sync(store: Any) -> Any:
    from imi_cli.sync.enrolment import client_for
    from imi_cli.sync.session import sync

    if _KEPT is None:
        with client_for(store) as client:
            return sync(store, client)
    if id(store) not in _KEPT:
        _KEPT[id(store)] = (store, client_for(store))
    return sync(store, _KEPT[id(store)][1])


def _coordinator(hub: Any, workdir: Path, url: str, country: str, lang: str, name: str) -> Any:
    from imi_cli.directory.invitations import coordinator_records

    record, user = coordinator_records(f"{country}-NCO", country, name, lang, f"{lang};en",
                                       "professional-qualifications;services", f"imi@example.{country.lower()}",
                                       f"{country.lower()}.coord", f"Coordinator {country}",
                                       f"coord@example.{country.lower()}")
    code = hub.invite_coordinator(record, user)
    store = _node(workdir, f"{country.lower()}-coordinator", url, code)
    _sync(store)
    return store


def _register(coordinator: Any, authority: dict[str, Any], user: dict[str, Any]) -> str:
    from imi_cli.directory.authorities import Directory
    from imi_cli.directory.users import Users

    Directory(coordinator).register_authorities([("demo", authority)])
    report = Users(coordinator).register([("demo", user)])
    _sync(coordinator)
    return report.invitations[user["id"]]


AUTHORITIES = {
    "HU": ({"id": "HU-MEK", "country": "HU",
            "names": {"hu": "Magyar Építész Kamara", "en": "Hungarian Chamber of Architects"},
            "languages": "hu;en", "areas": "professional-qualifications", "competences": "építész;architect",
            "email": "info@example.hu", "coordinator": "HU-NCO"},
           {"id": "hu.kovacs", "name": "Kovács Anna", "email": "anna@example.hu", "authority": "HU-MEK",
            "roles": "administrator;request_handler"}),
    "IE": ({"id": "IE-RIAI", "country": "IE", "names": {"en": "Royal Institute of the Architects of Ireland"},
            "languages": "en;ga", "areas": "professional-qualifications", "competences": "architect",
            "email": "riai@example.ie", "coordinator": "IE-NCO"},
           {"id": "ie.murphy", "name": "Siobhán Murphy", "email": "s.murphy@example.ie", "authority": "IE-RIAI",
            "roles": "administrator;request_handler"}),
}


THIRD = ({"id": "HU-OH", "country": "HU", "names": {"hu": "Oktatási Hivatal", "en": "Educational Authority"},
          "languages": "hu;en", "areas": "professional-qualifications", "competences": "oklevél elismerése",
          "email": "info@example.hu", "coordinator": "HU-NCO"},
         {"id": "hu.olah", "name": "Oláh Katalin", "email": "k.olah@example.hu", "authority": "HU-OH",
          "roles": "request_handler"})


def run_network(say: Say, workdir: Path) -> dict[str, Any]:
    from imi_cli.demo.alert import run_alert
    from imi_cli.demo.notification import run_notification
    from imi_cli.demo.request import run_request
    from imi_cli.exchanges.messages import inbox, send
    from imi_cli.hub.background import BackgroundHub
    from imi_cli.hub.state import init_hub
    hub = init_hub(workdir / "hub.db", secrets.token_urlsafe(24))
    with BackgroundHub(hub) as served, kept_clients():
        say(t("{step}. A hub serves the network on {url}; its operator invites two national coordinators.",
              step=7, url=served.url))
        coords = {c: _coordinator(hub, workdir, served.url, c, lang, name) for c, lang, name in
                  (("HU", "hu", "IMI Nemzeti Koordinátor"), ("IE", "en", "IMI National Coordinator Ireland"))}
        say(t("{step}. Each coordinator enrols (a key pair made in its own store), registers an authority and a"
              " user.", step=8))
        codes = {c: _register(coords[c], *AUTHORITIES[c]) for c in coords}
        made = _nodes(workdir, served.url, {AUTHORITIES[c][1]["id"]: codes[c] for c in coords})
        users = {c: made[AUTHORITIES[c][1]["id"]] for c in coords}
        say(t("{step}. Both users enrol with their one-time codes: hu.kovacs (HU-MEK), ie.murphy (IE-RIAI).",
              step=9))
        for store in users.values():
            _sync(store)
        send(users["IE"], "HU-MEK", "Architect's diploma", "Could you confirm the diploma of the applicant?", "en")
        _sync(users["IE"])
        _sync(users["HU"])
        with language("hu"):  # hu.kovacs reads her inbox in Hungarian
            received = [m["subject"] for m in inbox(users["HU"])]
        # Translators: {subjects} is a list of message subjects, as written by their senders
        say(t("{step}. ie.murphy sends HU-MEK a message, signed with her key. hu.kovacs receives: {subjects}",
              step=10, subjects=received))
        _sync(coords["HU"])
        with language("hu"):
            third = [m["subject"] for m in inbox(coords["HU"])]
        if third:
            say(t("{step}. The Hungarian coordinator's store (a third authority, HU-NCO) holds: {subjects}",
                  step=11, subjects=third))
        else:
            say(t("{step}. The Hungarian coordinator's store (a third authority, HU-NCO) holds: nothing", step=11))
        outsider = _node(workdir, "hu.olah", served.url, _register(coords["HU"], *THIRD))
        request = run_request(say, users["IE"], users["HU"], outsider, _sync)
        alert = run_alert(say, hub, served.url, coords, workdir, _sync)
        notification = run_notification(say, hub, served.url, workdir, _sync)
        from imi_cli.demo.repositories import run_repositories
        cit = run_repositories(say, hub, served.url, coords, users, workdir, _sync, first=29)
        from imi_cli.demo.privacy import run_privacy

        privacy = run_privacy(say, hub, coords, users, request["request"], _sync, first=33)  # last: it moves the clock
        for store in [*coords.values(), *users.values(), outsider]:
            store.close()
    hub.store.close()
    return {"hub": served.url, "received": received, "third_party_saw": third, "request": request,
            "alert": alert, "notification": notification, "cit": cit, "privacy": privacy}
