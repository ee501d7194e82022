"""The hub's PostgreSQL schema: the base tables every hub process shares.

Everything else (the directory, requests, messages ... the projections) lives only in each
process's private SQLCipher replica and is rebuilt from these tables.

``MIGRATIONS`` is append-only: step n (0-based) takes the database from version n to n+1;
never edit a step that has shipped, append a new one. ``migrate`` applies the missing steps in
one transaction under an advisory lock, so hub processes starting together migrate once.
"""

from __future__ import annotations

from typing import Any

from imi_cli.errors import ImiError
from imi_cli.i18n import t

_V1_BASE = """
CREATE TABLE schema_version (version int NOT NULL);
-- hub_id, key_id (sha256 of the hub key, first 16 hex digits), operator_key (sealed, base64url)
CREATE TABLE hub_meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE hub_head (one bool PRIMARY KEY DEFAULT true CHECK (one),
    last_seq bigint NOT NULL, last_change bigint NOT NULL, retained_from bigint NOT NULL DEFAULT 0);
-- body: keys.seal(canonical JSON, aad b"imi-event\\0" + id)
CREATE TABLE events (seq bigint PRIMARY KEY, id text NOT NULL UNIQUE, type text NOT NULL, at text NOT NULL,
    received_at text NOT NULL, body bytea NOT NULL);
CREATE TABLE event_audience (authority text NOT NULL, seq bigint NOT NULL REFERENCES events ON DELETE CASCADE,
    PRIMARY KEY (authority, seq));
CREATE TABLE receipts (event_id text PRIMARY KEY, seq bigint NOT NULL, receipt text NOT NULL, body_sha256 text);
CREATE INDEX receipts_seq ON receipts(seq);
-- disclosure: sealed (aad b"imi-disclosure\\0" + event_id + b"\\0" + digest); NULL = erased
CREATE TABLE disclosures (event_id text, digest text, entity text, disclosure bytea,
    erased_at text, blocked_at text, PRIMARY KEY (event_id, digest));
CREATE INDEX disclosures_entity ON disclosures(entity);
CREATE TABLE entity_versions (entity text PRIMARY KEY, version bigint NOT NULL);
CREATE TABLE privacy_marks (entity text PRIMARY KEY, closed_at text NOT NULL, blocked_at text, erased_at text);
CREATE TABLE request_nonces (nonce text PRIMARY KEY, at double precision NOT NULL);
CREATE INDEX request_nonces_at ON request_nonces(at);
CREATE TABLE invitations_spent (code_hash text PRIMARY KEY, seq bigint NOT NULL);
-- the replicas' stream, in commit order: a run of events, or an operation to replay
CREATE TABLE changes (change_no bigint PRIMARY KEY, kind text NOT NULL CHECK (kind IN ('events', 'op')),
    first_seq bigint, last_seq bigint, op jsonb, at text NOT NULL);
INSERT INTO hub_head VALUES (true, 0, 0, 0);
INSERT INTO schema_version VALUES (0);
"""

MIGRATIONS: list[str] = [_V1_BASE]

MIGRATE_LOCK = "imi-hub-migrate"


class NewerSchema(ImiError):
    """The database was made by a newer imi than this one."""


def version(conn: Any) -> int:
    """The schema version of the database (0: no hub schema yet)."""
    if conn.execute("SELECT to_regclass('schema_version')").fetchone()[0] is None:
        return 0
    row = conn.execute("SELECT version FROM schema_version").fetchone()
    return int(row[0]) if row else 0


def migrate(conn: Any) -> int:
    """Apply the missing steps of MIGRATIONS in one transaction; the version reached.

    The advisory lock is taken in a statement of its own, under READ COMMITTED: the version is
    read by the next statement, whose snapshot is taken after the lock is granted, so a process
    that waited for another's migration sees it. (In one statement, or under REPEATABLE READ,
    the snapshot would predate the wait.)
    """
    from psycopg import pq

    idle = conn.info.transaction_status == pq.TransactionStatus.IDLE
    with conn.transaction():
        if idle:  # the first statement of the transaction: the isolation level can still be set
            conn.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (MIGRATE_LOCK,))
        current = version(conn)
        if current > len(MIGRATIONS):
            raise NewerSchema(t("the database's hub schema (version {found}) is newer than this imi knows "
                                "(version {known})", found=current, known=len(MIGRATIONS)))
        for step in MIGRATIONS[current:]:
            conn.execute(step)
        if current < len(MIGRATIONS):
            conn.execute("UPDATE schema_version SET version = %s", (len(MIGRATIONS),))
    return len(MIGRATIONS)


def is_initialised(conn: Any) -> bool:
    """Whether the database holds a hub (its schema, and a hub_id in hub_meta)."""
    if version(conn) == 0:
        return False
    return conn.execute("SELECT 1 FROM hub_meta WHERE key = 'hub_id'").fetchone() is not None
