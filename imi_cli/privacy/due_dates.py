"""The data-protection clock's due dates, kept and indexed (table ``privacy_due``): a row per
closed exchange whose personal data is not erased yet, with when it is blocked, when erased
and the next of the two still to come (``next_at``).

``refresh`` keeps the table up to date from the log: every exchange an event touched since
the last refresh (meta ``privacy_due_state``: the last event looked at, and the version of
imi whose areas gave the periods) is computed again from its projection and its marks. The
first refresh after the schema step, after a rebuild of the projections or under another
version of imi fills it from every closed exchange held. ``due`` then reads only the rows
whose date came, and computes each again before it is acted on: a row can be stale (an
exchange reopened, erased through the hub) but none is ever missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

STATE = "privacy_due_state"  # meta: "<last events.seq looked at>|<imi version>"


def refresh(conn: Any) -> None:
    """Bring the due dates up to date with the log (in the caller's transaction, or one of its own)."""
    from imi_cli import __version__

    state = _meta(conn, STATE)
    last, _, version = (state or "").partition("|")
    head = conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
    if state is not None and version == __version__ and last.isdigit() and int(last) == head:
        return  # nothing new: one query
    with _writing(conn):
        if state is None or version != __version__ or not last.isdigit() or int(last) > head:
            _fill(conn)
        else:
            for entity in _touched(conn, int(last)):
                recompute(conn, entity)
        conn.execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                     (STATE, f"{head}|{__version__}"))


def due_rows(conn: Any, now_iso: str) -> list[tuple[str, str, str, str, str]]:
    """(entity, area, closed at, block at, erase at) of each exchange whose next date is past,
    each computed again first (after ``refresh``)."""
    found: list[tuple[str, str, str, str, str]] = []
    rows = conn.execute("SELECT entity FROM privacy_due WHERE next_at <= ? ORDER BY next_at, entity",
                        (now_iso,)).fetchall()
    if not rows:
        return found
    with _writing(conn):  # (one transaction for them all)
        for (entity,) in rows:
            row = recompute(conn, entity)
            if row is not None and row[-1] <= now_iso:
                found.append(row[:5])
    return found


def next_date(conn: Any) -> str | None:
    """The earliest date the clock will act on in this store (after ``refresh``), or None."""
    row = conn.execute("SELECT min(next_at) FROM privacy_due").fetchone()
    return row[0] if row else None


def recompute(conn: Any, entity: str) -> tuple[str, str, str, str, str, str] | None:
    """Compute one exchange's row again from its projection and its marks, and store it (or
    remove it: not closed, not one the clock handles, erased); the row, or None."""
    from imi_cli.privacy.clock import SOURCES

    source = next((s for s in SOURCES if entity.startswith(s.prefix)), None)
    found = None
    if source is not None:
        found = conn.execute(f"SELECT t.area, {source.closed} FROM {source.table} t "  # noqa: S608
                             f"WHERE t.id = ? AND {source.where}", (entity[len(source.prefix):],)).fetchone()
    marks = conn.execute("SELECT blocked_at, erased_at FROM privacy_marks WHERE entity = ?", (entity,)).fetchone()
    row = _row(entity, found[0], found[1], marks[0] if marks else None) \
        if found is not None and not (marks and marks[1]) else None
    if row is None:
        conn.execute("DELETE FROM privacy_due WHERE entity = ?", (entity,))
        return None
    conn.execute("INSERT INTO privacy_due(entity, area, closed_at, block_at, erase_at, next_at) VALUES (?,?,?,?,?,?) "
                 "ON CONFLICT(entity) DO UPDATE SET area = excluded.area, closed_at = excluded.closed_at, "
                 "block_at = excluded.block_at, erase_at = excluded.erase_at, next_at = excluded.next_at", row)
    return row


def _row(entity: str, area: Any, closed: Any, blocked_at: str | None) -> tuple[str, str, str, str, str, str] | None:
    from imi_cli.privacy.clock import dates

    try:
        block_at, erase_at = dates(area, closed)
    except Exception:  # a closing time that is not one: the clock cannot start for it
        return None
    return entity, area, closed, block_at, erase_at, erase_at if blocked_at else block_at


def _fill(conn: Any) -> None:
    from imi_cli.privacy.clock import SOURCES

    conn.execute("DELETE FROM privacy_due")
    for s in SOURCES:
        found = conn.execute(
            f"SELECT '{s.prefix}' || t.id, t.area, {s.closed}, m.blocked_at FROM {s.table} t "  # noqa: S608
            f"LEFT JOIN privacy_marks m ON m.entity = '{s.prefix}' || t.id "
            f"WHERE {s.where} AND m.erased_at IS NULL").fetchall()
        rows = (_row(*one) for one in found)
        conn.executemany("INSERT INTO privacy_due(entity, area, closed_at, block_at, erase_at, next_at) "
                         "VALUES (?,?,?,?,?,?)", (row for row in rows if row is not None))


def _touched(conn: Any, after: int) -> list[str]:
    """The exchanges the events after ``after`` are about (the kinds the clock handles)."""
    from imi_cli.privacy.clock import SOURCES

    # each prefix as a range of the entity column ("request/" <= e < "request0": '0' follows '/')
    ranges = " OR ".join("(entity >= ? AND entity < ?)" for _ in SOURCES)
    bounds = [bound for s in SOURCES for bound in (s.prefix, s.prefix[:-1] + "0")]
    return [e for (e,) in conn.execute(f"SELECT DISTINCT entity FROM events WHERE seq > ? AND ({ranges})",
                                       (after, *bounds))]


def _meta(conn: Any, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


@contextmanager
def _writing(conn: Any) -> Iterator[None]:
    """The caller's transaction, or one of its own (a store another process writes: StoreBusy)."""
    if conn.in_transaction:
        yield
        return
    from imi_cli.log.store import transaction_of

    with transaction_of(conn):
        yield
