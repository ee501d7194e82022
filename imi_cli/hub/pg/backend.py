"""The hub's log in PostgreSQL, shared by several hub processes; each process keeps a private
SQLCipher replica of the hub store, which the rules, projections and jobs read and write as
they always did.

The writer scope (``hub.lock``) is what makes several processes one hub:

1. the process's ``RLock`` (threads of this process);
2. on the process's writer connection, under READ COMMITTED,
   ``SELECT last_seq, last_change, retained_from FROM hub_head FOR UPDATE``: one writer in the
   whole cluster at a time, held until COMMIT;
3. the replica catches up with every change committed before (``replica.catch_up``);
4. ``BEGIN IMMEDIATE`` on the replica (inside it ``store.transaction()`` is a SAVEPOINT).

At its end, what the scope changed in the replica's base tables (recorded by TEMP triggers:
events, receipts, disclosures, entity_versions, privacy_marks, meta ``retained_from``) is
written to PostgreSQL (bodies and disclosures sealed with the hub key), ``hub_head`` and the
``changes`` stream are advanced, ``pg_notify('imi_hub', ...)`` wakes the other processes,
PostgreSQL COMMITs and only THEN the replica: a replica is never ahead of PostgreSQL, and a
crash between the two commits is repaired by the next catch-up. On any error both roll back.

Sequence numbers are given under the row lock and the lock is released only at COMMIT, after
the transaction's rows became visible: numbers are committed in their order and without gaps,
so a puller that saw N has seen every number before it. (A plain sequence does not do this: a
writer that took 1 and commits after the writer that took 2 is skipped by a puller that read 2.)

Pitfall: the head must be read by a statement of its own under READ COMMITTED, with FOR
UPDATE, which re-reads the newest version of the row once the lock is granted. With an
advisory lock taken in the same statement as the read, or under REPEATABLE READ, the snapshot
predates the wait and the writer reads a stale head.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from imi_cli.hub.backend import next_seq_in
from imi_cli.hub.pg import keys
from imi_cli.hub.pg.connect import connect
from imi_cli.hub.pg.keys import Sealer, disclosure_aad, event_aad
from imi_cli.hub.pg.reads import PgReads, ReadPool
from imi_cli.log import clock
from imi_cli.log.store import Store, in_chunks
from imi_cli.protocol.signing import WINDOW_SECONDS

CHANNEL = "imi_hub"
NONCE_WINDOW_SECONDS = 2 * WINDOW_SECONDS  # as long as signing.use_nonce keeps them
EXPIRED_NONCES = "DELETE FROM request_nonces WHERE at < %s"  # now - NONCE_WINDOW_SECONDS
READ_CONNECTIONS = 4          # pulls at once on PostgreSQL per process
PG_CHANGE = "pg_change"       # replica meta: the last change of the stream applied here
PG_HUB = "pg_hub_id"          # replica meta: the hub (database) this replica belongs to


# -- change capture ------------------------------------------------------------------
_CAPTURE = [
    "CREATE TEMP TABLE IF NOT EXISTS imi_capture (n INTEGER PRIMARY KEY, tbl TEXT NOT NULL, k1, k2)",
    # the stream: an event sequenced ('events+') or an operation ('op'), in the order they happened
    "CREATE TEMP TRIGGER IF NOT EXISTS imi_cap_ev_i AFTER INSERT ON main.events "
    "BEGIN INSERT INTO imi_capture(tbl, k1) VALUES ('events+', NEW.seq); END",
    "CREATE TEMP TRIGGER IF NOT EXISTS imi_cap_ev_d AFTER DELETE ON main.events "
    "BEGIN INSERT INTO imi_capture(tbl, k1) VALUES ('events-', OLD.seq); END",
]
for _table, _keys in (("receipts", ("event_id",)), ("disclosures", ("event_id", "digest")),
                      ("entity_versions", ("entity",)), ("privacy_marks", ("entity",))):
    for _when, _row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
        _values = ", ".join(f"{_row}.{k}" for k in _keys)
        _cols = "k1" if len(_keys) == 1 else "k1, k2"
        _CAPTURE.append(f"CREATE TEMP TRIGGER IF NOT EXISTS imi_cap_{_table}_{_when[0].lower()} AFTER {_when} "
                        f"ON main.{_table} BEGIN INSERT INTO imi_capture(tbl, {_cols}) "
                        f"VALUES ('{_table}', {_values}); END")
for _when in ("INSERT", "UPDATE"):
    _CAPTURE.append(f"CREATE TEMP TRIGGER IF NOT EXISTS imi_cap_meta_{_when[0].lower()} AFTER {_when} ON main.meta "
                    "WHEN NEW.key = 'retained_from' BEGIN INSERT INTO imi_capture(tbl) VALUES ('head'); END")


class ReplicaStore(Store):
    """The replica: a hub store whose ``transaction()`` is a SAVEPOINT inside the writer scope
    (the scope holds the replica's transaction), and a plain one outside it (catch-up)."""

    backend: PgBackend

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        if not self.backend.in_scope():
            with super().transaction() as conn:
                yield conn
            return
        name = f"imi_tx{self.backend.next_savepoint()}"
        self.conn.execute(f"SAVEPOINT {name}")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute(f"ROLLBACK TO {name}")
            self.conn.execute(f"RELEASE {name}")
            raise
        self.conn.execute(f"RELEASE {name}")


def _read_committed(conn: Any) -> Any:
    """The writer's isolation level, whatever the server's default: see the module's docstring."""
    from psycopg import IsolationLevel

    conn.isolation_level = IsolationLevel.READ_COMMITTED
    return conn


class _WriterScope:
    """``hub.lock`` on PostgreSQL: re-entrant in one thread; see the module's docstring."""

    def __init__(self, backend: PgBackend) -> None:
        self.b = backend

    def __enter__(self) -> None:
        b = self.b
        b.lock.acquire()
        if b.depth:
            b.depth += 1
            return
        try:
            b.begin()
        except BaseException:
            b.lock.release()
            raise
        b.depth, b.owner = 1, threading.get_ident()

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        b = self.b
        try:
            b.depth -= 1
            if b.depth == 0:
                b.owner = None
                if exc is None:
                    b.commit()
                else:
                    b.rollback()
        finally:
            b.lock.release()


class PgBackend(PgReads):
    kind = "postgresql"
    recheck_seconds = 5.0
    pins_clock = True

    def __init__(self, url: str, key: bytes, conn: Any, store: Store) -> None:
        self.url, self.key = url, key
        self.sealer = Sealer(key)
        self.pg = _read_committed(conn)  # the writer connection (not autocommit)
        self.store = ReplicaStore(store.conn, store.path)
        self.store.backend = self
        self.lock = threading.RLock()
        self.depth = 0
        self.owner: int | None = None
        self.head: tuple[int, int, int] = (0, 0, 0)
        self._savepoints = 0
        self._scope = _WriterScope(self)
        self.reads = ReadPool(url, READ_CONNECTIONS)
        self._read_lock = threading.Lock()
        self._read_store: Store | None = None
        self.hub: Any = None
        self.slot: int | None = None  # the replica slot this process holds (hub/pg/hub.py)
        self.closing: list[Callable[[], None]] = []  # released by close(): listener, slot lock
        self._nonce_uses = 0
        # test hooks: called inside the scope just before PostgreSQL's COMMIT, and after both commits
        self.before_commit: Callable[[], None] | None = None
        self.after_commit: Callable[[int], None] | None = None
        for sql in _CAPTURE:
            self.store.conn.execute(sql)

    # -- the writer scope ---------------------------------------------------------------
    def writer(self) -> _WriterScope:
        return self._scope

    def in_scope(self) -> bool:
        return self.depth > 0 and self.owner == threading.get_ident()

    def next_savepoint(self) -> int:
        self._savepoints += 1
        return self._savepoints

    def begin(self) -> None:
        import psycopg

        from imi_cli.hub.pg import replica

        for attempt in (1, 2):
            if self.pg.closed or self.pg.broken:  # the database restarted, or failed over: a new connection
                self.pg = _read_committed(connect(self.url))
            try:
                # a statement of its own, under READ COMMITTED: see the module's docstring
                row = self.pg.execute("SELECT last_seq, last_change, retained_from FROM hub_head FOR UPDATE"
                                      ).fetchone()
                break
            except psycopg.OperationalError:
                if attempt == 2 or not self.pg.broken:
                    self.rollback()
                    raise
            except BaseException:
                self.rollback()
                raise
        pg = self.pg
        try:
            self.head = (int(row[0]), int(row[1]), int(row[2]))
            replica.catch_up(self, pg)
            self.store.conn.execute("BEGIN IMMEDIATE")
            self.store.conn.execute("DELETE FROM temp.imi_capture")
        except BaseException:
            self.rollback()
            raise

    def commit(self) -> None:
        conn = self.store.conn
        try:
            seq = self.flush()
            if self.before_commit is not None:
                self.before_commit()
            self.pg.commit()
        except BaseException:
            self.rollback()
            raise
        conn.execute("COMMIT")  # after PostgreSQL's: a replica is never ahead of it
        if self.after_commit is not None:
            self.after_commit(seq)

    def rollback(self) -> None:
        try:
            if not (self.pg.closed or self.pg.broken):
                self.pg.rollback()
        finally:
            if self.store.conn.in_transaction:
                self.store.conn.execute("ROLLBACK")

    # -- flush ---------------------------------------------------------------------------
    def flush(self) -> int:
        """Write what the scope changed in the replica to PostgreSQL; the last seq afterwards."""
        conn, pg = self.store.conn, self.pg
        last_seq, last_change, retained = self.head
        captured = conn.execute("SELECT tbl, k1, k2 FROM temp.imi_capture ORDER BY n").fetchall()
        if not captured:
            return last_seq
        conn.execute("DELETE FROM temp.imi_capture")
        keys_of: dict[str, dict[Any, None]] = {}
        stream: list[tuple[str, Any, Any]] = []
        for tbl, k1, k2 in captured:
            if tbl in ("events+", "op"):
                stream.append((tbl, k1, k2))
            keys_of.setdefault(tbl, {})[k1 if k2 is None or tbl == "op" else (k1, k2)] = None
        added = sorted(keys_of.get("events+", {}))
        gone = [s for s in keys_of.get("events-", {}) if s not in keys_of.get("events+", {})]
        with pg.cursor() as cur:
            if gone:
                cur.execute("DELETE FROM events WHERE seq = ANY(%s)", (gone,))
            rows = in_chunks(conn, "SELECT seq, id, type, at, received_at, body FROM events WHERE seq IN ({})", added)
            if len(rows) != len(added) or added != list(range(last_seq + 1, last_seq + 1 + len(added))):
                raise RuntimeError("hub sequence numbers out of order in a writer scope")  # a bug, never data
            cur.executemany("INSERT INTO events(seq, id, type, at, received_at, body) VALUES (%s,%s,%s,%s,%s,%s)",
                            [(s, i, ty, at, rec, self.sealer.seal(body.encode(), event_aad(i)))
                             for s, i, ty, at, rec, body in rows])
            cur.executemany("INSERT INTO event_audience(authority, seq) VALUES (%s, %s)",
                            in_chunks(conn, "SELECT authority, seq FROM event_audience WHERE seq IN ({})", added))
            spent = [(json.loads(body)["payload"]["code_hash"], s) for s, _, ty, _, _, body in rows
                     if ty == "invitation.spent"]
            if spent:
                self._spend(cur, spent)
            self._mirror(cur, "receipts", keys_of.get("receipts"))
            self._mirror(cur, "disclosures", keys_of.get("disclosures"))
            self._mirror(cur, "entity_versions", keys_of.get("entity_versions"))
            self._mirror(cur, "privacy_marks", keys_of.get("privacy_marks"))
            if "head" in keys_of:
                retained = max(retained, int(conn.execute(
                    "SELECT coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'retained_from'), 0)"
                ).fetchone()[0]))
            changes: list[tuple[Any, ...]] = []
            at = clock.iso(clock.now())
            for tbl, k1, k2 in stream:
                if tbl == "events+" and changes and changes[-1][1] == "events" and changes[-1][3] == k1 - 1:
                    changes[-1] = (*changes[-1][:3], k1, *changes[-1][4:])
                elif tbl == "events+":
                    changes.append((last_change + len(changes) + 1, "events", k1, k1, None, at))
                else:
                    changes.append((last_change + len(changes) + 1, "op", None, None, k1, k2))
            cur.executemany("INSERT INTO changes(change_no, kind, first_seq, last_seq, op, at) "
                            "VALUES (%s,%s,%s,%s,%s,%s)", changes)
            last_seq += len(added)
            last_change += len(changes)
            cur.execute("UPDATE hub_head SET last_seq = %s, last_change = %s, retained_from = %s",
                        (last_seq, last_change, retained))
            cur.execute("SELECT pg_notify(%s, %s)", (CHANNEL, str(last_seq)))
        conn.execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                     (PG_CHANGE, str(last_change)))
        self.head = (last_seq, last_change, retained)
        return last_seq

    def _spend(self, cur: Any, spent: list[tuple[str, int]]) -> None:
        """An invitation is spent once in the whole cluster (the writer scope already makes it so;
        the primary key is the backstop)."""
        import psycopg

        from imi_cli.errors import Rejected
        from imi_cli.i18n import N_

        try:
            with self.pg.transaction():  # a savepoint: the error is the scope's, mapped
                cur.executemany("INSERT INTO invitations_spent(code_hash, seq) VALUES (%s, %s)", spent)
        except psycopg.errors.UniqueViolation:
            raise Rejected(N_("the invitation code is unknown, used or expired"), reason="invalid_invitation") from None

    def _mirror(self, cur: Any, table: str, changed: dict[Any, None] | None) -> None:
        """Make PostgreSQL's rows of ``table`` for these keys what the replica holds now."""
        if not changed:
            return
        conn = self.store.conn
        keys_list = list(changed)
        if table == "receipts":
            rows = dict((r[0], r) for r in in_chunks(
                conn, "SELECT event_id, receipt, body_sha256 FROM receipts WHERE event_id IN ({})", keys_list))
            cur.executemany("INSERT INTO receipts(event_id, seq, receipt, body_sha256) VALUES (%s,%s,%s,%s) "
                            "ON CONFLICT (event_id) DO UPDATE SET seq = excluded.seq, receipt = excluded.receipt, "
                            "body_sha256 = excluded.body_sha256",
                            [(e, json.loads(r)["seq"], r, d) for e, r, d in rows.values()])
            missing = [k for k in keys_list if k not in rows]
            if missing:
                cur.execute("DELETE FROM receipts WHERE event_id = ANY(%s)", (missing,))
        elif table == "disclosures":
            present = {}
            for k in keys_list:
                row = conn.execute("SELECT event_id, digest, entity, disclosure, erased_at, blocked_at "
                                   "FROM disclosures WHERE event_id = ? AND digest = ?", k).fetchone()
                if row is not None:
                    present[k] = row
            cur.executemany(
                "INSERT INTO disclosures(event_id, digest, entity, disclosure, erased_at, blocked_at) "
                "VALUES (%s,%s,%s,%s,%s,%s) ON CONFLICT (event_id, digest) DO UPDATE SET entity = excluded.entity, "
                "disclosure = excluded.disclosure, erased_at = excluded.erased_at, blocked_at = excluded.blocked_at",
                [(e, d, ent, None if text is None else self.sealer.seal(text.encode(), disclosure_aad(e, d)),
                  er, bl) for e, d, ent, text, er, bl in present.values()])
            missing = [k for k in keys_list if k not in present]
            if missing:
                cur.executemany("DELETE FROM disclosures WHERE event_id = %s AND digest = %s", missing)
        else:  # entity_versions, privacy_marks: keyed by entity
            columns = "entity, version" if table == "entity_versions" else "entity, closed_at, blocked_at, erased_at"
            rows = {r[0]: r for r in in_chunks(conn, f"SELECT {columns} FROM {table} WHERE entity IN ({{}})",
                                               keys_list)}
            names = columns.split(", ")
            sets = ", ".join(f"{c} = excluded.{c}" for c in names[1:])
            cur.executemany(f"INSERT INTO {table}({columns}) VALUES ({', '.join(['%s'] * len(names))}) "
                            f"ON CONFLICT (entity) DO UPDATE SET {sets}", list(rows.values()))
            missing = [k for k in keys_list if k not in rows]
            if missing:
                cur.execute(f"DELETE FROM {table} WHERE entity = ANY(%s)", (missing,))

    # -- what Hub calls ------------------------------------------------------------------
    def reading(self) -> Any:
        return self.lock

    def read_query(self, sql: str, params: Any = ()) -> list[Any]:
        """A read of what the replica has committed, on a connection of its own: it does not wait
        for this process's writer (which may itself wait for another process's)."""
        with self._read_lock:
            if self._read_store is None:
                self._read_store = Store.open(self.store.path, keys.replica_key(self.key))
            return self._read_store.query(sql, params)

    def next_seq(self, conn: Any) -> int:
        return max(self.head[0] + 1, next_seq_in(conn))

    def record_op(self, name: str, **args: Any) -> None:
        """An operation that is not an event, replayed by every other replica in stream order
        (``replica.OPS``), by the clock pinned to ``at`` (the caller pins it while doing it)."""
        if not self.in_scope():
            raise RuntimeError("record_op outside the writer scope")
        self.store.conn.execute("INSERT INTO temp.imi_capture(tbl, k1, k2) VALUES ('op', ?, ?)",
                                (json.dumps({"name": name, "args": args}, sort_keys=True), clock.iso(clock.now())))

    def use_nonce(self, conn: Any, nonce: str) -> None:
        """A nonce is used once in the whole cluster: the primary key says so. In a push, in the
        writer's transaction (a replay rolls the batch back); else on its own, in autocommit."""
        from imi_cli.i18n import N_
        from imi_cli.protocol.signing import AuthError

        now = clock.now().timestamp()
        sql = "INSERT INTO request_nonces(nonce, at) VALUES (%s, %s) ON CONFLICT DO NOTHING"
        if conn is not None and self.in_scope():
            count = self.pg.execute(sql, (nonce, now)).rowcount
        else:
            with self.reads.get() as pg:
                count = pg.execute(sql, (nonce, now)).rowcount
                self._nonce_uses += 1
                if self._nonce_uses % 256 == 0:  # old ones go now and then (the leader also clears them)
                    pg.execute(EXPIRED_NONCES, (now - NONCE_WINDOW_SECONDS,))
        if count != 1:
            raise AuthError(N_("the request was replayed"))

    def catch_up(self) -> int:
        """Apply to the replica what other processes committed; how many changes. Inside this
        thread's writer scope the replica is up to date already."""
        from imi_cli.hub.pg import replica

        with self.lock:
            if self.depth:
                return 0
            with self.reads.get() as pg:
                return replica.catch_up(self, pg)

    def close(self) -> None:
        for release in reversed(self.closing):
            try:
                release()
            except Exception:
                pass
        self.closing.clear()
        with self.lock:
            self.reads.close()
            self.pg.close()
            with self._read_lock:
                if self._read_store is not None:
                    self._read_store.close()
            self.store.close()
