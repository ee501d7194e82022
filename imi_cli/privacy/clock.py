"""The data-protection clock (Regulation (EU) No 1024/2012, Art. 14): an exchange's personal
data is blocked 6 months after its formal closure (an area may declare up to 18) and erased
3 years after it. Node and hub run the same clock over the same projections, by the one
settable clock (``IMI_NOW``): a node that was offline through a date applies it at its next
start or sync.

Which exchanges: requests (closed or withdrawn), services alerts and notifications (closed
or withdrawn). PQ alerts follow their own rule (3 days after the restriction ended, see
``imi_cli.exchanges.alerts``); repository records are kept while needed (Art. 14(2)).

``due`` says what is to be done now; ``apply_node`` does it in a node's store (blocking marks
the disclosures and folds the exchange again without them; erasure deletes them, as the
hub's ``personal_data.erased`` will too); the hub does the same in ``imi_cli.hub.privacy_jobs``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from imi_cli.i18n import N_
from imi_cli.log import clock

ERASE_MONTHS = 36  # Art. 14(1): erased 3 years after formal closure
# what the clock did to an exchange's personal data, as `imi privacy status` shows it
STATE_LABELS = {"held": N_("held"), "blocked": N_("blocked"), "erased": N_("erased")}
# ``redaction.SCRUB_DUE``, named here so that the check of every command does not import the
# redaction (and hashlib, which loads OpenSSL, through it); tests/cli/test_startup_sync.py keeps them equal
SCRUB_DUE = "privacy_scrub_due"


# Source and Due are named tuples, not frozen dataclasses: making those cost ~0.7 ms each on
# every command that opens a store (this module is imported to check the clock's gate)
class Source(NamedTuple):
    prefix: str      # entity prefix: request/, alert/ ...
    table: str
    kind: str        # what a person calls it
    closed: str      # SQL: when it was formally closed
    where: str       # SQL: it is closed


SOURCES = (
    Source("request/", "requests", "request",
           "CASE t.state WHEN 'closed' THEN t.closed_at ELSE t.last_activity END",
           "t.state IN ('closed', 'withdrawn')"),
    Source("alert/", "alerts", "alert", "coalesce(t.closed_at, t.last_activity)",
           "t.state IN ('closed', 'withdrawn') AND t.kind = 'services'"),
    Source("notification/", "notifications", "notification", "coalesce(t.closed_at, t.last_activity)",
           "t.state IN ('closed', 'withdrawn')"),
)


class Due(NamedTuple):
    entity: str
    area: str
    closed_at: str
    block_at: str
    erase_at: str
    action: str      # block | erase


def add_months(when: datetime, months: int) -> datetime:
    """The same day ``months`` later (the month's last day if it has fewer days)."""
    month0 = when.month - 1 + months
    year, month = when.year + month0 // 12, month0 % 12 + 1
    return when.replace(year=year, month=month, day=min(when.day, _days_in(year, month)))


def _days_in(year: int, month: int) -> int:
    """``calendar.monthrange(year, month)[1]``, without importing calendar (~0.5 ms a command)."""
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def blocking_months(area: str) -> int:
    from imi_cli.reference.areas import BLOCKING_MONTHS, load_areas

    known = load_areas().get(area)
    return known.blocking_months if known else BLOCKING_MONTHS


def dates(area: str, closed_at: str) -> tuple[str, str]:
    """(blocked from, erased from) for an exchange of ``area`` closed at ``closed_at``."""
    closed = clock.parse_instant(closed_at, source="closed_at")
    return clock.iso(add_months(closed, blocking_months(area))), clock.iso(add_months(closed, ERASE_MONTHS))


def due(conn: Any, now: datetime | None = None) -> list[Due]:
    """What the clock must do now in this store: exchanges past their blocking date and not
    yet blocked here, or past their erasure date and not yet erased. Read from the due dates
    kept and indexed (``due_dates``): the rows due, not every closed exchange held."""
    from imi_cli.privacy import due_dates

    now_iso = clock.iso(now or clock.now())
    due_dates.refresh(conn)
    return [Due(entity, area, closed, block_at, erase_at, "erase" if erase_at <= now_iso else "block")
            for entity, area, closed, block_at, erase_at in due_dates.due_rows(conn, now_iso)]


def mark(conn: Any, item: Due, at: str) -> None:
    """Remember what the clock did to this exchange here (an erased one counts as blocked)."""
    column = "erased_at" if item.action == "erase" else "blocked_at"
    conn.execute(f"INSERT INTO privacy_marks(entity, closed_at, {column}) VALUES (?,?,?) "
                 f"ON CONFLICT(entity) DO UPDATE SET {column} = coalesce({column}, excluded.{column})",
                 (item.entity, item.closed_at, at))
    if item.action == "erase":
        conn.execute("UPDATE privacy_marks SET blocked_at = coalesce(blocked_at, ?) WHERE entity = ?",
                     (at, item.entity))
    from imi_cli.privacy import due_dates

    due_dates.recompute(conn, item.entity)  # its next date (erasure), or none


def apply_node(store: Any, now: datetime | None = None) -> dict[str, int]:
    """Apply the clock in a node's store now: {"blocked": n, "erased": n}. One exchange that
    cannot be processed is skipped (and retried next time); the others are done. Each is
    folded again from its own events (``redaction.reproject``, by the log's index by entity)."""
    from imi_cli.log import redaction

    now = now or clock.now()
    done = {"blocked": 0, "erased": 0}
    erase_old_access(store, now)
    items = due(store.conn, now)
    if not items:
        return done
    at = clock.iso(now)
    with store.transaction() as conn:
        for item in items:
            conn.execute("SAVEPOINT privacy_clock")
            try:
                if item.action == "erase":
                    redaction.erase(conn, entity=item.entity)
                else:
                    redaction.block(conn, item.entity, at)
                mark(conn, item, at)
            except Exception:
                conn.execute("ROLLBACK TO privacy_clock")
                conn.execute("RELEASE privacy_clock")
                continue
            conn.execute("RELEASE privacy_clock")
            done["erased" if item.action == "erase" else "blocked"] += 1
    if done["erased"]:
        scrub(store)
    return done


def erase_old_access(store: Any, now: datetime) -> int:
    """The access log's own personal data (a reason, a person searched for) goes 3 years after
    the read, like an exchange's: one indexed query when there is none."""
    before = clock.iso(add_months(now, -ERASE_MONTHS))
    if store.conn.execute("SELECT 1 FROM access_log a WHERE a.at < ? AND EXISTS (SELECT 1 FROM disclosures d "
                          "WHERE d.entity = 'access/' || a.id AND d.disclosure IS NOT NULL) LIMIT 1",
                          (before,)).fetchone() is None:
        return 0
    from imi_cli.privacy.access import erase_old  # (only now: the check above is all most commands do)

    with store.transaction() as conn:
        return erase_old(conn, before)


def scrub(store: Any) -> None:
    """After an erasure: the WAL's old page images are written back and the WAL truncated, so
    what was erased survives in no page (``secure_delete`` zeroes the freed ones). Every
    erasure leaves a mark (``redaction.SCRUB_DUE``), cleared here once the checkpoint is done."""
    import time

    give_up = time.monotonic() + 0.5  # a checkpoint in progress (a serving hub's, in its thread) takes milliseconds
    try:
        while True:
            busy = store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            if not busy:
                store.conn.execute("DELETE FROM meta WHERE key = ?", (SCRUB_DUE,))
                return
            if time.monotonic() > give_up:  # (a reader that waited out the busy timeout: not again)
                return  # the mark stays: the next scrub does it
            time.sleep(0.01)
    except Exception:  # another reader holds the WAL: the next checkpoint does it
        pass


def scrub_if_due(store: Any) -> None:
    """Scrub if something was erased since the last scrub (a pulled ``personal_data.erased``,
    an early erasure): one read of the meta table otherwise."""
    if store.meta(SCRUB_DUE) is not None:
        scrub(store)


# The gate: "seq|next|version" in meta. Until ``next`` (the earliest blocking or erasure date of
# what this store holds), nothing is due unless an exchange closed, reopened or was withdrawn
# since event ``seq`` (or another version of imi, whose areas may declare other periods, runs).
GATE = "privacy_gate"
TRIGGERS = ("request.closed", "request.withdrawn", "request.reopened", "alert.closed", "alert.withdrawn",
            "notification.closed", "notification.withdrawn")


def _gate_holds(store: Any, now: datetime) -> bool:
    from imi_cli import __version__

    gate = (store.meta(GATE) or "").split("|")
    if len(gate) != 3 or gate[2] != __version__ or not (gate[1] == "" or clock.iso(now) < gate[1]):
        return False
    marks = ",".join("?" * len(TRIGGERS))
    return store.conn.execute(f"SELECT 1 FROM events WHERE type IN ({marks}) AND seq > ? LIMIT 1",
                              (*TRIGGERS, int(gate[0]))).fetchone() is None


def _set_gate(store: Any, now: datetime) -> None:
    from imi_cli import __version__
    from imi_cli.privacy import due_dates

    seq = store.conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
    with store.transaction() as conn:
        due_dates.refresh(conn)
        store.set_meta(GATE, f"{seq}|{due_dates.next_date(conn) or ''}|{__version__}")


def run_if_due(store: Any) -> dict[str, int]:
    """The clock on a store being opened: nothing but one query when nothing is due, and a
    store busy with another process is left for the next command."""
    from imi_cli.errors import StoreBusy

    if store.meta("role") == "hub":  # the hub runs its own clock, which tells every holder (hub/privacy_jobs)
        return {"blocked": 0, "erased": 0}
    now = clock.now()
    try:
        if _gate_holds(store, now):  # nothing can be due before the next date the clock knows of
            erase_old_access(store, now)
            done = {"blocked": 0, "erased": 0}
        else:
            done = apply_node(store, now)
            _set_gate(store, now)
    except StoreBusy:
        return {"blocked": 0, "erased": 0}
    if not done["erased"]:  # an erasure pulled from the hub or made early leaves the WAL to scrub
        scrub_if_due(store)
    return done


def status(conn: Any, now: datetime | None = None) -> list[dict[str, Any]]:
    """Every closed exchange this store holds, with its dates and what the clock did: the
    view of `imi privacy status`. PQ alerts show their own erasure date."""
    now_iso = clock.iso(now or clock.now())
    out = []
    for s in SOURCES:
        for entity, area, closed, blocked_at, erased_at in conn.execute(
                f"SELECT '{s.prefix}' || t.id, t.area, {s.closed}, m.blocked_at, m.erased_at FROM {s.table} t "
                f"LEFT JOIN privacy_marks m ON m.entity = '{s.prefix}' || t.id WHERE {s.where} ORDER BY 3, 1"):
            try:
                block_at, erase_at = dates(area, closed)
            except Exception:
                continue
            state = "erased" if erased_at else "blocked" if blocked_at else "held"
            out.append({"entity": entity, "kind": s.kind, "area": area, "closed_at": closed, "block_at": block_at,
                        "erase_at": erase_at, "state": state,
                        "next": None if erased_at else (erase_at if blocked_at else block_at),
                        "overdue": (not erased_at and erase_at <= now_iso) or (not blocked_at and block_at <= now_iso)})
    for alert_id, area, closed, erase_after, held in conn.execute(
            "SELECT a.id, a.area, coalesce(a.closed_at, a.last_activity), a.erase_after, EXISTS (SELECT 1 FROM "
            "disclosures d WHERE d.entity = 'alert/' || a.id AND d.disclosure IS NOT NULL) FROM alerts a "
            "WHERE a.kind != 'services' AND a.erase_after IS NOT NULL ORDER BY 3, 1"):
        out.append({"entity": f"alert/{alert_id}", "kind": "pq alert", "area": area, "closed_at": closed,
                    "block_at": None, "erase_at": erase_after, "state": "held" if held else "erased",
                    "next": erase_after if held else None, "overdue": bool(held) and erase_after <= now_iso[:10]})
    return out
