"""The data-protection clock on the hub (``imi_cli.privacy.clock``): blocking and erasure by the
hub's clock, on its timer and on pulls, and an authority's request for early erasure.

Blocking marks the hub's disclosures blocked (its own projections fold without them); it
still serves them to the exchange's parties, whose nodes block them by the same clock.
Erasure deletes them and tells every holder (``personal_data.erased``), so a node that was
offline through the date erases at its next sync even if its own clock lags.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

from imi_cli.hub.disclosures import erase_entity
from imi_cli.hub.own_events import skip
from imi_cli.log import clock, redaction
from imi_cli.privacy import clock as privacy_clock

EARLY_ERASURE = "personal_data.erasure_requested"


def run(hub: Any, skipped: list[dict[str, Any]] | None = None) -> dict[str, int]:
    """Block and erase what is due by the hub's clock: {"blocked": n, "erased": n}. With several
    hub processes, each step is checked again in its writer scope (another process may have
    done it meanwhile) and recorded for the others to replay (``hub/pg/replica.OPS``)."""
    now = clock.now()
    at = clock.iso(now)
    shared = hub.backend.pins_clock  # several processes: their replicas replay what is done here
    if shared:
        now = clock.parse_instant(at)
    pinned = clock.pinned(now) if shared else nullcontext()
    done = {"blocked": 0, "erased": 0}
    with pinned:
        with hub.lock:
            items = privacy_clock.due(hub.store.conn, now)
            if privacy_clock.erase_old_access(hub.store, now) and shared:  # every holder erases its copy
                hub.backend.record_op("access.erase_old",
                                      before=clock.iso(privacy_clock.add_months(now, -privacy_clock.ERASE_MONTHS)))
        for item in items:
            try:
                if item.action == "erase":
                    with hub.lock:
                        if shared and _marked(hub.store.conn, item):
                            continue  # another hub process erased it meanwhile
                        erase_entity(hub, item.entity)  # its event erases here too, and reaches every holder
                        with hub.store.transaction() as conn:
                            _mark(hub, conn, item, at)
                else:
                    with hub.lock, hub.store.transaction() as conn:
                        if shared and _marked(conn, item):
                            continue  # another hub process blocked it meanwhile
                        redaction.block(conn, item.entity, at)
                        hub.backend.record_op("privacy.block", entity=item.entity, at=at)
                        _mark(hub, conn, item, at)
            except Exception as exc:
                skip(skipped, f"privacy {item.action}", item.entity, exc)
                continue
            done["erased" if item.action == "erase" else "blocked"] += 1
    # any erasure here (the clock's, an early one, an alert's) leaves the WAL to scrub
    with hub.backend.reading():
        privacy_clock.scrub_if_due(hub.store)
    return done


def _marked(conn: Any, item: Any) -> bool:
    """Whether the clock's step for this item was done already (by another hub process)."""
    column = "erased_at" if item.action == "erase" else "blocked_at"
    row = conn.execute(f"SELECT {column} FROM privacy_marks WHERE entity = ?", (item.entity,)).fetchone()
    return bool(row and row[0])


def _mark(hub: Any, conn: Any, item: Any, at: str) -> None:
    privacy_clock.mark(conn, item, at)
    hub.backend.record_op("privacy.mark", entity=item.entity, closed_at=item.closed_at, action=item.action, at=at)


def erase_requested(hub: Any, skipped: list[dict[str, Any]] | None = None) -> int:
    """Early erasure (an authority's request, with the data subject's consent): each request
    not yet carried out erases its exchange's personal data everywhere."""
    with hub.lock:  # a request is carried out while its exchange still has personal data here
        pending = hub.store.query(
            "SELECT DISTINCT json_extract(e.body, '$.payload.entity') FROM events e WHERE e.type = ? "
            "AND EXISTS (SELECT 1 FROM disclosures d WHERE d.entity = json_extract(e.body, '$.payload.entity') "
            "AND d.disclosure IS NOT NULL)",
            (EARLY_ERASURE,))
    erased = 0
    for (entity,) in pending:
        try:
            erase_entity(hub, str(entity))
        except Exception as exc:
            skip(skipped, "early erasure", str(entity), exc)
            continue
        erased += 1
    if erased:
        with hub.backend.reading():
            privacy_clock.scrub_if_due(hub.store)
    return erased
