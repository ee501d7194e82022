"""Several `imi hub serve --database` processes on one PostgreSQL database, behind a round-robin
TCP proxy: nodes pushing and pulling at once through any of them lose, double or misdeliver
nothing; a process killed with SIGKILL in the middle of a batch loses nothing either."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time

import pytest

from imi_cli.log import receipts
from tests.hub.pg.serving import PgHubProcess, RoundRobinProxy, build_network, check_delivery

ROUNDS = 4


@pytest.fixture
def admin_hub(pg_url, tmp_path):
    """The hub made in the database (init_hub_pg), open in this process: it invites the
    coordinators, as `imi hub invite` would."""
    from imi_cli.hub.pg.hub import init_hub_pg

    hub = init_hub_pg(pg_url, tmp_path / "hub.key", tmp_path / "replicas")
    yield hub
    hub.close()


def _processes(pg_url, tmp_path, n, **kw):
    return [PgHubProcess(pg_url, tmp_path / "hub.key", tmp_path / "replicas", **kw) for _ in range(n)]


def _sync_until_quiet(nodes):
    from imi_cli.demo.network import _sync

    for _ in range(10):
        pulled = sum(_sync(store).pulled for store, _ in nodes.values())
        if not pulled:
            return
    raise AssertionError("the nodes never stopped pulling")


def _close(nodes):
    for store, _ in nodes.values():
        store.close()


@pytest.mark.parametrize("processes", [2, 3])
def test_nodes_through_several_processes_get_every_event_once(admin_hub, pg_url, tmp_path, processes):
    from imi_cli.demo.network import _sync
    from imi_cli.exchanges.messages import send
    from imi_cli.exchanges.requests.service import Requests

    hubs = [h.start() for h in _processes(pg_url, tmp_path, processes)]
    nodes: dict = {}
    try:
        with RoundRobinProxy([h.port for h in hubs]) as proxy:
            nodes = build_network(admin_hub, tmp_path, proxy.url)
            assert len(nodes) == 12
            targets = sorted({authority for _, authority in nodes.values() if authority.endswith("-A1")})
            errors: list = []
            deadline = (dt.date.today() + dt.timedelta(days=30)).isoformat()

            def work(name, store, authority):
                others = [a for a in targets if a != authority]
                try:
                    for r in range(ROUNDS):
                        for k in range(3):
                            send(store, others[(r + k) % len(others)], f"{name} {r}.{k}", "a message", "en")
                        if r == 0 and authority.endswith("-A1"):
                            requests = Requests(store)
                            rid = requests.new(subject=f"from {name}", area="professional-qualifications",
                                               to=others[0], questionnaire="pq-verify-qualification",
                                               questions=["document_authentic"], deadline=deadline,
                                               person={"applicant_name": f"Applicant of {name}",
                                                       "profession": "architect"})
                            requests.send(rid)
                        _sync(store)
                except Exception as exc:  # reported below, with the node's name
                    errors.append((name, repr(exc)))

            threads = [threading.Thread(target=work, args=(name, store, authority))
                       for name, (store, authority) in nodes.items()]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(300)
            assert not errors
            _sync_until_quiet(nodes)
            events = check_delivery(pg_url, nodes)
            messages = sum(1 for (_, aud) in events.values() if len(aud) == 2)
            assert messages >= 12 * ROUNDS * 3
            assert all(proxy.connections.get(h.port) for h in hubs)  # every process served
        for h in hubs:
            h.stop()
        digests = _replica_digests(admin_hub, pg_url, tmp_path)
        assert len(digests) == processes + 1 and len(set(digests.values())) == 1, digests
    finally:
        _close(nodes)
        for h in hubs:
            h.stop()


PROJECTIONS = ("events", "event_audience", "receipts", "disclosures", "entity_versions", "entity_log", "authorities",
               "users", "principals", "invitations", "messages", "requests", "request_history", "privacy_marks")


def _digest(store) -> str:
    import hashlib

    digest = hashlib.sha256()
    for table in PROJECTIONS:
        for row in sorted(map(repr, store.query(f"SELECT * FROM {table}"))):
            digest.update(row.encode())
    return digest.hexdigest()


def _replica_digests(admin_hub, pg_url, tmp_path) -> dict[int, str]:
    """Each replica slot's projections, caught up with PostgreSQL, as one hash per slot."""
    from imi_cli.hub.pg.hub import open_hub_pg

    admin_hub.backend.catch_up()
    digests = {admin_hub.backend.slot: _digest(admin_hub.store)}
    for path in sorted((tmp_path / "replicas").rglob("worker-*.db")):
        slot = int(path.stem.split("-")[1])
        if slot in digests:
            continue
        hub = open_hub_pg(pg_url, tmp_path / "hub.key", tmp_path / "replicas", slot=slot, listen=False)
        try:
            digests[slot] = _digest(hub.store)
        finally:
            hub.close()
    return digests


def _outbox_pending(store) -> int:
    return store.query("SELECT count(*) FROM outbox WHERE state != 'accepted'")[0][0]


@pytest.mark.parametrize("when", ["before_commit", "after_commit"])
def test_a_process_killed_mid_batch_loses_nothing(admin_hub, pg_url, tmp_path, when):
    """Process A stops in the middle of a batch (before or after PostgreSQL's COMMIT, before its
    answer) and is killed; the node pushes again through B: every event accepted once, with the
    receipt PostgreSQL holds. A restarted on its old replica catches up and serves on."""
    import psycopg

    from imi_cli.demo.network import _sync
    from imi_cli.exchanges.messages import send

    marker = tmp_path / "paused"
    a, b = _processes(pg_url, tmp_path, 2)
    a.env["IMI_TEST_HUB_PAUSE"] = f"{when}:{marker}"
    a.start()
    b.start()
    nodes: dict = {}
    try:
        with RoundRobinProxy([a.port, b.port]) as proxy:
            nodes = build_network(admin_hub, tmp_path, proxy.url, countries=("HU", "DE"), users=1)
            hu, de = nodes["hu.u1"][0], nodes["de.u1"][0]
            for i in range(1200):
                send(hu, "DE-A1", f"bulk {i}", "a message", "en")
            with psycopg.connect(pg_url) as conn:
                before = conn.execute("SELECT last_seq FROM hub_head").fetchone()[0]
            failed: list = []

            def push():
                try:
                    _sync(hu)
                except Exception as exc:  # the connection to A breaks
                    failed.append(exc)

            proxy.next_to(a.port)
            pusher = threading.Thread(target=push)
            pusher.start()
            deadline = time.monotonic() + 120
            while not marker.exists():
                assert time.monotonic() < deadline, "process A never reached the pause"
                time.sleep(0.05)
            a.kill()
            pusher.join(120)
            assert failed or _outbox_pending(hu)  # the push did not complete through A
            with psycopg.connect(pg_url) as conn:
                committed = conn.execute("SELECT last_seq FROM hub_head").fetchone()[0] - before
            # killed mid-batch: before its COMMIT nothing of the batch is kept; after it, the batch is
            assert committed == (0 if when == "before_commit" else 500)
            for _ in range(5):  # the node's retry: through B now
                try:
                    _sync(hu)
                except Exception:
                    continue
                if not _outbox_pending(hu):
                    break
            assert _outbox_pending(hu) == 0
            a = PgHubProcess(pg_url, tmp_path / "hub.key", tmp_path / "replicas", port=a.port).start()
            proxy.next_to(a.port)
            _sync_until_quiet(nodes)
            events = check_delivery(pg_url, nodes)
            assert sum(1 for (_, aud) in events.values() if aud == {"HU-A1", "DE-A1"}) == 1200
            with psycopg.connect(pg_url) as conn:
                held = dict(conn.execute("SELECT event_id, receipt FROM receipts").fetchall())
            for event_id, receipt in hu.query("SELECT event_id, receipt FROM outbox"):
                kept, had = json.loads(receipt), json.loads(held[event_id])  # what PostgreSQL holds
                assert [kept[k] for k in ("event", "seq", "at")] == [had[k] for k in ("event", "seq", "at")]
                assert receipts.proves(hu.meta("operator_key"), kept, event_id, had["seq"])
            assert de.query("SELECT count(*) FROM messages WHERE subject LIKE 'bulk %'")[0][0] == 1200
    finally:
        _close(nodes)
        a.stop()
        b.stop()


def test_one_process_leads_the_housekeeping_and_another_takes_over(admin_hub, pg_url, monkeypatch):
    """The timer jobs run where the session advisory lock is held; when that session ends, the
    next tick of another process takes the lead. A process that does not lead does nothing."""
    from imi_cli.hub import housekeeping
    from imi_cli.hub.pg.connect import connect

    ran: list[str] = []
    monkeypatch.setattr(housekeeping, "run_once", lambda hub, days: ran.append("ran") or {})
    first, second = (housekeeping.Leader(lambda: connect(pg_url, autocommit=True)) for _ in range(2))
    try:
        assert housekeeping.tick(admin_hub, None, first) == {} and ran == ["ran"]
        assert housekeeping.tick(admin_hub, None, second) is None and ran == ["ran"]
        assert first.holds() and not second.holds()
        first.conn.close()  # its session ends (a killed process): the lock goes with it
        assert not first.holds()  # noticed at its next tick
        deadline = time.monotonic() + 10  # the server ends the closed session's backend a moment later
        while housekeeping.tick(admin_hub, None, second) is None:
            assert time.monotonic() < deadline, "the lock was never released"
            time.sleep(0.05)
        assert ran == ["ran", "ran"]
        assert housekeeping.tick(admin_hub, None, first) is None
    finally:
        first.close()
        second.close()


def test_across_processes_a_nonce_a_code_and_a_wake_up_count_once(admin_hub, pg_url, tmp_path):
    """The same signed request sent to A and B at once: one is answered, the other is a replay.
    One invitation code used at A and at B at once: one enrolment. A long poll on B wakes well
    within a second of a push to A."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from imi_cli.exchanges.messages import send
    from imi_cli.log.crypto import Signer, code_hash, new_private_key, public_key_of
    from imi_cli.sync.enrolment import client_for
    from tests.hub.conftest import signed_headers

    a, b = (h.start() for h in _processes(pg_url, tmp_path, 2))
    nodes: dict = {}
    try:
        with RoundRobinProxy([a.port, b.port]) as proxy:
            nodes = build_network(admin_hub, tmp_path, proxy.url, countries=("HU", "DE"), users=1)
        hu, de = nodes["hu.u1"][0], nodes["de.u1"][0]
        target = "/v1/events?after=0&limit=1"
        headers = signed_headers(hu, "GET", target, b"")
        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(lambda h: httpx.get(h.url + target, headers=headers, timeout=30), (a, b)))
        assert sorted(r.status_code for r in answers) == [200, 401]
        assert [r.json()["error"] for r in answers if r.status_code == 401] == ["the request was replayed"]

        code = admin_hub.reinvite("hu.coord")  # its node is not used below: the winner replaces its key
        key = new_private_key()
        proof = Signer("new", key).sign_bytes(code_hash(code).encode())
        body = {"code": code, "public_key": public_key_of(key), "proof": proof}
        with ThreadPoolExecutor(2) as pool:
            enrolled = list(pool.map(lambda h: httpx.post(h.url + "/v1/enrol", json=body, timeout=30), (a, b)))
        assert sorted(r.status_code for r in enrolled) == [200, 403]
        with psycopg_connect(pg_url) as conn:
            spent = conn.execute("SELECT count(*) FROM invitations_spent WHERE code_hash = %s",
                                 (code_hash(code),)).fetchone()[0]
        assert spent == 1

        with client_for(de, b.url) as client:
            after = client.pull(0, limit=5000)["last"]
            woken: list[float] = []

            def poll() -> None:
                got = client.pull(after, wait=20)
                woken.append(time.monotonic() if got["events"] else float("inf"))

            poller = threading.Thread(target=poll)
            poller.start()
            time.sleep(1.0)  # the long poll is waiting on B
            send(hu, "DE-A1", "wake up", "through A", "en")
            pushed = time.monotonic()
            with client_for(hu, a.url) as pusher:
                assert pusher.push([json.loads(hu.query("SELECT body FROM events ORDER BY seq DESC LIMIT 1")[0][0])]
                                   )[0]["status"] == "accepted"
            poller.join(30)
        assert woken and woken[0] - pushed < 1.5, woken  # NOTIFY, not the 5 s recheck
    finally:
        _close(nodes)
        a.stop()
        b.stop()


def psycopg_connect(url: str):
    import psycopg

    return psycopg.connect(url)
