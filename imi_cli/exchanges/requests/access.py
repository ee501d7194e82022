"""Who takes part in a request: the requesting and responding authorities and the
coordinators that cover them (``imi_cli.directory.coordination``) — nobody else learns that
the request exists. The audience of each step is the request's event types' rule."""

from __future__ import annotations

import json
from typing import Any

from imi_cli.directory import coordination


def authority(conn: Any, ident: str | None) -> dict[str, Any] | None:
    if not ident:
        return None
    row = conn.execute("SELECT record FROM authorities WHERE id = ?", (ident,)).fetchone()
    return json.loads(row[0]) if row else None


def expected_audience(conn: Any, event: dict[str, Any]) -> list[str]:
    """The audience terms of a request event (groups the hub expands), as its type declares."""
    from imi_cli.protocol.pipeline import audience_of
    from imi_cli.protocol.view import RulesView

    return audience_of(RulesView(conn, at_hub=False), event)


def coordinates(conn: Any, coordinator: str, other: str) -> bool:
    """Does the authority ``coordinator`` cover the authority ``other``?"""
    lookup = coordination.sql_lookup(conn)
    return coordination.covers(lookup, lookup(coordinator), lookup(other))
