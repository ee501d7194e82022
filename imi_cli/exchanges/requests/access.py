"""Who may read a request's events: the requesting and responding authorities and the
coordinators above them — nobody else learns that the request exists."""

from __future__ import annotations

import json
from typing import Any

MAX_CHAIN = 8


def _authority(conn: Any, ident: str | None) -> dict[str, Any] | None:
    if not ident:
        return None
    row = conn.execute("SELECT record FROM authorities WHERE id = ?", (ident,)).fetchone()
    return json.loads(row[0]) if row else None


def coordinators_above(conn: Any, ident: str) -> list[str]:
    chain: list[str] = []
    current = _authority(conn, ident)
    while current and current.get("coordinator") and len(chain) < MAX_CHAIN:
        if current["coordinator"] in chain:
            break
        chain.append(current["coordinator"])
        current = _authority(conn, current["coordinator"])
    return chain


def parties(conn: Any, requester: str, responder: str) -> set[str]:
    return {requester, responder, *coordinators_above(conn, requester), *coordinators_above(conn, responder)}


def expected_audience(conn: Any, event: dict[str, Any]) -> list[str]:
    from imi_cli.exchanges.requests.projection import load

    type_, p = event["type"], event["payload"]
    request = load(conn, event["subject"]["entity"].split("/", 1)[1]) or p.get("request", {})
    requester, responder = request.get("requester") or "", request.get("responder") or ""
    unsent = type_ in ("request.drafted", "request.approved") or (
        type_ == "request.withdrawn" and request.get("state") == "draft")
    if unsent:  # drafts stay home, under their coordinators' eyes; so does withdrawing one
        return sorted({requester, *coordinators_above(conn, requester)})
    audience = parties(conn, requester, responder)
    if type_ in ("request.forwarded", "request.reassigned"):  # the old responder sees the hop, then no more
        audience |= parties(conn, requester, p.get("to"))
    return sorted(a for a in audience if a)


def coordinates(conn: Any, coordinator: str, authority: str) -> bool:
    """Is ``coordinator`` above ``authority``, or the national coordinator of its country?"""
    if coordinator in coordinators_above(conn, authority):
        return True
    mine, theirs = _authority(conn, coordinator), _authority(conn, authority)
    return bool(mine and theirs and mine["kind"] == "national_coordinator" and mine["country"] == theirs["country"])
