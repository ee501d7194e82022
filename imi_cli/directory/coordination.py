"""Who coordinates whom: the one rule the directory, the exchanges and the hub all use.

A coordinator covers an authority of its own country only:
- a national coordinator covers every authority of its country except another national
  coordinator (only the hub's operator registers those);
- an area coordinator covers a plain authority whose areas are all among its own;
- a coordinator covers itself (it manages its own users).

What a *user* may do as a coordinator also needs the user's ``coordinator`` role; that is
the rules' business (``imi_cli.protocol``), not the directory's.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

COORDINATOR_KINDS = ("national_coordinator", "area_coordinator")

Lookup = Callable[[str], "dict[str, Any] | None"]


def covers(lookup: Lookup, coordinator: dict[str, Any] | None, target: dict[str, Any] | None) -> bool:
    """Does the authority ``coordinator`` coordinate the authority ``target``?"""
    if not coordinator or not target or coordinator.get("kind") not in COORDINATOR_KINDS:
        return False
    if coordinator.get("country") != target.get("country"):
        return False
    if target.get("id") == coordinator.get("id"):
        return True
    if target.get("kind") == "national_coordinator":
        return False
    if coordinator["kind"] == "national_coordinator":
        return True
    if target.get("kind", "authority") != "authority":
        return False
    return set(target.get("areas") or {}) <= set(coordinator.get("areas") or {})


def coordinators_of(lookup: Lookup, candidates: Iterable[dict[str, Any]], target: dict[str, Any] | None) -> list[str]:
    """The ids among ``candidates`` (coordinators of the target's country) that cover ``target``,
    other than the target itself."""
    if not target:
        return []
    return sorted(c["id"] for c in candidates if c["id"] != target.get("id") and covers(lookup, c, target))


def sql_lookup(conn: Any) -> Lookup:
    """Authority records by id, from a store's directory tables."""
    def lookup(ident: str) -> dict[str, Any] | None:
        row = conn.execute("SELECT record FROM authorities WHERE id = ?", (ident,)).fetchone()
        return json.loads(row[0]) if row else None
    return lookup


def country_coordinators(conn: Any, country: str | None) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT record FROM authorities WHERE country = ? AND kind IN (?, ?)",
                        (country, *COORDINATOR_KINDS)).fetchall()
    return [json.loads(r) for (r,) in rows]


def covered_by(conn: Any, coordinator_id: str) -> list[str]:
    """Every other authority the given one coordinates (a coordinator's view of its country),
    by id. The rule of ``covers``, in one query over the directory's columns (kind, country,
    the areas' rows): no record is read or decoded, however many authorities the country has."""
    me = conn.execute("SELECT kind, country FROM authorities WHERE id = ?", (coordinator_id,)).fetchone()
    if not me or me[0] not in COORDINATOR_KINDS:
        return []
    if me[0] == "national_coordinator":  # every authority of its country but another national coordinator
        sql = ("SELECT id FROM authorities WHERE country = ?1 AND id != ?2 AND kind != 'national_coordinator' "
               "ORDER BY id")
    else:  # a plain authority of its country whose areas are all among its own
        sql = ("SELECT a.id FROM authorities a WHERE a.country = ?1 AND a.id != ?2 AND a.kind = 'authority' "
               "AND NOT EXISTS (SELECT 1 FROM authority_areas t WHERE t.authority_id = a.id AND t.area NOT IN "
               "(SELECT area FROM authority_areas WHERE authority_id = ?2)) ORDER BY a.id")
    return [ident for (ident,) in conn.execute(sql, (me[1], coordinator_id))]
