"""E1, the foundations of the hub on PostgreSQL: connecting, the schema's migrations, the hub
key and sealing, a store keyed by a raw key, and creating / opening a hub in a database."""

from __future__ import annotations

import os
import stat
import threading

import pytest

from imi_cli.errors import Conflict, ImiError, NotFound, UsageError, WrongPassphrase
from imi_cli.hub.pg import keys, schema
from imi_cli.hub.pg.connect import DatabaseUnavailable, connect, is_database_url, require_psycopg, shown_url
from imi_cli.hub.pg.init import OPERATOR_AAD, init_database, open_database
from imi_cli.log.crypto import public_key_of, unb64
from imi_cli.log.store import Store

TABLES = {"schema_version", "hub_meta", "hub_head", "events", "event_audience", "receipts", "disclosures",
          "entity_versions", "privacy_marks", "request_nonces", "invitations_spent", "changes"}


def _tables(conn) -> set[str]:
    return {row[0] for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}


# -- connecting ---------------------------------------------------------------------------------

def test_database_urls_are_told_from_paths():
    assert is_database_url("postgresql://imi@db/imi") and is_database_url("postgres://db/imi")
    assert is_database_url("PostgreSQL://db/imi")
    assert not is_database_url("hub.db") and not is_database_url("/var/lib/postgresql/hub.db")
    assert not is_database_url("https://hub.example.eu")


def test_shown_url_hides_the_password():
    assert shown_url("postgresql://imi:s3cret@db.example.eu:5433/imi?sslmode=require") == \
        "postgresql://imi:***@db.example.eu:5433/imi?sslmode=require"
    assert shown_url("postgres://imi@db/imi?password=s3cret&sslmode=require") == \
        "postgres://imi@db/imi?password=***&sslmode=require"
    assert shown_url("postgresql://imi@127.0.0.1:5432/postgres") == "postgresql://imi@127.0.0.1:5432/postgres"
    assert "s3cret" not in shown_url("postgresql://a:s3cret@[::1]:5432/x")


def test_a_failed_connection_is_one_clear_error_without_the_password(pg_server):
    port = pg_server.port
    with pytest.raises(DatabaseUnavailable) as caught:
        connect(f"postgresql://imi:s3cret@127.0.0.1:{port}/no_such_database")
    message = str(caught.value)
    assert message.startswith(f"cannot connect to the database postgresql://imi:***@127.0.0.1:{port}/"
                              "no_such_database: ")
    assert "no_such_database" in message.split(": ", 1)[1] and "\n" not in message and "s3cret" not in message


def test_a_connection_names_the_hub(pg_url):
    with connect(pg_url) as conn:
        assert conn.execute("SELECT current_setting('application_name')").fetchone()[0] == "imi-hub"
        assert not conn.autocommit
    with connect(pg_url, autocommit=True) as conn:
        assert conn.autocommit


def test_without_psycopg_a_usage_error_says_what_to_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg raises ImportError
    with pytest.raises(UsageError) as caught:
        require_psycopg()
    assert "imi-cli[postgresql]" in (caught.value.hint or "")


# -- the schema ---------------------------------------------------------------------------------

def test_migrate_makes_every_table_and_is_idempotent(pg_url):
    with connect(pg_url) as conn:
        assert schema.version(conn) == 0 and not schema.is_initialised(conn)
        assert schema.migrate(conn) == len(schema.MIGRATIONS)
        assert _tables(conn) == TABLES
        assert schema.migrate(conn) == len(schema.MIGRATIONS)  # nothing to do, no error
        assert schema.version(conn) == len(schema.MIGRATIONS)
        assert conn.execute("SELECT last_seq, last_change, retained_from FROM hub_head").fetchall() == [(0, 0, 0)]
        assert conn.execute("SELECT count(*) FROM schema_version").fetchone()[0] == 1
        assert not schema.is_initialised(conn)
        indexes = {row[0] for row in conn.execute("SELECT indexname FROM pg_indexes "
                                                  "WHERE tablename = 'request_nonces'")}
        assert "request_nonces_at" in indexes
    with connect(pg_url, autocommit=True) as conn:  # the hub's other connections are in autocommit
        assert schema.migrate(conn) == len(schema.MIGRATIONS)


def test_two_processes_migrating_at_once_both_succeed_and_apply_each_step_once(pg_url, monkeypatch):
    # a slow step, so that the two overlap: without the lock the second CREATE TABLE fails
    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS,
                                               "SELECT pg_sleep(0.3); CREATE TABLE step_log (n int); "
                                               "INSERT INTO step_log VALUES (1)"])
    start = threading.Barrier(3)
    outcomes: list[object] = []

    def run() -> None:
        with connect(pg_url) as conn:
            start.wait()
            try:
                outcomes.append(schema.migrate(conn))
            except Exception as exc:  # noqa: BLE001 - reported below
                outcomes.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == [len(schema.MIGRATIONS)] * 3
    with connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM step_log").fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM hub_head").fetchone()[0] == 1
        assert schema.version(conn) == len(schema.MIGRATIONS)


def test_a_database_of_a_newer_schema_is_refused(pg_url):
    with connect(pg_url) as conn:
        schema.migrate(conn)
        with conn.transaction():
            conn.execute("UPDATE schema_version SET version = %s", (len(schema.MIGRATIONS) + 1,))
        with pytest.raises(schema.NewerSchema, match="newer than this imi knows"):
            schema.migrate(conn)
        assert schema.version(conn) == len(schema.MIGRATIONS) + 1  # left as it was


# -- the hub key --------------------------------------------------------------------------------

def test_seal_and_open_round_trip():
    key = os.urandom(32)
    blob = keys.seal(key, b"canonical json", b"imi-event\0e1")
    assert blob[:1] == b"\x01" and len(blob) == 1 + 12 + len(b"canonical json") + 16
    assert b"canonical json" not in blob
    assert keys.open_sealed(key, blob, b"imi-event\0e1") == b"canonical json"
    assert keys.seal(key, b"canonical json", b"imi-event\0e1") != blob  # a new nonce each time


def test_a_wrong_key_a_changed_aad_a_flipped_byte_or_version_is_refused():
    key = os.urandom(32)
    blob = keys.seal(key, b"personal data", b"imi-disclosure\0e1\0d1")
    with pytest.raises(keys.SealBroken):
        keys.open_sealed(os.urandom(32), blob, b"imi-disclosure\0e1\0d1")
    with pytest.raises(keys.SealBroken):
        keys.open_sealed(key, blob, b"imi-disclosure\0e2\0d1")
    for at in (1, 13, len(blob) - 1):  # nonce, ciphertext, tag
        flipped = bytearray(blob)
        flipped[at] ^= 0x01
        with pytest.raises(keys.SealBroken):
            keys.open_sealed(key, bytes(flipped), b"imi-disclosure\0e1\0d1")
    with pytest.raises(keys.SealBroken):
        keys.open_sealed(key, b"\x02" + blob[1:], b"imi-disclosure\0e1\0d1")
    with pytest.raises(keys.SealBroken):
        keys.open_sealed(key, blob[:20], b"imi-disclosure\0e1\0d1")


def test_key_id_and_replica_key():
    key = bytes(range(32))
    assert keys.key_id(key) == __import__("hashlib").sha256(key).hexdigest()[:16]
    replica = keys.replica_key(key)
    assert len(replica) == 32 and replica != key and keys.replica_key(key) == replica
    assert keys.replica_key(os.urandom(32)) != replica


def test_a_key_file_is_private_and_never_overwritten(tmp_path):
    path = tmp_path / "etc" / "imi" / "hub.key"  # its folder is created
    key = keys.create_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(key) == 32 and keys.load_key(path) == key
    before = path.read_bytes()
    with pytest.raises(Conflict):
        keys.create_key_file(path)
    assert path.read_bytes() == before


def test_a_key_file_others_may_read_is_refused(tmp_path):
    path = tmp_path / "hub.key"
    keys.create_key_file(path)
    for mode in (0o640, 0o604, 0o620):
        path.chmod(mode)
        with pytest.raises(UsageError) as caught:
            keys.load_key(path)
        assert str(caught.value) == f"{path} can be read by other users: run `chmod 600 {path}`"
    path.chmod(0o400)
    assert len(keys.load_key(path)) == 32


def test_a_missing_or_malformed_key_file_is_refused(tmp_path):
    with pytest.raises(NotFound, match="no hub key file at"):
        keys.load_key(tmp_path / "nothing.key")
    for content in (b"00" * 31 + b"\n", b"zz" * 32 + b"\n", os.urandom(32), b""):
        path = tmp_path / "bad.key"
        path.write_bytes(content)
        path.chmod(0o600)
        with pytest.raises(UsageError, match="is not a hub key file"):
            keys.load_key(path)
    with pytest.raises(UsageError, match="is not a hub key file"):
        keys.load_key(tmp_path)


# -- a store keyed by a raw key -----------------------------------------------------------------

def test_a_store_keyed_by_a_raw_key_opens_with_that_key_only(tmp_path):
    key = keys.replica_key(os.urandom(32))
    path = tmp_path / "replica.db"
    store = Store.create_raw(path, key)
    with store.transaction():
        store.set_meta("probe", "kept")
    store.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert b"probe" not in path.read_bytes()
    with Store.open(path, key) as again:
        assert again.meta("probe") == "kept"
    with pytest.raises(WrongPassphrase):
        Store.open(path, os.urandom(32))
    with pytest.raises(Conflict):
        Store.create_raw(path, key)
    with pytest.raises(ValueError):
        Store.create_raw(tmp_path / "short.db", b"short")


# -- a hub in a database ------------------------------------------------------------------------

def test_init_then_open(pg_url, tmp_path):
    key_file = tmp_path / "keys" / "hub.key"
    made = init_database(pg_url, key_file)
    assert set(made) == {"hub_id", "key_id", "operator_public_key"}
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    conn, key, meta = open_database(pg_url, key_file)
    with conn:
        assert key == keys.load_key(key_file) and made["key_id"] == keys.key_id(key)
        assert meta["hub_id"] == made["hub_id"] and meta["key_id"] == made["key_id"]
        assert public_key_of(meta["operator_key"]) == made["operator_public_key"]
        assert schema.is_initialised(conn)


def test_init_uses_an_existing_key_file(pg_url, tmp_path):
    key_file = tmp_path / "hub.key"
    key = keys.create_key_file(key_file)
    assert init_database(pg_url, key_file)["key_id"] == keys.key_id(key)
    assert keys.load_key(key_file) == key


def _meta(url: str) -> list[tuple[str, str]]:
    with connect(url) as conn:
        return conn.execute("SELECT key, value FROM hub_meta ORDER BY key").fetchall()


def test_a_database_that_holds_a_hub_is_refused_and_left_as_it_was(pg_url, tmp_path):
    init_database(pg_url, tmp_path / "hub.key")
    before = _meta(pg_url)
    with pytest.raises(Conflict, match="already holds a hub"):
        init_database(pg_url, tmp_path / "other.key")
    assert not (tmp_path / "other.key").exists()  # no key file made for nothing
    with pytest.raises(Conflict, match="already holds a hub"):
        init_database(pg_url, tmp_path / "hub.key")
    assert _meta(pg_url) == before


def test_another_key_file_is_not_this_hubs_key(pg_url, tmp_path):
    init_database(pg_url, tmp_path / "hub.key")
    keys.create_key_file(tmp_path / "other.key")
    with pytest.raises(WrongPassphrase, match="is not this hub's key file"):
        open_database(pg_url, tmp_path / "other.key")


def test_a_database_without_a_hub_is_not_opened(pg_url, tmp_path):
    keys.create_key_file(tmp_path / "hub.key")
    with pytest.raises(NotFound, match="holds no hub"):
        open_database(pg_url, tmp_path / "hub.key")


def test_the_operator_key_is_stored_sealed(pg_url, tmp_path):
    key_file = tmp_path / "hub.key"
    init_database(pg_url, key_file)
    conn, key, meta = open_database(pg_url, key_file)
    with conn:
        private = meta["operator_key"]
        raw = unb64(private)
        values = "".join(k + v for k, v in conn.execute("SELECT key, value FROM hub_meta").fetchall())
        assert private not in values and raw.hex() not in values
        sealed = unb64(dict(conn.execute("SELECT key, value FROM hub_meta").fetchall())["operator_key"])
        assert keys.open_sealed(key, sealed, OPERATOR_AAD).decode() == private
        # the table's own bytes on the server's disk
        conn.execute("CHECKPOINT")
        relation = conn.execute("SELECT pg_relation_filepath('hub_meta')").fetchone()[0]
        pages = bytes(conn.execute("SELECT pg_read_binary_file(%s)", (relation,)).fetchone()[0])
        conn.rollback()
        stored = dict(conn.execute("SELECT key, value FROM hub_meta").fetchall())["operator_key"]
        conn.rollback()
        assert stored.encode() in pages  # the file read is the table's, and holds the sealed key
        assert raw not in pages and private.encode() not in pages


def test_a_hub_key_file_for_init_is_checked_before_the_database_is_touched(pg_url, tmp_path):
    key_file = tmp_path / "hub.key"
    key_file.write_text("not a key\n")
    key_file.chmod(0o600)
    with pytest.raises(UsageError):
        init_database(pg_url, key_file)
    with connect(pg_url) as conn:
        assert schema.version(conn) == 0


def test_errors_are_imi_errors():
    """So the CLI shows them as one clear line with its exit code, never a traceback."""
    assert issubclass(keys.SealBroken, ImiError) and issubclass(DatabaseUnavailable, ImiError)
    assert issubclass(schema.NewerSchema, ImiError)
