"""The clock's due dates kept and indexed (``privacy.due_dates``) say exactly what reading every
closed exchange says (the clock's first way, kept here as the reference), whatever happens in
between: exchanges closed, withdrawn, reopened, blocked, erased (by the clock or by the hub),
projections rebuilt, a new version of imi. Seeded: each step and what it was is in the
message of a failure."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest

from imi_cli.log import clock
from imi_cli.log.store import Store
from imi_cli.privacy import clock as privacy_clock
from imi_cli.privacy import due_dates

AREAS = ["professional-qualifications", "services", "public-procurement", "cash-in-transit", "no-such-area"]
TABLES = {"request/": "requests", "alert/": "alerts", "notification/": "notifications"}


def reference(conn: Any, now_iso: str) -> list[tuple[str, str]]:
    """(entity, action) due now, by reading every closed exchange (the clock before the index)."""
    found = []
    for s in privacy_clock.SOURCES:
        for entity, area, closed, blocked_at, erased_at in conn.execute(
                f"SELECT '{s.prefix}' || t.id, t.area, {s.closed}, m.blocked_at, m.erased_at FROM {s.table} t "
                f"LEFT JOIN privacy_marks m ON m.entity = '{s.prefix}' || t.id WHERE {s.where}"):
            try:
                block_at, erase_at = privacy_clock.dates(area, closed)
            except Exception:
                continue
            if erase_at <= now_iso and erased_at is None:
                found.append((entity, "erase"))
            elif block_at <= now_iso and blocked_at is None and erased_at is None:
                found.append((entity, "block"))
    return sorted(found)


class World:
    """A store's exchanges, changed the way events change them (a log row per change)."""

    def __init__(self, store: Store, rng: random.Random) -> None:
        self.store, self.rng, self.ids = store, rng, []
        self.now = clock.parse_instant("2026-01-01T00:00:00.000Z")

    def _logged(self, conn: Any, entity: str, kind: str) -> None:
        from imi_cli.log.event import uuid7

        conn.execute("INSERT INTO events(id, type, at, body, status, entity) VALUES (?, ?, ?, '{}', 'local', ?)",
                     (uuid7(), kind, clock.iso(self.now), entity))

    def new(self, conn: Any) -> str:
        prefix = self.rng.choice(list(TABLES))
        ident = f"x{len(self.ids)}"
        at, area = clock.iso(self.now), self.rng.choice(AREAS)
        if prefix == "request/":
            conn.execute("INSERT INTO requests(id, state, area, requester, responder, subject, created_at, "
                         "last_activity, record) VALUES (?, 'sent', ?, 'A', 'B', 's', ?, ?, '{}')",
                         (ident, area, at, at))
        elif prefix == "alert/":
            kind = self.rng.choice(["services", "services", "professional-qualifications"])
            conn.execute("INSERT INTO alerts(id, kind, state, area, sender, created_at, last_activity, record) "
                         "VALUES (?, ?, 'sent', ?, 'A', ?, ?, '{}')", (ident, kind, area, at, at))
        else:
            conn.execute("INSERT INTO notifications(id, kind, qversion, state, area, notifier, created_at, "
                         "last_activity, record) VALUES (?, 'k', '1', 'sent', ?, 'A', ?, ?, '{}')",
                         (ident, area, at, at))
        self.ids.append(prefix + ident)
        self._logged(conn, prefix + ident, "made")
        return prefix + ident

    def change(self, conn: Any, entity: str) -> str:
        prefix, ident = entity.split("/")[0] + "/", entity.split("/")[1]
        table, at = TABLES[prefix], clock.iso(self.now)
        what = self.rng.choice(["closed", "closed", "withdrawn", "reopened", "touched", "bad time"])
        if what == "closed":
            conn.execute(f"UPDATE {table} SET state = 'closed', closed_at = ?, last_activity = ? WHERE id = ?",
                         (at, at, ident))
        elif what == "withdrawn":
            conn.execute(f"UPDATE {table} SET state = 'withdrawn', last_activity = ? WHERE id = ?", (at, ident))
        elif what == "reopened":
            conn.execute(f"UPDATE {table} SET state = 'sent', closed_at = NULL, last_activity = ? WHERE id = ?",
                         (at, ident))
        elif what == "bad time":
            conn.execute(f"UPDATE {table} SET state = 'closed', closed_at = 'soon', last_activity = 'soon' "
                         "WHERE id = ?", (ident,))
        else:
            conn.execute(f"UPDATE {table} SET last_activity = ? WHERE id = ?", (at, ident))
        self._logged(conn, entity, what)
        return what


@pytest.fixture
def store(tmp_path):
    made = Store.create(tmp_path / "s.db", "a passphrase long enough")
    yield made
    made.close()


def test_the_due_dates_say_what_reading_every_closed_exchange_says(store, monkeypatch):
    rng = random.Random(17_2026)
    world = World(store, rng)
    steps: list[str] = []
    acted = {"block": 0, "erase": 0, "by the hub": 0, "rebuilt": 0, "new version": 0}
    for step in range(160):
        world.now = world.now + dt.timedelta(days=rng.choice([0, 1, 3, 20, 45, 120, 200]))
        with store.transaction() as conn:
            for _ in range(rng.randint(0, 6)):
                steps.append(f"new {world.new(conn)}")
            for entity in rng.sample(world.ids, min(len(world.ids), rng.randint(0, 5))):
                steps.append(f"{entity} {world.change(conn, entity)}")
        due_now = [entity for entity, _ in reference(store.conn, clock.iso(world.now))]
        if due_now and rng.random() < 0.15:  # the hub's erasure reached this store (marks made elsewhere)
            victims = rng.sample(due_now, min(3, len(due_now)))
            with store.transaction() as conn:
                for entity in victims:
                    conn.execute("INSERT INTO privacy_marks(entity, closed_at, erased_at) VALUES (?, 'x', ?) "
                                 "ON CONFLICT(entity) DO UPDATE SET erased_at = excluded.erased_at",
                                 (entity, clock.iso(world.now)))
            acted["by the hub"] += 1
            steps.append(f"erased by the hub: {victims}")
        if rng.random() < 0.05:  # a rebuild of the projections forgets the state
            store.conn.execute("DELETE FROM meta WHERE key = ?", (due_dates.STATE,))
            acted["rebuilt"] += 1
            steps.append("rebuilt")
        if rng.random() < 0.03:
            monkeypatch.setattr("imi_cli.__version__", f"9.{step}")
            acted["new version"] += 1
            steps.append("new version")
        now_iso = clock.iso(world.now)
        expected = reference(store.conn, now_iso)
        got = sorted((item.entity, item.action) for item in privacy_clock.due(store.conn, world.now))
        assert got == expected, f"step {step} at {now_iso}; last steps: {steps[-12:]}"
        # the clock acts on some of what is due (the rest stays due)
        at = now_iso
        with store.transaction() as conn:
            for item in privacy_clock.due(conn, world.now):
                if rng.random() < 0.7:
                    privacy_clock.mark(conn, item, at)
                    acted[item.action] += 1
        after = reference(store.conn, now_iso)
        assert sorted((i.entity, i.action) for i in privacy_clock.due(store.conn, world.now)) == after
    assert min(acted.values()) > 0, acted  # every kind of thing happened
    assert len(world.ids) > 300


def test_nothing_new_is_two_reads_and_the_next_date_is_the_earliest(store):
    rng = random.Random(5)
    world = World(store, rng)
    with store.transaction() as conn:
        made = [world.new(conn) for _ in range(40)]
        for entity in made[:30]:
            conn.execute(f"UPDATE {TABLES[entity.split('/')[0] + '/']} SET state = 'closed', closed_at = ? "
                         "WHERE id = ?", (f"2026-0{1 + made.index(entity) % 9}-15T10:00:00.000Z", entity.split("/")[1]))
            world._logged(conn, entity, "closed")
    assert privacy_clock.due(store.conn, world.now) == []
    rows = store.query("SELECT block_at FROM privacy_due")
    assert due_dates.next_date(store.conn) == min(r[0] for r in rows)
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    try:
        due_dates.refresh(store.conn)
    finally:
        store.conn.set_trace_callback(None)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 2  # head and state
    assert not [s for s in statements if not s.lstrip().upper().startswith("SELECT")]
