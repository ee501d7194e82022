"""Events a store received and did not apply, and why (schema step 7, table ``quarantine``).

Everything from outside is hostile until checked, even when it is well signed: an event a
node pulls is checked (``imi_cli.protocol.received``) and projected on its own, and one that
fails is recorded here and skipped, so one bad event never stops a sync or a rebuild.

Only ids, the type, the hub's sequence number and a reason are kept: never the event's
content (it may hold personal data, in a shape nothing here can read or erase). The hub
still holds the signed event; the reason says what was wrong with it.
"""

from __future__ import annotations

import re
from typing import Any

from imi_cli.log import clock

PULL, REBUILD = "pull", "rebuild"
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,79}$")
MAX_REASON = 200


def printable(value: Any, limit: int = MAX_REASON) -> str:
    """``value`` as one short line a terminal shows as it is (control characters, escapes
    and bidirectional overrides become '?')."""
    text = "".join(c if c.isprintable() else "?" for c in str(value)[:limit])
    return text if len(str(value)) <= limit else text[:limit - 3] + "..."


def event_id_of(event: Any, seq: int | None) -> str:
    """The event's id if it looks like one, else a name made from its sequence number."""
    ident = event.get("id") if isinstance(event, dict) else None
    if isinstance(ident, str) and _ID.match(ident):
        return ident
    return f"hub-seq-{seq}"


def type_of(event: Any) -> str | None:
    kind = event.get("type") if isinstance(event, dict) else None
    return printable(kind, 60) if isinstance(kind, str) else None


def record(conn: Any, event: Any, seq: int | None, reason: str, source: str) -> dict[str, Any]:
    """Record a skipped event (again: the newest reason wins); returns what the user is told."""
    entry = {"id": event_id_of(event, seq), "seq": seq, "type": type_of(event), "reason": printable(reason)}
    conn.execute("INSERT INTO quarantine(event_id, hub_seq, type, reason, at, source) VALUES (?,?,?,?,?,?) "
                 "ON CONFLICT(event_id) DO UPDATE SET hub_seq = excluded.hub_seq, type = excluded.type, "
                 "reason = excluded.reason, at = excluded.at, source = excluded.source",
                 (entry["id"], seq, entry["type"], entry["reason"], clock.iso(clock.now()), source))
    return entry


def forget(conn: Any, source: str) -> None:
    """Drop the records of one source (a rebuild makes its own again)."""
    conn.execute("DELETE FROM quarantine WHERE source = ?", (source,))


def entries(conn: Any) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT event_id, hub_seq, type, reason, at, source FROM quarantine ORDER BY at, hub_seq")
    keys = ("id", "seq", "type", "reason", "at", "source")
    return [dict(zip(keys, row, strict=True)) for row in rows]
