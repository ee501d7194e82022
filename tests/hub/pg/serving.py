"""Hub processes on one PostgreSQL database, a round-robin TCP proxy in front of them (the "load
balancer"), and a network of nodes syncing through it: what test_processes, test_migrate and
bench/bench_hub_pg.py share."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    from imi_cli.hub.background import free_port as fp

    return fp()


def imi_cmd(*args: Any) -> list[str]:
    return [sys.executable, "-c", "from imi_cli.cli.app import run; run()", *map(str, args)]


class PgHubProcess:
    """`imi hub serve --database URL` in a subprocess, on a fixed port so it can be restarted
    at the same address. ``pause``: IMI_TEST_HUB_PAUSE for this process (worker.py)."""

    def __init__(self, url: str, key_file: Path, replica_dir: Path, port: int | None = None,
                 env: dict[str, str] | None = None, workers: int = 1, pause: str | None = None,
                 log: Path | None = None) -> None:
        self.db, self.key_file, self.replica_dir = url, key_file, replica_dir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(env or os.environ)
        if pause:
            self.env["IMI_TEST_HUB_PAUSE"] = pause
        self.workers = workers
        self.log = log or replica_dir.parent / f"hub-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> PgHubProcess:
        args = ["hub", "serve", "--database", self.db, "--key-file", self.key_file, "--replica-dir", self.replica_dir,
                "--port", self.port]
        if self.workers > 1:
            args += ["--workers", self.workers]
        with open(self.log, "ab") as err:
            self.proc = subprocess.Popen(imi_cmd(*args), env=self.env, stdout=subprocess.DEVNULL, stderr=err,
                                         start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"hub exited: {self.log.read_text(errors='replace')[-3000:]}")
            try:
                httpx.get(self.url + "/v1/info", timeout=1)
                return self
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError(f"the hub did not start: {self.log.read_text(errors='replace')[-3000:]}")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def kill(self) -> None:
        """SIGKILL (the whole process group: uvicorn's workers too)."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


class RoundRobinProxy:
    """A TCP proxy on loopback: each new connection goes to the next backend port in turn; a
    backend that refuses the connection (a killed process) is skipped."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = list(ports)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.turn = 0
        self.connections: dict[int, int] = {}
        self.loop = asyncio.new_event_loop()
        self.server: Any = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def next_to(self, port: int) -> None:
        """The next connection goes to ``port`` (if it answers)."""
        self.turn = self.ports.index(port)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                writer.write(data)
                await writer.drain()
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            try:
                writer.close()
            except Exception:
                pass

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for _ in range(len(self.ports)):
            port = self.ports[self.turn % len(self.ports)]
            self.turn += 1
            try:
                up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                continue
            self.connections[port] = self.connections.get(port, 0) + 1
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
            return
        writer.close()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", self.port))
        self.loop.run_forever()

    def __enter__(self) -> RoundRobinProxy:
        self.thread.start()
        deadline = time.monotonic() + 10
        while self.server is None and time.monotonic() < deadline:
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            self.server.close()
            tasks = [t for t in asyncio.all_tasks(self.loop) if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self.loop.stop()

        asyncio.run_coroutine_threadsafe(stop(), self.loop)
        self.thread.join(10)
        if not self.thread.is_alive():
            self.loop.close()


# -- a network of nodes --------------------------------------------------------------------------
def authority_record(ident: str, country: str) -> dict[str, Any]:
    return {"id": ident, "kind": "authority", "country": country, "names": {"en": f"Authority {ident}"},
            "languages": "en", "areas": "professional-qualifications", "email": f"{ident.lower()}@example.eu"}


def build_network(hub: Any, workdir: Path, url: str, countries: tuple[str, ...] = ("HU", "DE", "FR"),
                  users: int = 3) -> dict[str, tuple[Any, str]]:
    """Per country a coordinator (X-NCO) and ``users`` users at authority X-A1, each a node
    enrolled through ``url``: name -> (store, authority). ``hub`` invites the coordinators."""
    from imi_cli.demo.network import _coordinator, _node, _sync
    from imi_cli.directory.authorities import Directory
    from imi_cli.directory.users import Users

    nodes: dict[str, tuple[Any, str]] = {}
    codes: dict[str, tuple[str, str]] = {}
    for country in countries:
        coord = _coordinator(hub, workdir, url, country, "en", f"Coordinator {country}")
        nodes[f"{country}-NCO"] = (coord, f"{country}-NCO")
        Directory(coord).register_authorities([("test", authority_record(f"{country}-A1", country))])
        report = Users(coord).register([("test", {"id": f"{country.lower()}.u{i}", "name": f"User {country} {i}",
                                                  "email": f"u{i}@{country.lower()}.example.eu",
                                                  "authority": f"{country}-A1",
                                                  "roles": "administrator;request_handler"})
                                        for i in range(1, users + 1)])
        _sync(coord)
        for user, code in report.invitations.items():
            codes[user] = (code, f"{country}-A1")
    for user, (code, authority) in codes.items():
        store = _node(workdir, user, url, code)
        nodes[user] = (store, authority)
    for store, _ in nodes.values():
        _sync(store)
    return nodes


def pg_events(url: str) -> dict[str, tuple[int, set[str]]]:
    """id -> (seq, audience) of every event in PostgreSQL."""
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT e.id, e.seq, array_agg(a.authority) FROM events e "
                            "LEFT JOIN event_audience a ON a.seq = e.seq GROUP BY e.id, e.seq").fetchall()
    return {ident: (seq, set(x for x in audience if x)) for ident, seq, audience in rows}


def check_delivery(url: str, nodes: dict[str, tuple[Any, str]]) -> dict[str, tuple[int, set[str]]]:
    """Every event once in PostgreSQL; every node holds exactly the events of its audience (its
    authority and the whole network), each with PostgreSQL's number; every outbox row accepted
    with a receipt of that number."""
    import json

    from imi_cli.log.event import NETWORK

    events = pg_events(url)
    import psycopg

    with psycopg.connect(url) as conn:
        (count, distinct), = conn.execute("SELECT count(*), count(DISTINCT id) FROM events").fetchall()
        last_seq = conn.execute("SELECT last_seq FROM hub_head").fetchone()[0]
        seqs = [s for (s,) in conn.execute("SELECT seq FROM events ORDER BY seq").fetchall()]
    assert count == distinct == len(events)
    assert seqs == list(range(1, last_seq + 1)), "sequence numbers with gaps"
    for name, (store, authority) in nodes.items():
        own = {i for (i,) in store.query("SELECT event_id FROM outbox")}  # a node keeps what it wrote
        expected = {i for i, (_, aud) in events.items() if NETWORK in aud or authority in aud} | own
        held = dict(store.query("SELECT id, hub_seq FROM events"))
        assert set(held) == expected, (name, sorted(set(held) - expected)[:5], sorted(expected - set(held))[:5])
        assert all(held[i] == events[i][0] for i in held), name
        outbox = store.query("SELECT event_id, state, receipt FROM outbox")
        assert all(state == "accepted" for _, state, _ in outbox), (name, [o for o in outbox if o[1] != "accepted"])
        assert all(json.loads(receipt)["seq"] == events[i][0] for i, _, receipt in outbox), name
    return events
