"""Where the hub's shared state lives: the seam between ``Hub`` and its log.

``SqliteBackend`` is the hub as it always was: one SQLCipher store, one process, one
re-entrant lock. ``imi_cli.hub.pg.backend.PgBackend`` keeps the log in PostgreSQL, shared by
several hub processes, each with a private SQLCipher replica that the rules read. ``Hub``
calls only what ``HubBackend`` declares, so the rules never care which backend holds the log.

- ``writer()`` is ``hub.lock``: a scope the same thread can re-enter; every write and every
  read-then-write runs inside one.
- ``reading()``: pure reads of the hub store (the replica); ``read_query(sql, params)``: one
  such read, which on PostgreSQL never waits for this process's writer.
- ``next_seq(conn)``: the next sequence number, inside the writer scope.
- ``use_nonce(conn, nonce)``: record a signed request's nonce (``conn``: the push's
  transaction; None: on its own); AuthError if seen already.
- ``pull(authority, after, limit)``: the events an authority may read after a cursor, each
  with the disclosures it may see: (seq, wire text).
- ``events_for(audiences, after, limit)``: (seq, type, stored body) without disclosures;
  ``held_disclosures(seqs)``: the disclosures held of those events (``pull`` is both, with the
  need-to-know policy of ``hub/disclosures.with_held``).
- ``retained_from()``: the highest pulled sequence number retention removed.
- ``record_op(name, **args)``: a write that is not an event, for the other processes to replay.
- ``catch_up()``: bring the hub store up to date with the shared log; how many changes.
"""

from __future__ import annotations

import math
import threading
from contextlib import AbstractContextManager
from typing import Any, Protocol

from imi_cli.log.event import NETWORK


class HubBackend(Protocol):
    kind: str                # "sqlcipher" | "postgresql"
    recheck_seconds: float   # a long poll looks again at least this often (inf: only when woken)
    pins_clock: bool         # projections of an event read the clock pinned to its received_at

    def writer(self) -> AbstractContextManager[Any]: ...
    def reading(self) -> AbstractContextManager[Any]: ...
    def read_query(self, sql: str, params: Any = ()) -> list[Any]: ...
    def next_seq(self, conn: Any) -> int: ...
    def use_nonce(self, conn: Any, nonce: str) -> None: ...
    def pull(self, authority: str | None, after: int, limit: int) -> list[tuple[int, str]]: ...
    def events_for(self, audiences: list[str], after: int, limit: int) -> list[tuple[int, str, str]]: ...
    def held_disclosures(self, seqs: list[int]) -> dict[int, list[str]]: ...
    def retained_from(self) -> int: ...
    def record_op(self, name: str, **args: Any) -> None: ...
    def catch_up(self) -> int: ...
    def close(self) -> None: ...


def next_seq_in(conn: Any) -> int:
    """The next number after every event the store holds and every one retention removed."""
    return int(conn.execute("SELECT max(coalesce((SELECT max(seq) FROM events), 0), "
                            "coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'retained_from'), 0))"
                            " + 1").fetchone()[0])


def audiences_of(authority: str | None) -> list[str]:
    return [NETWORK] + ([authority] if authority else [])


class SqliteBackend:
    """One SQLCipher hub store in one process (the default)."""

    kind = "sqlcipher"
    recheck_seconds = math.inf
    pins_clock = False

    def __init__(self, store: Any) -> None:
        self.store = store
        self.lock = threading.RLock()

    def writer(self) -> Any:
        return self.lock

    def reading(self) -> Any:
        return self.lock

    def read_query(self, sql: str, params: Any = ()) -> list[Any]:
        with self.lock:
            return self.store.query(sql, params)

    def next_seq(self, conn: Any) -> int:
        # A sequence number is never given twice, even after retention removed the newest events
        # (a plain rowid would reuse them, and a node holding the old one would clash).
        return next_seq_in(conn)

    def use_nonce(self, conn: Any, nonce: str) -> None:
        from imi_cli.protocol.signing import use_nonce

        if conn is not None:
            use_nonce(conn, nonce)
            return
        with self.lock, self.store.transaction() as own:
            use_nonce(own, nonce)

    def pull(self, authority: str | None, after: int, limit: int) -> list[tuple[int, str]]:
        from imi_cli.hub import disclosures as hub_disclosures

        audiences = audiences_of(authority)
        marks = ",".join("?" * len(audiences))
        with self.lock:
            rows = self.store.query(
                f"SELECT e.seq, e.body FROM events e WHERE e.seq IN (SELECT seq FROM event_audience"
                f" WHERE authority IN ({marks}) AND seq > ? ORDER BY seq LIMIT ?) ORDER BY e.seq",
                (*audiences, after, limit))
            # redaction: each event with the disclosures this authority may see
            return hub_disclosures.with_disclosures(self.store.conn, authority, rows)

    def events_for(self, audiences: list[str], after: int, limit: int) -> list[tuple[int, str, str]]:
        marks = ",".join("?" * len(audiences))
        with self.lock:
            return self.store.query(
                f"SELECT e.seq, e.type, e.body FROM events e WHERE e.seq IN (SELECT seq FROM event_audience"
                f" WHERE authority IN ({marks}) AND seq > ? ORDER BY seq LIMIT ?) ORDER BY e.seq",
                (*audiences, after, limit))

    def held_disclosures(self, seqs: list[int]) -> dict[int, list[str]]:
        from imi_cli.hub import disclosures as hub_disclosures

        with self.lock:
            return hub_disclosures.held_in(self.store.conn, seqs)[0]

    def retained_from(self) -> int:
        return int(self.store.meta("retained_from", "0") or 0)

    def record_op(self, name: str, **args: Any) -> None:
        """Nothing to tell: no other process holds a copy."""

    def catch_up(self) -> int:
        return 0

    def close(self) -> None:
        self.store.close()
