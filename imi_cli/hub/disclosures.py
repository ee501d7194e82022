"""The hub's side of redactable personal data: which disclosures a reader gets, and erasure.

The hub keeps every disclosure it accepted (``imi_cli.log.redaction``). A pull gets only
those its authority may see: ``may_see`` says so per (authority, event, key). Every
audience member sees everything unless the event's type has a need-to-know rule
(``withhold``: an incoming-alert coordinator reads the profession, not the person, until the
alert is forwarded to it); ``may_see`` is the hook for finer rules.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from imi_cli.log.disclosures import DisclosureRefused, parse_disclosure, wire_text
from imi_cli.log.event import make_event
from imi_cli.log.redaction import ERASURE, open_received
from imi_cli.log.store import in_chunks

# (recipient authority, the event's signed body, the disclosure's key) -> may it be sent?
Policy = Callable[[str | None, dict[str, Any], str], bool]


def everyone(recipient: str | None, event: dict[str, Any], key: str) -> bool:
    """The default: every audience member may see every disclosure of the event."""
    return True


# The hook: may this audience member receive the disclosure of ``key`` in ``event`` (its
# signed body)? A need-to-know rule replaces it (tests set one with monkeypatch.setattr).
may_see: Policy = everyone


def open_pushed(conn: Any, event: Any, text: str | None = None) -> tuple[Any, list[str], dict[str, Any] | None]:
    """(body, disclosures, revealed) of a pushed event; raises ``Refusal`` with a typed
    reason if a disclosure does not belong to it. ``text``: the body's canonical JSON, if made."""
    from imi_cli.protocol.refusal import Refusal

    try:
        return open_received(conn, event, strict=True, text=text)
    except DisclosureRefused as refused:
        # the template is marked with N_ where it is raised (log/disclosures.py, log/redaction.py)
        raise Refusal(refused.reason, refused.msgid, **refused.params) from None


def with_disclosures(conn: Any, recipient: str | None, rows: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Pulled rows (seq, stored body) with the disclosures this recipient may see spliced in."""
    if not rows:
        return rows
    held, types = held_in(conn, [seq for seq, _ in rows])
    if not held:
        return rows
    return with_held(conn, recipient, rows, held, types)


def held_in(conn: Any, seqs: list[int]) -> tuple[dict[int, list[str]], dict[int, str]]:
    """The disclosures held (not erased) of these events, by seq in digest order; their types."""
    held: dict[int, list[str]] = {}
    types: dict[int, str] = {}
    for seq, type_, text in in_chunks(conn, "SELECT e.seq, e.type, d.disclosure FROM disclosures d "
                                            "JOIN events e ON e.id = d.event_id WHERE e.seq IN ({}) "
                                            "AND d.disclosure IS NOT NULL ORDER BY d.digest", seqs):
        held.setdefault(seq, []).append(text)
        types[seq] = type_
    return held, types


def with_held(conn: Any, recipient: str | None, rows: list[tuple[int, str]], held: dict[int, list[str]],
              types: dict[int, str]) -> list[tuple[int, str]]:
    """The policy: rows with those of the ``held`` disclosures this recipient may see spliced in
    (``conn``: the hub store, which the need-to-know rules read)."""
    from imi_cli.protocol import registry

    out = []
    for seq, body in rows:
        mine = held.get(seq, [])
        rule = getattr(registry.get(types.get(seq)), "withhold", None)
        if mine and rule is not None and rule(conn, recipient, json.loads(body)):
            mine = []  # need to know: this reader gets the event without its personal data
        if mine and may_see is not everyone:  # parse only when a rule may hold something back
            event = json.loads(body)
            mine = [d for d in mine if may_see(recipient, event, parse_disclosure(d)[1])]
        out.append((seq, wire_text(body, mine)))
    return out


def erase_entity(hub: Any, entity: str) -> dict[str, list[str]]:
    """Erase every disclosure of an entity's events on the hub, and tell its audience: a
    ``personal_data.erased`` event names the digests, and each node deletes them when it
    pulls it. Bodies and signatures stay. Returns {event id: [digests]}."""
    with hub.lock:
        targets: dict[str, list[str]] = {}
        for event_id, digest in hub.store.query("SELECT event_id, digest FROM disclosures WHERE entity = ? "
                                                "AND disclosure IS NOT NULL ORDER BY event_id, digest", (entity,)):
            targets.setdefault(event_id, []).append(digest)
        if not targets:
            return {}
        # the erasure's audience (who received those events) is its type's rule; applying it
        # (log/redaction.apply_erasure) erases here exactly as on each node
        hub.append_own([make_event(ERASURE, actor={"user": "operator", "authority": None},
                                   payload={"entity": entity, "digests": targets},
                                   subject={"entity": f"erasure/{entity}"})])
    return targets


__all__ = ["may_see", "open_pushed", "with_disclosures", "held_in", "with_held", "erase_entity", "DisclosureRefused"]
