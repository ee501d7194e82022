"""`imi hub migrate --to URL`: a SQLCipher hub with nodes, messages, a request with personal data,
an erased exchange and a prune behind it, moved to PostgreSQL and served there on the same port.
The nodes sync on without re-seeding, an old event pushed again gets its old receipt, a new node
pulls the very same bodies and disclosures; a database that is not empty is refused, and a
copy that fails halfway leaves the database as it was."""

from __future__ import annotations

import json

import psycopg
import pytest

from imi_cli.log import receipts
from tests.conftest import PASSPHRASE
from tests.hub.pg.serving import PgHubProcess, free_port

PERSON = {"applicant_name": "Nagy Béla", "profession": "architect"}


def _sqlcipher_network(tmp_path, monkeypatch):
    """A SQLCipher hub served on a fixed port while two countries fill it; returns what the
    test needs. The hub store is closed at the end (as `imi hub serve` stopped)."""
    from imi_cli.demo.network import AUTHORITIES, _coordinator, _node, _register, _sync
    from imi_cli.exchanges.messages import send
    from imi_cli.exchanges.requests.service import Requests
    from imi_cli.hub.background import BackgroundHub
    from imi_cli.hub.retention import prune, retained_from
    from imi_cli.hub.state import init_hub
    from imi_cli.privacy.rectification import request_erasure

    monkeypatch.setenv("IMI_NOW", "2026-01-05T09:00:00+00:00")
    hub = init_hub(tmp_path / "hub.db", PASSPHRASE)
    port = free_port()
    with BackgroundHub(hub, port=port) as served:
        coords = {c: _coordinator(hub, tmp_path, served.url, c, lang, c) for c, lang in (("HU", "hu"), ("IE", "en"))}
        codes = {c: _register(coords[c], *AUTHORITIES[c]) for c in coords}
        users = {c: _node(tmp_path, AUTHORITIES[c][1]["id"], served.url, codes[c]) for c in coords}
        for store in users.values():
            _sync(store)
        send(users["IE"], "HU-MEK", "old", "sent in January", "en")
        ie = Requests(users["IE"])
        new = dict(area="professional-qualifications", to="HU-MEK", questionnaire="pq-verify-qualification",
                   questions=["document_authentic"], deadline="2026-06-20", person=PERSON)
        kept, erased = ie.new(subject="Still open", **new), ie.new(subject="Erased", **new)
        ie.send(kept)
        ie.send(erased)
        _sync(users["IE"])
        _sync(users["HU"])
        from imi_cli.directory.users import Users

        report = Users(coords["IE"]).register([("test", {"id": "ie.dpo", "name": "Data protection officer",
                                                          "email": "dpo@example.ie", "authority": "IE-RIAI",
                                                          "roles": "request_handler;data_protection"})])
        _sync(coords["IE"])
        officer = _node(tmp_path, "ie-dpo", served.url, report.invitations["ie.dpo"])
        _sync(officer)
        request_erasure(officer, f"request/{erased}", "signed consent of 3 January")
        _sync(officer)
        officer.close()
        _sync(users["IE"])
        _sync(users["HU"])
        monkeypatch.setenv("IMI_NOW", "2026-03-01T09:00:00+00:00")
        send(users["IE"], "HU-MEK", "new", "sent in March", "en")
        _sync(users["IE"])
        _sync(users["HU"])
        assert prune(hub, 30) >= 1 and retained_from(hub) > 0
        assert hub.store.query("SELECT count(*) FROM disclosures WHERE disclosure IS NULL")[0][0] > 0
        late = Users(coords["HU"]).register([("test", {"id": "hu.late", "name": "Enrolled in March",
                                                        "email": "late@example.hu", "authority": "HU-MEK",
                                                        "roles": "request_handler"})])
        _sync(coords["HU"])
        _node(tmp_path, "hu-late", served.url, late.invitations["hu.late"]).close()
        spent = {code for (code,) in hub.store.query("SELECT code_hash FROM invitations WHERE used_at IS NOT NULL")}
        assert spent
        before = {
            "bodies": dict(hub.store.query("SELECT id, body FROM events")),
            "receipts": dict(hub.store.query("SELECT event_id, receipt FROM receipts")),
            "last_seq": hub.store.query("SELECT max(seq) FROM events")[0][0],
            "retained_from": retained_from(hub),
            "spent": spent,
            "disclosures": sorted(hub.store.query("SELECT event_id, digest, disclosure, erased_at FROM disclosures")),
            "versions": sorted(hub.store.query("SELECT entity, version FROM entity_versions")),
            "marks": sorted(hub.store.query("SELECT entity, closed_at, blocked_at, erased_at FROM privacy_marks")),
        }
    hub.store.close()
    return port, coords, users, before


def test_a_migrated_hub_serves_the_same_nodes_on(imi, tmp_path, monkeypatch, pg_url):
    from imi_cli.demo.network import _node, _sync
    from imi_cli.directory.users import Users
    from imi_cli.exchanges.messages import inbox, send
    from imi_cli.sync.enrolment import client_for

    port, coords, users, before = _sqlcipher_network(tmp_path, monkeypatch)
    monkeypatch.setenv("IMI_PASSPHRASE", PASSPHRASE)
    key = tmp_path / "hub.key"
    result = imi("--store", tmp_path / "hub.db", "hub", "migrate", "--to", pg_url, "--key-file", key)
    assert result.code == 0, result.err
    with psycopg.connect(pg_url) as conn:
        head = conn.execute("SELECT last_seq, last_change, retained_from FROM hub_head").fetchone()
        assert head == (before["last_seq"], 1, before["retained_from"])
        assert conn.execute("SELECT count(*) FROM changes").fetchone()[0] == 1
        assert dict(conn.execute("SELECT event_id, receipt FROM receipts").fetchall()) == before["receipts"]
        assert sorted(conn.execute("SELECT entity, version FROM entity_versions").fetchall()) == before["versions"]
        assert sorted(conn.execute("SELECT entity, closed_at, blocked_at, erased_at FROM privacy_marks")
                      .fetchall()) == before["marks"]
        erased = conn.execute("SELECT count(*) FROM disclosures WHERE disclosure IS NULL").fetchone()[0]
        assert erased == sum(1 for d in before["disclosures"] if d[2] is None) > 0
        assert b"Nagy" not in b"".join(bytes(b) for (b,) in conn.execute("SELECT body FROM events").fetchall())
        spent = {code for (code,) in conn.execute("SELECT code_hash FROM invitations_spent").fetchall()}
        assert spent >= before["spent"]  # none can be spent again
    cursors = {c: int(s.meta("cursor")) for c, s in users.items()}
    served = PgHubProcess(pg_url, key, tmp_path / "replicas", port=port).start()  # the same address
    nodes = [*coords.values(), *users.values()]
    try:
        _replica_equals_the_old_store(tmp_path)
        send(users["IE"], "HU-MEK", "after", "sent after the move", "en")
        reports = {c: _sync(users[c]) for c in ("IE", "HU")}  # the sender first
        assert not any(r.reseeded for r in reports.values())
        assert all(r.rejected == [] for r in reports.values())
        assert {m["subject"] for m in inbox(users["HU"])} >= {"old", "new", "after"}
        assert all(int(s.meta("cursor")) > cursors[c] for c, s in users.items())
        # an old event pushed again, pruned or not: the receipt it had
        old = dict(users["IE"].query("SELECT e.id, e.body FROM events e JOIN outbox o ON o.event_id = e.id "
                                     "WHERE e.type = 'message.sent'"))  # one pruned ("old"), one not
        with client_for(users["IE"]) as client:
            again = client.push([json.loads(body) for body in old.values()])
        assert all(r["status"] == "accepted" for r in again), [r for r in again if r["status"] != "accepted"]
        assert sum(1 for r in again if r["id"] in before["receipts"]) == 2
        for r in again:  # (whole alone, proven by the operator key the nodes pinned)
            if r["id"] in before["receipts"]:
                had = json.loads(before["receipts"][r["id"]])
                assert (r["receipt"]["seq"], r["receipt"]["at"]) == (had["seq"], had["at"])
                assert receipts.proves(users["IE"].meta("operator_key"), r["receipt"], r["id"], had["seq"])
        # a new node at HU-MEK pulls the very bodies and disclosures the old hub held
        report = Users(coords["HU"]).register([("test", {"id": "hu.new", "name": "New user",
                                                          "email": "new@example.hu", "authority": "HU-MEK",
                                                          "roles": "request_handler"})])
        _sync(coords["HU"])
        fresh = _node(tmp_path, "hu-new", served.url, report.invitations["hu.new"])
        nodes.append(fresh)
        _sync(fresh)
        pulled = dict(fresh.query("SELECT id, body FROM events"))
        assert all(pulled[i] == before["bodies"][i] for i in pulled if i in before["bodies"])
        _sync(users["HU"])
        held_old = {(e, d): x for e, d, x in users["HU"].query("SELECT event_id, digest, disclosure FROM disclosures")}
        held_new = {(e, d): x for e, d, x in fresh.query("SELECT event_id, digest, disclosure FROM disclosures")}
        common = [k for k in held_new if k in held_old]
        assert len(common) > 4 and all(held_old[k] == held_new[k] for k in common)
    finally:
        for store in nodes:
            store.close()
        served.stop()


PROJECTIONS = ("authorities", "authority_areas", "authority_languages", "users", "principals", "invitations",
               "messages", "requests", "request_history", "disclosures", "entity_versions", "entity_log",
               "privacy_marks", "event_audience", "receipts")


def _replica_equals_the_old_store(tmp_path):
    """The replica the served process made from PostgreSQL holds what the SQLCipher store held."""
    from imi_cli.hub.pg import keys
    from imi_cli.log.store import Store, derive_key, read_salt

    old = Store.open(tmp_path / "hub.db", derive_key(PASSPHRASE, read_salt(tmp_path / "hub.db")))
    (replica,) = (tmp_path / "replicas").rglob("worker-*.db")
    new = Store.open(replica, keys.replica_key(keys.load_key(tmp_path / "hub.key")))
    try:
        for table in PROJECTIONS:
            assert sorted(map(repr, old.query(f"SELECT * FROM {table}"))) == \
                sorted(map(repr, new.query(f"SELECT * FROM {table}"))), table
        assert old.query("SELECT seq, id, body FROM events ORDER BY seq") == \
            new.query("SELECT seq, id, body FROM events ORDER BY seq")
    finally:
        old.close()
        new.close()


def _small_hub(tmp_path, monkeypatch):
    from imi_cli.hub.state import init_hub

    monkeypatch.setenv("IMI_PASSPHRASE", PASSPHRASE)
    init_hub(tmp_path / "hub.db", PASSPHRASE).store.close()
    return tmp_path / "hub.db"


def test_a_database_that_holds_a_hub_is_refused(imi, tmp_path, monkeypatch, pg_url):
    store = _small_hub(tmp_path, monkeypatch)
    key = tmp_path / "hub.key"
    assert imi("--store", store, "hub", "migrate", "--to", pg_url, "--key-file", key).code == 0
    with psycopg.connect(pg_url) as conn:
        first = conn.execute("SELECT key, value FROM hub_meta ORDER BY key").fetchall()
    again = imi("--store", store, "hub", "migrate", "--to", pg_url, "--key-file", key)
    assert again.code != 0 and "already holds a hub" in again.err and "Traceback" not in again.err
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT key, value FROM hub_meta ORDER BY key").fetchall() == first


def test_a_copy_that_fails_halfway_changes_nothing(imi, tmp_path, monkeypatch, pg_url):
    from imi_cli.hub.pg import migrate

    store = _small_hub(tmp_path, monkeypatch)
    key = tmp_path / "hub.key"

    def broken(*args, **kwargs):
        raise RuntimeError("the disk went away")

    real = migrate._copy

    def halfway(source, cur, key):
        real(source, cur, key)
        broken()

    monkeypatch.setattr(migrate, "_copy", halfway)
    with pytest.raises(RuntimeError):
        imi("--store", store, "hub", "migrate", "--to", pg_url, "--key-file", key)
    assert not key.exists()  # the key file made for the copy went too
    with psycopg.connect(pg_url) as conn:
        tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0]
    assert tables == 0
    monkeypatch.setattr(migrate, "_copy", real)
    assert imi("--store", store, "hub", "migrate", "--to", pg_url, "--key-file", key).code == 0
