"""Audiences: who receives an event. An event names its audience as terms; the hub expands
the terms from its directory when it accepts the event and stores the expanded set, so a
pull stays an index lookup and a node never has to guess a broadcast's recipients.

Terms:
  *                          the whole network (directory entries)
  hub                        nobody but the hub (invitations)
  AUTHORITY-ID               one authority
  coordinators:AUTHORITY-ID  the coordinators that cover it (``directory.coordination``)
  all-member-states          every country's national coordinator
  country:CC, area:AREA, kind:KIND, role:ROLE, joined with '/' (all must hold), e.g.
  country:FR/role:alert_handler  every French authority with a user holding that role
  KIND:RECORD-ID[:CC]        whoever holds a record now, by the hub's copy (a domain says who:
                             ``record_term``), e.g. alert:ID, or alert:ID:HU for one country's.
                             A node whose copy lags names the same term, so it is not refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from imi_cli.protocol.refusal import Refusal

NETWORK = "*"
HUB_ONLY = "hub"
ALL_MEMBER_STATES = "all-member-states"
# An alert names each country's recipients: 30 countries, a few authorities each.
MAX_TERMS = 512
_FILTER = re.compile(r"^(country|area|kind|role):[A-Za-z0-9._-]{1,64}$")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


# record terms: the kind of record -> (view, record id, country or None) -> audience terms
RecordTerm = Callable[[Any, str, "str | None"], list[str]]
_RECORD_TERMS: dict[str, RecordTerm] = {}
_RECORD_TERM = re.compile(r"^([a-z]+):([A-Za-z0-9][A-Za-z0-9._-]{0,63})(?::([A-Z]{2}))?$")


def record_term(kind: str, expander: RecordTerm) -> None:
    """Let ``KIND:ID[:CC]`` name whoever holds that record (a domain registers its kind)."""
    _RECORD_TERMS[kind] = expander


def _record_term(term: str) -> tuple[RecordTerm, str, str | None] | None:
    match = _RECORD_TERM.match(term)
    if match is None or match.group(1) not in _RECORD_TERMS:
        return None
    return _RECORD_TERMS[match.group(1)], match.group(2), match.group(3)


def is_group(term: str) -> bool:
    return term == ALL_MEMBER_STATES or ":" in term


def check_terms(terms: Any) -> list[str]:
    """The terms of an event's audience, if each is well formed."""
    if not isinstance(terms, list) or not terms or len(terms) > MAX_TERMS:
        raise Refusal("invalid", "an audience is a list of 1 to {count} terms", count=MAX_TERMS)
    for term in terms:
        if not isinstance(term, str) or not _well_formed(term):
            raise Refusal("invalid", "an audience term is an authority id, a group or *", term=str(term)[:80])
    return terms


def _well_formed(term: str) -> bool:
    if term in (NETWORK, HUB_ONLY, ALL_MEMBER_STATES) or _ID.match(term):
        return True
    if term.startswith("coordinators:"):
        return bool(_ID.match(term.split(":", 1)[1]))
    if _record_term(term) is not None:
        return True
    return all(_FILTER.match(part) for part in term.split("/"))


def expand(view: Any, terms: list[str]) -> list[str]:
    """The authorities (and the literal * or hub) the terms stand for, by the view's directory."""
    out: set[str] = set()
    for term in terms:
        if term in (NETWORK, HUB_ONLY) or not is_group(term):
            out.add(term)
        elif term.startswith("coordinators:"):
            out.update(view.coordinators_of(view.authority(term.split(":", 1)[1])))
        elif (record := _record_term(term)) is not None:
            expander, ident, country = record
            out.update(expand(view, [t for t in expander(view, ident, country) if _record_term(t) is None]))
        elif term == ALL_MEMBER_STATES:
            out.update(r[0] for r in view.conn.execute(
                "SELECT id FROM authorities WHERE kind = 'national_coordinator' AND country != 'EU'"))
        else:
            out.update(_filtered(view.conn, term))
    return sorted(out)


def _filtered(conn: Any, term: str) -> list[str]:
    where, params = [], []
    for part in term.split("/"):
        key, value = part.split(":", 1)
        if key == "country":
            where.append("a.country = ?")
        elif key == "kind":
            where.append("a.kind = ?")
        elif key == "area":
            where.append("EXISTS (SELECT 1 FROM authority_areas x WHERE x.authority_id = a.id AND x.area = ?)")
        else:  # role: some user of the authority holds it, in any area
            where.append("EXISTS (SELECT 1 FROM users u, json_each(u.roles) r, json_each(r.value) v "
                         "WHERE u.authority_id = a.id AND v.value = ?)")
        params.append(value)
    sql = "SELECT a.id FROM authorities a WHERE " + " AND ".join(where)
    return [row[0] for row in conn.execute(sql, params)]
