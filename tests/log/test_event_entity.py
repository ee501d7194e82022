"""The entity an event is about, kept as a column of the log (schema step 17): filled for the
events a store held before, given with every new one, and what by-entity reads use."""

from __future__ import annotations

import json
import os

import pytest
import sqlcipher3

from imi_cli.log import schema
from imi_cli.log.store import Store, _connect, derive_key

PASS = "passphrase for tests"


def _before_step_17(path):
    """A store as imi made it before the column: the steps up to 16, and three events in its log."""
    salt = os.urandom(16)
    key = derive_key(PASS, salt)
    conn = _connect(path, key, salt, 5000)
    conn.execute("BEGIN")
    for step in schema.MIGRATIONS[:16]:
        schema._run_script(conn, step)
    conn.execute("PRAGMA user_version = 16")
    for ident, entity in (("e1", "request/r1"), ("e2", "message/m1")):
        body = {"id": ident, "type": "x.y", "subject": {"entity": entity, "version": 0}, "payload": {}}
        conn.execute("INSERT INTO events(id, type, at, body, status) VALUES (?, 'x.y', '', ?, 'local')",
                     (ident, json.dumps(body)))
    conn.execute("INSERT INTO events(id, type, at, body, status) VALUES ('junk', 'x', '', '{}', 'local')")
    conn.execute("COMMIT")
    conn.close()
    return key


def test_an_older_store_gets_the_column_filled_and_reads_by_entity_through_its_index(tmp_path):
    path = tmp_path / "old.db"
    key = _before_step_17(path)
    store = Store.open(path, key)  # migrates
    assert store.query("PRAGMA user_version")[0][0] == len(schema.MIGRATIONS)
    assert dict(store.query("SELECT id, entity FROM events")) == {"e1": "request/r1", "e2": "message/m1",
                                                                 "junk": ""}
    plan = " ".join(str(r[-1]) for r in store.query(
        "EXPLAIN QUERY PLAN SELECT body FROM events WHERE status != 'rejected' AND entity = ?", ("request/r1",)))
    assert "events_subject" in plan, plan
    assert not store.query("SELECT 1 FROM sqlite_master WHERE name = 'events_entity'")


def test_an_event_stored_without_its_entity_is_refused(tmp_path):
    store = Store.create(tmp_path / "s.db", PASS)
    with pytest.raises(sqlcipher3.IntegrityError, match="events.entity is required"):
        with store.transaction() as conn:
            conn.execute("INSERT INTO events(id, type, at, body, status) VALUES ('a', 'x', '', '{}', 'local')")
    assert store.query("SELECT count(*) FROM events")[0][0] == 0


def test_an_event_the_node_appends_carries_its_entity(tmp_path):
    from imi_cli.log.event import make_event
    from imi_cli.log.journal import append

    store = Store.create(tmp_path / "n.db", PASS)
    event = make_event("message.sent", actor={"user": "u", "authority": "HU-A"},
                       payload={"from": "HU-A", "to": "IE-B", "subject": "s", "text": "t", "lang": "en"},
                       subject={"entity": "message/abc", "version": 0}, audience=["HU-A", "IE-B"])
    with store.transaction() as conn:
        append(conn, [event], checked=True)  # (the rules are not what is tried here)
    assert store.query("SELECT entity FROM events")[0][0] == "message/abc"
