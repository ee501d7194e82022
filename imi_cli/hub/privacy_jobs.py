"""The data-protection clock on the hub (``imi_cli.privacy.clock``): blocking and erasure by the
hub's clock, on its timer and on pulls, and an authority's request for early erasure.

Blocking marks the hub's disclosures blocked (its own projections fold without them); it
still serves them to the exchange's parties, whose nodes block them by the same clock.
Erasure deletes them and tells every holder (``personal_data.erased``), so a node that was
offline through the date erases at its next sync even if its own clock lags.
"""

from __future__ import annotations

from typing import Any

from imi_cli.hub.disclosures import erase_entity
from imi_cli.hub.own_events import skip
from imi_cli.log import clock, redaction
from imi_cli.privacy import clock as privacy_clock

EARLY_ERASURE = "personal_data.erasure_requested"


def run(hub: Any, skipped: list[dict[str, Any]] | None = None) -> dict[str, int]:
    """Block and erase what is due by the hub's clock: {"blocked": n, "erased": n}."""
    now = clock.now()
    at = clock.iso(now)
    done = {"blocked": 0, "erased": 0}
    with hub.lock:
        items = privacy_clock.due(hub.store.conn, now)
        privacy_clock.erase_old_access(hub.store, now)  # every holder erases its copy by its own clock
    for item in items:
        try:
            if item.action == "erase":
                erase_entity(hub, item.entity)  # its event erases here too, and reaches every holder
                with hub.lock, hub.store.transaction() as conn:
                    privacy_clock.mark(conn, item, at)
            else:
                with hub.lock, hub.store.transaction() as conn:
                    redaction.block(conn, item.entity, at)
                    privacy_clock.mark(conn, item, at)
        except Exception as exc:
            skip(skipped, f"privacy {item.action}", item.entity, exc)
            continue
        done["erased" if item.action == "erase" else "blocked"] += 1
    with hub.lock:  # any erasure here (the clock's, an early one, an alert's) leaves the WAL to scrub
        privacy_clock.scrub_if_due(hub.store)
    return done


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
        with hub.lock:
            privacy_clock.scrub_if_due(hub.store)
    return erased
