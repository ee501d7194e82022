"""Fixtures for hub and sync tests: a real hub on loopback and a network of enrolled stores.

In-process stores use a cheap KDF (these tests are about the hub, not the store's KDF);
stores a subprocess must open are made with the real cost, or carry a cached key.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from itertools import count
from pathlib import Path
from typing import Any

import httpx
import pytest

PASSPHRASE = "correct horse battery staple"
_ids = count(1)


@pytest.fixture
def cheap_kdf(monkeypatch):
    import imi_cli.log.store

    monkeypatch.setattr(imi_cli.log.store, "KDF_ITERATIONS", 2)


@pytest.fixture(scope="session")
def pg_server():
    """One PostgreSQL server for the session (IMI_TEST_PG's, else a throwaway one)."""
    from tests import pg_server as pg

    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.fail("psycopg is not installed: pip install -e '.[test]' (the hub's PostgreSQL tests need it)",
                    pytrace=False)
    try:
        server = pg.server()
    except (RuntimeError, OSError) as exc:  # no skip: the hub's suite runs on both backends
        pytest.fail(f"no PostgreSQL server for the hub's tests: {exc} "
                    f"(set {pg.ENVIRONMENT} to a server's URL, or install PostgreSQL)", pytrace=False)
    yield server
    server.stop()


def served_hub(request: Any, tmp_path: Path, backend: str):
    """A hub served by uvicorn in a thread on a free loopback port, with the API limits of the
    test module's ``HUB_LIMITS`` (protocol/limits.py; the defaults if none): a hub store in
    tmp_path, or (``postgresql``) a hub whose log is in a new PostgreSQL database, its replica
    in tmp_path."""
    from imi_cli.hub.background import BackgroundHub

    if backend == "sqlcipher":
        from imi_cli.hub.state import init_hub

        state = init_hub(tmp_path / "hub.db", PASSPHRASE, keep_key=True)  # (served: its checkpoints may start)

        def close() -> None:
            if state.checkpoints is not None:
                state.checkpoints.close()
            state.store.close()

        drop = None
    else:
        import uuid

        from imi_cli.hub.pg.hub import init_hub_pg

        server = request.getfixturevalue("pg_server")
        name = f"t_{uuid.uuid4().hex[:16]}"
        state = init_hub_pg(server.database(name), tmp_path / "hub.key", tmp_path / "replicas")
        close, drop = state.close, (lambda: server.drop(name))
    with BackgroundHub(state, limits=getattr(request.module, "HUB_LIMITS", None)) as served:
        state.url = served.url
        yield state
    close()
    if drop is not None:
        drop()


@pytest.fixture(params=["sqlcipher", "postgresql"])
def hub(request, tmp_path, cheap_kdf):
    """The hub suite runs on both backends (tests outside it use tests/hub/sqlcipher_hub.py's)."""
    yield from served_hub(request, tmp_path, request.param)


class Network:
    """Coordinators, authorities and users enrolled with one hub, made through the Python API."""

    def __init__(self, hub: Any, workdir: Path) -> None:
        self.hub, self.url, self.workdir = hub, hub.url, workdir
        self.stores: list[Any] = []

    def node(self, name: str, code: str, url: str | None = None) -> Any:
        from imi_cli.log.store import Store
        from imi_cli.sync.enrolment import enrol

        store = Store.create(self.workdir / f"{name}-{next(_ids)}.db", PASSPHRASE)
        enrol(store, url or self.url, code)
        self.stores.append(store)
        return store

    def coordinator(self, country: str, *, areas: str = "professional-qualifications;services") -> Any:
        from imi_cli.directory.invitations import coordinator_records

        record, user = coordinator_records(f"{country}-NCO", country, f"Coordinator {country}", "en", "en",
                                           areas, f"imi@example.{country.lower()}", f"{country.lower()}.coord",
                                           f"Coordinator {country}", f"coord@example.{country.lower()}")
        store = self.node(f"{country}-nco", self.hub.invite_coordinator(record, user))
        sync(store)
        return store

    def authority(self, by: Any, ident: str, country: str, areas: str = "professional-qualifications",
                  kind: str = "authority", sync_after: bool = True) -> dict[str, Any]:
        from imi_cli.directory.authorities import Directory

        record = {"id": ident, "kind": kind, "country": country, "names": {"en": f"Authority {ident}"},
                  "languages": "en", "areas": areas, "email": f"{ident.lower()}@example.eu"}
        report = Directory(by).register_authorities([("test", record)])
        if sync_after:
            sync(by)
        return report

    def user(self, by: Any, ident: str, authority: str, roles: str = "administrator;request_handler",
             enrol: bool = True) -> Any:
        """Register a user from ``by``'s store, push it, and (by default) enrol a store for it."""
        from imi_cli.directory.users import Users

        report = Users(by).register([("test", {"id": ident, "name": f"User {ident}", "email": f"{ident}@example.eu",
                                               "authority": authority, "roles": roles})])
        sync(by)
        code = report.invitations[ident]
        if not enrol:
            return code
        store = self.node(ident, code)
        sync(store)
        return store

    def close(self) -> None:
        for store in self.stores:
            store.close()


def sync(store: Any, **kw: Any) -> Any:
    from imi_cli.sync.enrolment import client_for
    from imi_cli.sync.session import sync as do_sync

    with client_for(store) as client:
        return do_sync(store, client, **kw)


@pytest.fixture
def net(hub, tmp_path):
    network = Network(hub, tmp_path)
    yield network
    network.close()


# -- a hub in its own process (for tests that kill or restart it) ----------------------
def free_port() -> int:
    from imi_cli.hub.background import free_port as fp

    return fp()


def cli_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(IMI_PASSPHRASE=PASSPHRASE, LANG="C.UTF-8")  # IMI_RUNTIME_DIR: the test's, where keys are cached
    return env


def imi_cmd(*args: Any) -> list[str]:
    return [sys.executable, "-c", "from imi_cli.cli.app import run; run()", *map(str, args)]


class HubProcess:
    """`imi hub serve` in a subprocess, on a fixed port so it can be restarted at the same URL."""

    def __init__(self, store: Path, env: dict[str, str], port: int | None = None) -> None:
        self.store, self.env, self.port = store, env, port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> HubProcess:
        self.proc = subprocess.Popen(imi_cmd("--store", self.store, "hub", "serve", "--port", self.port),
                                     env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"hub exited: {self.proc.stderr.read().decode()}")
            try:
                httpx.get(self.url + "/v1/info", timeout=0.5)
                return self
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError("the hub did not start")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


def signed_headers(store: Any, method: str, target: str, body: bytes) -> dict[str, str]:
    from imi_cli.log.crypto import Signer
    from imi_cli.protocol.signing import sign_request

    return sign_request(Signer(store.meta("user_id"), store.meta("private_key")), method, target, body)


def hub_events(hub: Any) -> list[tuple[int, str, str]]:
    return hub.store.query("SELECT seq, id, type FROM events ORDER BY seq")


def node_event_ids(store: Any) -> set[str]:
    return {i for (i,) in store.query("SELECT id FROM events")}


def signed_messages(store: Any, to: str, n: int) -> list[dict[str, Any]]:
    """n message events signed by ``store``'s user, as its node would push them."""
    from imi_cli.log.crypto import Signer
    from imi_cli.log.event import make_event, uuid7

    me = {"user": store.meta("user_id"), "authority": store.meta("authority_id")}
    signer = Signer(me["user"], store.meta("private_key"))
    out = []
    for i in range(n):
        ident = uuid7()
        out.append(signer.sign_event(make_event(
            "message.sent", actor=me, audience=[me["authority"], to],
            payload={"from": me["authority"], "to": to, "subject": f"m{i}", "text": "x" * 100, "lang": "en"},
            subject={"entity": f"message/{ident}", "version": 0})))
    return out


def fill(hub: Any, events: list[dict[str, Any]]) -> None:
    """Sequence already-signed events straight into the hub's log (fast set-up for big pulls)."""
    from imi_cli.protocol import audience, pipeline
    from imi_cli.protocol.view import RulesView

    with hub.lock, hub.store.transaction() as conn:
        view = RulesView(conn, at_hub=True)
        for event in events:
            hub._insert(conn, event, audience.expand(view, pipeline.audience_of(view, event)))


def unlock_for_subprocess(path: Path) -> None:
    """Leave the store's key in the session cache, as `imi unlock` does, for an `imi` subprocess."""
    from imi_cli.log.store import derive_key, read_salt
    from imi_cli.log.unlock import cache_key

    cache_key(Path(path), derive_key(PASSPHRASE, read_salt(Path(path))), 600)


def expected_ids(hub: Any, authority: str) -> dict[str, int]:
    import json as _json

    rows = hub.store.query("SELECT e.seq, e.body FROM events e JOIN event_audience a ON a.seq = e.seq "
                           "WHERE a.authority IN ('*', ?)", (authority,))
    return {_json.loads(body)["id"]: seq for seq, body in rows}
