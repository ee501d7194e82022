"""What a hub process reads from PostgreSQL without its writer scope: pulls (events for an
authority's audiences, with the disclosures it may see), the retention point; on a few
autocommit connections of their own (``ReadPool``), so that a pull never waits for a writer.
``PgBackend`` (hub/pg/backend.py) has these as its own.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from imi_cli.hub.backend import audiences_of
from imi_cli.hub.pg.connect import connect
from imi_cli.hub.pg.keys import disclosure_aad, event_aad


class ReadPool:
    """A few autocommit connections for pulls, nonces and head reads (pulls never use the writer's)."""

    def __init__(self, url: str, size: int) -> None:
        self.url, self.size, self.made = url, size, 0
        self.free: queue.LifoQueue[Any] = queue.LifoQueue()
        self.all: list[Any] = []
        self.lock = threading.Lock()

    @contextmanager
    def get(self) -> Iterator[Any]:
        conn = None
        try:
            conn = self.free.get_nowait()
        except queue.Empty:
            with self.lock:
                if self.made < self.size:
                    self.made += 1
                    try:
                        conn = connect(self.url, autocommit=True)
                    except BaseException:
                        self.made -= 1
                        raise
                    self.all.append(conn)
            if conn is None:
                conn = self.free.get()
        try:
            yield conn
        except BaseException:
            if conn.closed or conn.broken:
                with self.lock:
                    self.made -= 1
                    self.all.remove(conn)
                conn = None
            raise
        finally:
            if conn is not None:
                self.free.put(conn)

    def close(self) -> None:
        for conn in self.all:
            conn.close()


class PgReads:
    """The reads of ``PgBackend``: its read pool (``reads``), its sealer, its lock and replica."""

    reads: ReadPool
    sealer: Any
    lock: Any
    store: Any

    def catch_up(self) -> int:
        raise NotImplementedError

    def events_for(self, audiences: list[str], after: int, limit: int) -> list[tuple[int, str, str]]:
        """(seq, type, canonical body) of the events for these audiences after ``after``."""
        with self.reads.get() as pg:
            rows = pg.execute(
                "SELECT e.seq, e.id, e.type, e.body FROM events e WHERE e.seq IN (SELECT seq FROM event_audience "
                "WHERE authority = ANY(%s) AND seq > %s ORDER BY seq LIMIT %s) ORDER BY e.seq",
                (audiences, after, limit), binary=True).fetchall()  # binary: bytea without hex
        return [(s, ty, self.sealer.open(body, event_aad(i)).decode()) for s, i, ty, body in rows]

    def held_disclosures(self, seqs: list[int]) -> dict[int, list[str]]:
        """The disclosures held (not erased) of these events, by seq, in digest order."""
        if not seqs:
            return {}
        with self.reads.get() as pg:
            rows = pg.execute("SELECT e.seq, d.event_id, d.digest, d.disclosure FROM disclosures d "
                              "JOIN events e ON e.id = d.event_id WHERE e.seq = ANY(%s) "
                              "AND d.disclosure IS NOT NULL ORDER BY d.digest COLLATE \"C\"", (seqs,),
                              binary=True).fetchall()
        held: dict[int, list[str]] = {}
        for seq, event_id, digest, blob in rows:
            held.setdefault(seq, []).append(self.sealer.open(blob, disclosure_aad(event_id, digest)).decode())
        return held

    def pull(self, authority: str | None, after: int, limit: int) -> list[tuple[int, str]]:
        from imi_cli.hub import disclosures as hub_disclosures

        rows = self.events_for(audiences_of(authority), after, limit)
        if not rows:
            return []
        held = self.held_disclosures([seq for seq, _, _ in rows])
        plain = [(seq, body) for seq, _, body in rows]
        if not held:
            return plain
        types = {seq: ty for seq, ty, _ in rows}
        from imi_cli.protocol import registry

        if not any(getattr(registry.get(types[seq]), "withhold", None) for seq in held):
            return hub_disclosures.with_held(None, authority, plain, held, types)  # no rule reads the replica
        # the need-to-know rules read the replica's projections: caught up to what is served
        self.catch_up()
        with self.lock:
            return hub_disclosures.with_held(self.store.conn, authority, plain, held, types)

    def retained_from(self) -> int:
        with self.reads.get() as pg:
            return int(pg.execute("SELECT retained_from FROM hub_head").fetchone()[0])
