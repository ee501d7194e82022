"""Hub retention: exchanges older than the retention period leave the hub's log.

Directory events (authorities, users, keys) are the network's shared state and stay.
A node whose cursor is older than what the hub still holds gets 410 and re-seeds:
it pulls again from the start and keeps what it already has (events are idempotent by id).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from imi_cli import clock
from imi_cli.hub.rules import DIRECTORY_TYPES


def retained_from(hub: Any) -> int:
    """The highest sequence number removed by retention (0: nothing removed)."""
    return int(hub.store.meta("retained_from", "0"))


def prune(hub: Any, days: int) -> int:
    """Remove non-directory events older than ``days``; returns how many went."""
    try:
        cutoff = clock.iso(clock.now() - timedelta(days=days))
    except OverflowError:  # a period longer than the calendar: nothing is that old
        return 0
    marks = ",".join("?" * len(DIRECTORY_TYPES))
    with hub.lock, hub.store.transaction() as conn:
        rows = conn.execute(f"SELECT seq FROM events WHERE at < ? AND type NOT IN ({marks})",
                            (cutoff, *sorted(DIRECTORY_TYPES))).fetchall()
        seqs = [seq for (seq,) in rows]
        for start in range(0, len(seqs), 500):
            chunk = seqs[start:start + 500]
            q = ",".join("?" * len(chunk))
            conn.execute(f"DELETE FROM event_audience WHERE seq IN ({q})", chunk)
            conn.execute(f"DELETE FROM events WHERE seq IN ({q})", chunk)
        if seqs:
            hub.store.set_meta("retained_from", str(max(max(seqs), retained_from(hub))))
    return len(seqs)
