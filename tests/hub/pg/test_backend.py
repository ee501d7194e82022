"""The hub on PostgreSQL (hub/pg/backend.py): the same protocol as on a SQLCipher store, with the
log in PostgreSQL and a private replica per process.

A hub here is served over HTTP like the SQLCipher hub of tests/hub (nodes enrol, push, pull)."""

from __future__ import annotations

import json
import shutil
from typing import Any

import pytest

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
    # the same event again: the same receipt
    again = pg_hub.accept([events[0]], "anna")
    assert again[0]["receipt"] == results[0]["receipt"]
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
