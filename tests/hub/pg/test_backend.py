"""The hub on PostgreSQL (hub/pg/backend.py): the same protocol as on a SQLCipher store, with the
log in PostgreSQL and a private replica per process.

A hub here is served over HTTP like the SQLCipher hub of tests/hub (nodes enrol, push, pull)."""

from __future__ import annotations

import json
import shutil
from typing import Any

import pytest

from imi_cli.log import receipts
from tests.hub.conftest import Network, signed_headers, signed_messages, sync


@pytest.fixture
def pg_hub(pg_url, tmp_path, cheap_kdf):
    from imi_cli.hub.background import BackgroundHub
    from imi_cli.hub.pg.hub import init_hub_pg

    state = init_hub_pg(pg_url, tmp_path / "hub.key", tmp_path / "replicas")
    state.pg_url, state.key_file, state.replica_dir = pg_url, tmp_path / "hub.key", tmp_path / "replicas"
    with BackgroundHub(state) as served:
        state.url = served.url
        yield state
    state.close()


@pytest.fixture
def pnet(pg_hub, tmp_path):
    network = Network(pg_hub, tmp_path)
    yield network
    network.close()


def pg_rows(url: str, sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


def two_countries(net: Network) -> tuple[Any, Any]:
    """A user in Germany and one in France, each at an authority."""
    de, fr = net.coordinator("DE"), net.coordinator("FR")
    net.authority(de, "DE-A", "DE")
    net.authority(fr, "FR-A", "FR")
    return net.user(de, "anna", "DE-A"), net.user(fr, "jean", "FR-A")


def test_a_hub_on_postgresql_accepts_sequences_and_serves_each_audience(pg_hub, pnet):
    anna, jean = two_countries(pnet)
    assert pg_hub.backend.kind == "postgresql"
    events = signed_messages(anna, "FR-A", 3)
    results = pg_hub.accept(events, "anna")
    assert [r["status"] for r in results] == ["accepted"] * 3
    seqs = [r["seq"] for r in results]
    assert seqs == sorted(seqs) and seqs[-1] - seqs[0] == 2
    # receipts and numbers are PostgreSQL's
    stored = dict(pg_rows(pg_hub.pg_url, "SELECT event_id, seq FROM receipts WHERE event_id = ANY(%s)",
                          ([e["id"] for e in events],)))
    assert stored == {e["id"]: r["seq"] for e, r in zip(events, results, strict=True)}
    # the same event again: a receipt of the same number and time, whole alone (a tree of one)
    again = pg_hub.accept([events[0]], "anna")[0]["receipt"]
    assert (again["seq"], again["at"]) == (results[0]["seq"], results[0]["receipt"]["at"])
    assert receipts.proves(pg_hub.operator_public_key, again, events[0]["id"], results[0]["seq"])
    # sequence numbers in PostgreSQL have no gap, and equal the replica's
    pg_seqs = [s for (s,) in pg_rows(pg_hub.pg_url, "SELECT seq FROM events ORDER BY seq")]
    assert pg_seqs == list(range(1, len(pg_seqs) + 1))
    assert pg_seqs == [s for (s,) in pg_hub.store.query("SELECT seq FROM events ORDER BY seq")]
    # the audience: jean's authority reads them, a third authority does not
    sync(jean)
    got = {i for (i,) in jean.query("SELECT id FROM events WHERE type = 'message.sent'")}
    assert {e["id"] for e in events} <= got
    de_coord_rows = pg_hub.events_for("DE-NCO", 0, 1000)
    assert not {e["id"] for e in events} & {json.loads(b)["id"] for _, b in de_coord_rows}


def test_a_replayed_nonce_is_refused_once_in_postgresql(pg_hub, pnet):
    import httpx

    anna, _ = two_countries(pnet)
    headers = signed_headers(anna, "GET", "/v1/events?after=0", b"")
    first = httpx.get(pg_hub.url + "/v1/events?after=0", headers=headers)
    again = httpx.get(pg_hub.url + "/v1/events?after=0", headers=headers)
    assert first.status_code == 200
    assert again.status_code == 401 and again.json()["reason"] == "unauthenticated"
    assert pg_rows(pg_hub.pg_url, "SELECT count(*) FROM request_nonces WHERE nonce = %s",
                   (headers["X-IMI-Nonce"],)) == [(1,)]
    # a push replayed (the same signed request) is refused and sequences nothing
    body = json.dumps({"events": signed_messages(anna, "FR-A", 1)}).encode()
    push = {**signed_headers(anna, "POST", "/v1/events", body), "Content-Type": "application/json"}
    assert httpx.post(pg_hub.url + "/v1/events", content=body, headers=push).status_code == 200
    before = pg_rows(pg_hub.pg_url, "SELECT last_seq FROM hub_head")
    assert httpx.post(pg_hub.url + "/v1/events", content=body, headers=push).status_code == 401
    assert pg_rows(pg_hub.pg_url, "SELECT last_seq FROM hub_head") == before


def test_a_message_body_is_not_stored_in_plaintext(pg_hub, pnet):
    anna, _ = two_countries(pnet)
    events = signed_messages(anna, "FR-A", 1)
    marker = "MARKER-7f3a91c2-subject"
    events = _with_subject(anna, marker)
    assert pg_hub.accept(events, "anna")[0]["status"] == "accepted"
    assert pg_rows(pg_hub.pg_url, "SELECT count(*) FROM events WHERE position(%s in body) > 0",
                   (marker.encode(),)) == [(0,)]
    assert pg_rows(pg_hub.pg_url, "SELECT count(*) FROM events WHERE id = %s", (events[0]["id"],)) == [(1,)]
    # and the hub still serves it whole
    assert any(marker in body for _, body in pg_hub.events_for("FR-A", 0, 1000))


def _with_subject(store: Any, subject: str) -> list[dict[str, Any]]:
    from imi_cli.log.crypto import Signer
    from imi_cli.log.event import make_event, uuid7

    me = {"user": store.meta("user_id"), "authority": store.meta("authority_id")}
    ident = uuid7()
    return [Signer(me["user"], store.meta("private_key")).sign_event(make_event(
        "message.sent", actor=me, audience=[me["authority"], "FR-A"],
        payload={"from": me["authority"], "to": "FR-A", "subject": subject, "text": "x", "lang": "en"},
        subject={"entity": f"message/{ident}", "version": 0}))]


REPLICA_TABLES_SKIPPED = {"meta", "request_nonces", "sqlite_sequence", "sqlite_stat1"}


def replica_tables(store: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of a replica, its rows sorted (the FTS shadow tables aside)."""
    names = [n for (n,) in store.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
             if n not in REPLICA_TABLES_SKIPPED and not n.startswith(("authority_fts_", "licences_trigram_"))
             and n not in ("authority_fts", "licences_trigram")]
    return {n: sorted(store.query(f"SELECT * FROM {n}"), key=repr) for n in names}


def test_reopened_hub_catches_up_and_a_deleted_replica_is_bootstrapped_equal(pg_hub, pnet, tmp_path):
    from imi_cli.hub.pg.hub import open_hub_pg

    anna, jean = two_countries(pnet)
    pg_hub.accept(signed_messages(anna, "FR-A", 5), "anna")
    # a second process (its own replica) writes while the first is closed ... then the first reopens
    other = open_hub_pg(pg_hub.pg_url, pg_hub.key_file, pg_hub.replica_dir)
    try:
        assert other.backend.slot != pg_hub.backend.slot
        other.accept(signed_messages(jean, "DE-A", 4), "jean")
        expected = replica_tables(other.store)
        slot_path = other.store.path
    finally:
        other.close()
    reopened = open_hub_pg(pg_hub.pg_url, pg_hub.key_file, pg_hub.replica_dir, slot=other.backend.slot)
    try:
        assert replica_tables(reopened.store) == expected
    finally:
        reopened.close()
    # the replica deleted: made again from PostgreSQL, equal table by table
    slot_path.unlink()
    for extra in ("-wal", "-shm"):
        shutil.rmtree(f"{slot_path}{extra}", ignore_errors=True)
    remade = open_hub_pg(pg_hub.pg_url, pg_hub.key_file, pg_hub.replica_dir, slot=other.backend.slot)
    try:
        assert replica_tables(remade.store) == expected
        pg_hub.backend.catch_up()
        assert replica_tables(pg_hub.store) == expected
    finally:
        remade.close()


# -- personal data, retention and the data-protection clock across two hub processes ------
@pytest.fixture
def pg_pair(pg_url, tmp_path, monkeypatch):
    """tests/sync's ``pair`` (HU and IE, a user each) on a hub in PostgreSQL, plus a second hub
    process (``other``: its own replica) on the same database."""
    from types import SimpleNamespace

    from imi_cli.demo.network import AUTHORITIES, _coordinator, _node, _register, _sync
    from imi_cli.hub.background import BackgroundHub
    from imi_cli.hub.pg.hub import init_hub_pg, open_hub_pg

    monkeypatch.setenv("IMI_NOW", "2026-01-05T09:00:00+00:00")
    key, replicas = tmp_path / "hub.key", tmp_path / "replicas"
    hub = init_hub_pg(pg_url, key, replicas)
    other = open_hub_pg(pg_url, key, replicas)
    with BackgroundHub(hub) as served:
        coords = {c: _coordinator(hub, tmp_path, served.url, c, lang, c) for c, lang in (("HU", "hu"), ("IE", "en"))}
        codes = {c: _register(coords[c], *AUTHORITIES[c]) for c in coords}
        users = {c: _node(tmp_path, AUTHORITIES[c][1]["id"], served.url, codes[c]) for c in coords}
        for store in users.values():
            _sync(store)
        yield SimpleNamespace(hub=hub, other=other, url=served.url, coords=coords, users=users, pg_url=pg_url)
        for store in [*coords.values(), *users.values()]:
            store.close()
    other.close()
    hub.close()


NAME = "Nagy Béla"


def _held(store: Any, rid: str) -> list[str]:
    return [t for (t,) in store.query("SELECT disclosure FROM disclosures WHERE entity = ? AND disclosure IS NOT NULL",
                                      (f"request/{rid}",))]


def _sent(pair: Any, tmp_path: Any) -> str:
    from imi_cli.demo.network import _sync
    from imi_cli.exchanges.requests.service import Requests

    (tmp_path / "diploma.pdf").write_bytes(b"%PDF-1.7 diploma")
    ie = Requests(pair.users["IE"])
    rid = ie.new(area="professional-qualifications", to="HU-MEK", questionnaire="pq-verify-qualification",
                 questions=["document_authentic"], deadline="2026-02-20", subject="Check",
                 person={"applicant_name": NAME, "profession": "architect"}, attachments=[tmp_path / "diploma.pdf"])
    ie.send(rid)
    assert _sync(pair.users["IE"]).rejected == []
    _sync(pair.users["HU"])
    return rid


def test_pulls_carry_the_disclosures_from_postgresql_sealed_there_and_erasure_reaches_every_replica(pg_pair,
                                                                                                    tmp_path):
    from imi_cli.demo.network import _sync
    from imi_cli.exchanges.requests.render import request_view
    from imi_cli.exchanges.requests.service import Requests
    from imi_cli.hub import disclosures as hub_disclosures

    pair = pg_pair
    rid = _sent(pair, tmp_path)
    hu = Requests(pair.users["HU"])
    assert request_view(hu.get(rid), hu.history(rid), "en")["person"]["applicant_name"] == NAME
    # sealed in PostgreSQL: neither the name nor a disclosure in plain
    assert pg_rows(pair.pg_url, "SELECT count(*) FROM disclosures WHERE entity = %s AND disclosure IS NOT NULL",
                   (f"request/{rid}",))[0][0] >= 2
    held = _held(pair.hub.store, rid)
    assert held and not any(pg_rows(pair.pg_url, "SELECT 1 FROM disclosures WHERE position(%s in disclosure) > 0",
                                    (text.encode(),)) for text in held)
    # the other process serves the very same pull, per audience
    pair.other.backend.catch_up()
    for authority in ("HU-MEK", "IE-RIAI", "HU-NCO"):
        assert pair.other.events_for(authority, 0, 1000) == pair.hub.events_for(authority, 0, 1000)
    served = "".join(body for _, body in pair.hub.events_for("HU-MEK", 0, 1000))
    assert all(text in served for text in held)
    for authority in ("HU-MEK", "IE-RIAI", "HU-NCO"):  # each its audience, nothing else
        assert [seq for seq, _ in pair.hub.events_for(authority, 0, 1000)] == [s for (s,) in pg_rows(
            pair.pg_url, "SELECT DISTINCT seq FROM event_audience WHERE authority IN ('*', %s) ORDER BY seq",
            (authority,))]
    assert not any(rid in body for _, body in pair.hub.events_for("XX-NONE", 0, 1000))
    # erased through one process: gone in PostgreSQL, in the other's replica, on the nodes
    assert hub_disclosures.erase_entity(pair.hub, f"request/{rid}")
    assert pg_rows(pair.pg_url, "SELECT count(*) FROM disclosures WHERE entity = %s AND disclosure IS NOT NULL",
                   (f"request/{rid}",)) == [(0,)]
    pair.other.backend.catch_up()
    assert pair.other.store.query("SELECT count(*) FROM disclosures WHERE entity = ? AND disclosure IS NOT NULL",
                                  (f"request/{rid}",)) == [(0,)]
    served = "".join(body for _, body in pair.other.events_for("HU-MEK", 0, 1000))
    assert not any(text in served for text in held)
    assert replica_tables(pair.other.store) == replica_tables(pair.hub.store)
    _sync(pair.users["HU"])
    assert NAME not in json.dumps(Requests(pair.users["HU"]).get(rid), ensure_ascii=False)


def test_retention_and_the_privacy_clock_replay_in_the_other_replica_and_in_a_bootstrapped_one(pg_pair, tmp_path,
                                                                                              monkeypatch):
    from imi_cli.demo.network import _sync
    from imi_cli.exchanges.requests.service import Requests
    from imi_cli.hub import privacy_jobs
    from imi_cli.hub.pg.hub import open_hub_pg
    from imi_cli.hub.retention import prune, retained_from

    pair = pg_pair
    rid = _sent(pair, tmp_path)
    Requests(pair.users["IE"]).withdraw(rid, "no longer needed")
    _sync(pair.users["IE"])
    # seven months on: the withdrawn request's personal data is blocked by the hub's clock
    monkeypatch.setenv("IMI_NOW", "2026-08-06T09:00:00+00:00")
    assert privacy_jobs.run(pair.hub) == {"blocked": 1, "erased": 0}
    assert privacy_jobs.run(pair.other) == {"blocked": 0, "erased": 0}  # done once, not twice
    assert pg_rows(pair.pg_url, "SELECT count(*) FROM privacy_marks WHERE blocked_at IS NOT NULL") == [(1,)]
    assert pg_rows(pair.pg_url, "SELECT count(*) FROM disclosures WHERE entity = %s AND blocked_at IS NOT NULL",
                   (f"request/{rid}",))[0][0] >= 2
    pair.other.backend.catch_up()
    assert replica_tables(pair.other.store) == replica_tables(pair.hub.store)
    # three years on: erased, once, through the other process this time
    monkeypatch.setenv("IMI_NOW", "2029-01-06T09:00:00+00:00")
    assert privacy_jobs.run(pair.other) == {"blocked": 0, "erased": 1}
    assert privacy_jobs.run(pair.hub) == {"blocked": 0, "erased": 0}
    assert pg_rows(pair.pg_url, "SELECT count(*) FROM disclosures WHERE entity = %s AND disclosure IS NOT NULL",
                   (f"request/{rid}",)) == [(0,)]
    assert pg_rows(pair.pg_url, "SELECT count(*) FROM privacy_marks WHERE erased_at IS NOT NULL") == [(1,)]
    pair.hub.backend.catch_up()
    assert replica_tables(pair.other.store) == replica_tables(pair.hub.store)
    # and later, retention removes the settled exchange
    monkeypatch.setenv("IMI_NOW", "2029-01-07T09:00:00+00:00")
    assert prune(pair.other, 365) > 0
    assert retained_from(pair.hub) == retained_from(pair.other) > 0
    assert pg_rows(pair.pg_url, "SELECT retained_from FROM hub_head")[0][0] == retained_from(pair.hub)
    pair.hub.backend.catch_up()
    assert pair.hub.store.query("SELECT count(*) FROM requests WHERE id = ?", (rid,)) == [(0,)]
    assert replica_tables(pair.other.store) == replica_tables(pair.hub.store)
    # a replica made from PostgreSQL now equals them
    fresh = open_hub_pg(pair.pg_url, tmp_path / "hub.key", tmp_path / "other-replicas")
    try:
        assert replica_tables(fresh.store) == replica_tables(pair.hub.store)
    finally:
        fresh.close()


def test_two_updates_from_the_same_version_through_two_hub_processes_one_is_stale(pg_hub, pnet):
    """The stale check reads the replica after the writer scope caught it up: an update
    accepted by one process makes the same-version update through the other stale."""
    from imi_cli.directory.authorities import Directory
    from imi_cli.hub.background import BackgroundHub
    from imi_cli.hub.pg.hub import open_hub_pg

    hu = pnet.coordinator("HU")
    pnet.authority(hu, "HU-A", "HU")
    a1 = pnet.user(hu, "hu.a1", "HU-A", roles="administrator")
    a2 = pnet.user(hu, "hu.a2", "HU-A", roles="administrator")
    # no notifications: only the writer scope's own catch-up makes the other process current
    other = open_hub_pg(pg_hub.pg_url, pg_hub.key_file, pg_hub.replica_dir, listen=False)
    try:
        with BackgroundHub(other) as served:
            with a2.transaction():
                a2.set_meta("hub", served.url)  # a2's node talks to the other process
            for store in (a1, a2):
                sync(store)
            record = Directory(a1).get("HU-A")
            Directory(a1).register_authorities([("t", {**record, "email": "winner@example.hu"})])
            Directory(a2).register_authorities([("t", {**record, "email": "loser@example.hu"})])
            assert sync(a1).accepted == 1
            report = sync(a2)
            assert report.accepted == 0 and [r["reason"] for r in report.rejected] == ["stale"]
            for store in (a1, a2):
                sync(store)
            assert Directory(a2).get("HU-A")["email"] == Directory(a1).get("HU-A")["email"] == "winner@example.hu"
    finally:
        other.close()


@pytest.mark.parametrize("hub", ["sqlcipher"], indirect=True)  # the hub made without a database URL
def test_the_sqlcipher_backend_stays_the_default(hub, net):
    """Without a database URL the hub is what it always was: one store, one re-entrant lock."""
    from imi_cli.hub.backend import SqliteBackend

    anna, _ = two_countries(net)
    assert isinstance(hub.backend, SqliteBackend) and hub.backend.kind == "sqlcipher"
    assert hub.lock is hub.backend.lock and hub.recheck_seconds == float("inf")
    hub.accept(signed_messages(anna, "FR-A", 2), "anna")
    rows = hub.backend.events_for(["*", "FR-A"], 0, 1000)
    held = hub.backend.held_disclosures([seq for seq, _, _ in rows])
    assert held  # users' personal data: spliced in by the pull
    assert [(seq, body) for seq, _, body in rows if seq not in held] == [
        (seq, body) for seq, body in hub.events_for("FR-A", 0, 1000) if seq not in held]
    assert hub.backend.retained_from() == 0


def test_a_sealer_makes_and_opens_the_very_blobs_of_keys_seal():
    import os

    from imi_cli.hub.pg import keys
    from imi_cli.hub.pg.keys import Sealer

    key = os.urandom(32)
    sealer = Sealer(key)
    assert keys.open_sealed(key, sealer.seal(b"body", b"aad"), b"aad") == b"body"
    assert sealer.open(keys.seal(key, b"body", b"aad"), b"aad") == b"body"
    for wrong in (lambda: sealer.open(keys.seal(key, b"body", b"aad"), b"other"),
                  lambda: Sealer(os.urandom(32)).open(sealer.seal(b"body", b"aad"), b"aad"),
                  lambda: sealer.open(b"\x02" + sealer.seal(b"body", b"aad")[1:], b"aad")):
        with pytest.raises(keys.SealBroken):
            wrong()


def test_two_hub_processes_checking_reminders_at_once_make_each_reminder_once(pg_pair, tmp_path, monkeypatch):
    """What is due is read and made in one writer scope: the second process, caught up in its
    scope, sees the first one's reminders and makes none again."""
    import threading

    from imi_cli.exchanges.requests.reminders import issue

    pair = pg_pair
    rid = _sent(pair, tmp_path)
    monkeypatch.setenv("IMI_NOW", "2026-02-25T09:00:00+00:00")  # past the deadline, 30 days quiet
    pair.other.backend.catch_up()
    start, made = threading.Barrier(2), []

    def check(hub: Any) -> None:
        start.wait()
        made.append(issue(hub))

    threads = [threading.Thread(target=check, args=(h,)) for h in (pair.hub, pair.other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sum(made) >= 1 and 0 in made
    pair.hub.backend.catch_up()
    keys = pair.hub.store.query("SELECT json_extract(body, '$.payload.kind'), json_extract(body, '$.payload.key') "
                                "FROM events WHERE type = 'request.reminder' AND "
                                "json_extract(body, '$.subject.entity') = ?", (f"request/{rid}",))
    assert len(keys) == sum(made) and len(set(keys)) == len(keys)


def test_the_stream_s_old_changes_go_and_a_replica_behind_them_is_made_again(pg_hub, pnet):
    import psycopg

    from imi_cli.hub import housekeeping
    from imi_cli.hub.pg.connect import connect
    from imi_cli.hub.pg.hub import open_hub_pg
    from imi_cli.hub.pg.replica import prune_changes
    from imi_cli.log import clock

    anna, jean = two_countries(pnet)
    pg_hub.accept(signed_messages(anna, "FR-A", 3), "anna")
    other = open_hub_pg(pg_hub.pg_url, pg_hub.key_file, pg_hub.replica_dir)  # a second process ...
    slot = other.backend.slot
    other.close()  # ... that goes away, its replica kept
    pg_hub.accept(signed_messages(anna, "FR-A", 2), "anna")  # while it is away: two changes
    pg_hub.accept(signed_messages(jean, "DE-A", 1), "jean")
    with psycopg.connect(pg_hub.pg_url, autocommit=True) as conn:
        numbers = [n for (n,) in conn.execute("SELECT change_no FROM changes ORDER BY change_no")]
        assert prune_changes(conn, clock.now()) == 0  # none is a week old
        # all old but one in the middle (an operation stamped by a clock pinned earlier can be
        # older than the change before it): only the prefix before the young one goes
        middle = numbers[len(numbers) // 2]
        conn.execute("UPDATE changes SET at = '2026-01-01T00:00:00.000Z' WHERE change_no != %s", (middle,))
        assert prune_changes(conn, clock.now()) == numbers.index(middle)
        kept = [n for (n,) in conn.execute("SELECT change_no FROM changes ORDER BY 1")]
        assert kept == numbers[numbers.index(middle):]
        conn.execute("UPDATE changes SET at = '2026-01-01T00:00:00.000Z'")  # now all are old
        leader = housekeeping.Leader(lambda: connect(pg_hub.pg_url, autocommit=True))
        try:
            leader.holds()  # (its connection; the served hub may be the one that leads)
            leader.database_jobs()  # the timer's database jobs prune the stream
        finally:
            leader.close()
        assert [n for (n,) in conn.execute("SELECT change_no FROM changes")] == [numbers[-1]]  # the newest stays
        assert prune_changes(conn, clock.now()) == 0
    # the process comes back: the changes it missed are gone, so it makes its replica again
    back = open_hub_pg(pg_hub.pg_url, pg_hub.key_file, pg_hub.replica_dir, slot=slot)
    try:
        assert replica_tables(back.store) == replica_tables(pg_hub.store)
        assert back.events_for("FR-A", 0, 1000) == pg_hub.events_for("FR-A", 0, 1000)
    finally:
        back.close()


def test_a_replica_that_finds_a_hole_in_the_stream_is_made_again(pg_hub, pnet):
    import psycopg

    from imi_cli.hub.pg.hub import open_hub_pg

    anna, jean = two_countries(pnet)
    other = open_hub_pg(pg_hub.pg_url, pg_hub.key_file, pg_hub.replica_dir)
    slot = other.backend.slot
    other.close()
    for sender, to in ((anna, "FR-A"), (jean, "DE-A"), (anna, "FR-A")):  # three changes while it is away
        pg_hub.accept(signed_messages(sender, to, 2), sender.meta("user_id"))
    with psycopg.connect(pg_hub.pg_url, autocommit=True) as conn:
        last_three = [n for (n,) in conn.execute("SELECT change_no FROM changes ORDER BY 1 DESC LIMIT 3")]
        conn.execute("DELETE FROM changes WHERE change_no = %s", (last_three[1],))  # the middle one
    back = open_hub_pg(pg_hub.pg_url, pg_hub.key_file, pg_hub.replica_dir, slot=slot)
    try:  # not replayed past the hole: made again, equal to the replica that saw everything
        assert replica_tables(back.store) == replica_tables(pg_hub.store)
    finally:
        back.close()
