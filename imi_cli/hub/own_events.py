"""The hub's own events made record by record (deliveries, reminders): one that cannot be made
is skipped and logged by id with the exception's type, never its content, and the others are
made. Alerts and notifications use it (``alert_jobs``, ``notification_jobs``)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

log = logging.getLogger("imi.hub.housekeeping")
OPERATOR = {"user": "operator", "authority": None}


def make_each(hub: Any, idents: Iterable[str], make: Callable[[Any, str], dict[str, Any] | None], job: str,
              entity: str, skipped: list[dict[str, Any]] | None = None) -> int:
    """For each id, the event ``make(conn, id)`` gives (None: nothing to do), appended by the hub
    under its lock; returns how many were made."""
    made = 0
    for ident in idents:
        try:
            with hub.lock:
                event = make(hub.store.conn, ident)
                if event is not None:
                    hub.append_own([event])
                    made += 1
        except Exception as exc:
            skip(skipped, job, f"{entity}/{ident}", exc)
    return made


def skip(skipped: list[dict[str, Any]] | None, job: str, ident: str, exc: BaseException) -> None:
    log.warning("housekeeping (%s) skipped %s: %s", job, ident, type(exc).__name__)
    if skipped is not None:
        skipped.append({"job": job, "id": ident, "error": type(exc).__name__})
