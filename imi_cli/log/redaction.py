"""Where disclosures live in a store (node or hub), and what erasing them means.

``events.body`` keeps the signed body, digests and all, so every signature verifies from
it; the disclosures are rows of the ``disclosures`` table, keyed by event id and digest.
Erasing one sets its text to NULL and keeps the row, so that a view can say "[erased]"
rather than "[withheld]". Projections fold the revealed event: the body with the
disclosures this store holds. See ``imi_cli.log.disclosures`` for the format.
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from imi_cli.i18n import N_
from imi_cli.log import clock
from imi_cli.log.disclosures import (
    ERASED,
    MARKERS,
    SD,
    WITHHELD,
    DisclosureRefused,
    canonical,
    check,
    conceal,
    digests_in,
    parse_disclosure,
    reveal,
    split,
    wire_text,
)
from imi_cli.protocol.personal import is_personal, plain_personal, selection

ERASURE = "personal_data.erased"
SCRUB_DUE = "privacy_scrub_due"  # meta key: something was erased since the WAL was last checkpointed
# Steps that carry a request's content on: they reuse the draft's disclosures (same digests).
REUSE_TYPES = {"request.sent", "request.forwarded", "request.reassigned", "alert.sent", "alert.delivered"}
_REBUILDING = contextvars.ContextVar("imi_rebuilding", default=False)
# True only inside a logged read of blocked data (``imi_cli.privacy.blocking.read_blocked``)
_UNSEALED = contextvars.ContextVar("imi_unsealed", default=False)

Forgetter = Callable[[Any, str], None]
FORGETTERS: dict[str, Forgetter] = {}


def forgets(prefix: str) -> Callable[[Forgetter], Forgetter]:
    """Register how to drop an entity's projected rows (entities named ``prefix...``), so
    that an erasure can fold the entity's events again without the erased values."""
    def decorate(fn: Forgetter) -> Forgetter:
        FORGETTERS[prefix] = fn
        return fn
    return decorate


def _entity(event: dict[str, Any]) -> str | None:
    entity = (event.get("subject") or {}).get("entity")
    return entity if isinstance(entity, str) else None


# -- authoring -------------------------------------------------------------------
def conceal_for(conn: Any, event: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The event as it will be signed (personal fields as digests) and its disclosures."""
    chosen = selection(conn, event)
    if not chosen:
        return event, []
    reuse = _reusable(conn, _entity(event)) if event["type"] in REUSE_TYPES else None
    return conceal(event, chosen, reuse)


def _reusable(conn: Any, entity: str | None) -> dict[tuple[str, str], list[str]]:
    pool: dict[tuple[str, str], list[str]] = {}
    seen: set[str] = set()
    for (text,) in conn.execute("SELECT disclosure FROM disclosures WHERE entity = ? AND disclosure IS NOT NULL "
                                "ORDER BY rowid", (entity,)):
        if text not in seen:
            seen.add(text)
            _salt, key, value = parse_disclosure(text)
            pool.setdefault((key, canonical(value)), []).append(text)
    return pool


def wire(event: dict[str, Any], disclosures: list[str]) -> dict[str, Any]:
    return {**event, "disclosures": disclosures} if disclosures else event


def keep(conn: Any, event: dict[str, Any], disclosures: Iterable[str]) -> None:
    """Store an event's disclosures (ones already held stay as they are: erased stays erased)."""
    from imi_cli.log.disclosures import digest_of

    disclosures = list(disclosures)
    if not disclosures:
        return
    conn.executemany("INSERT OR IGNORE INTO disclosures(event_id, digest, entity, disclosure) VALUES (?,?,?,?)",
                     [(event["id"], digest_of(d), _entity(event), d) for d in disclosures])


def revealed(event: dict[str, Any]) -> dict[str, Any]:
    """An event as it travels (body + its own, trusted disclosures) as projections read it."""
    body, disclosures = split(event)
    if not disclosures and not is_personal(body.get("type")):
        return body
    return reveal(body, check(body, disclosures))


# -- receiving -------------------------------------------------------------------
_NAMED = tuple(f'"{key}"' for key in (SD, *MARKERS))  # a digest or a marker, as canonical JSON names it
assert all(name.startswith('"_') for name in _NAMED)  # (so a text without '"_' names none)


def open_received(conn: Any, event: Any, *, strict: bool,
                  text: str | None = None) -> tuple[Any, list[str], dict[str, Any] | None]:
    """(body, disclosures, revealed event) of an event from elsewhere; DisclosureRefused if a
    disclosure does not belong to it. ``strict`` (the hub): digests only where the table
    declares personal fields, and no personal field in plain. ``text``: the body's canonical
    JSON, if the caller made it: a body without disclosures whose JSON names no ``_sd`` (nor a
    reveal marker) has no digest, and is not walked to find none."""
    body, disclosures = split(event)
    if not (isinstance(body, dict) and isinstance(body.get("payload"), dict) and isinstance(body.get("type"), str)
            and isinstance(body.get("subject"), dict) and isinstance(body.get("id"), str)):
        return body, [], None  # the shape check says what is wrong
    if text is not None and disclosures == [] and ('"_' not in text or not any(needle in text for needle in _NAMED)):
        opened: dict[str, tuple[str, Any]] = {}
        found: list[Any] | None = []
    else:
        opened, found = check(body, disclosures), None
    if found is None:
        found = digests_in(body)  # once, for both checks below
    personal = is_personal(body.get("type"))
    if strict and not personal and found:
        raise DisclosureRefused("invalid", N_("a {type} has no personal fields to conceal"),
                                type=str(body.get("type"))[:60])
    if strict and personal:
        plain = plain_personal(conn, body)
        if plain:
            raise DisclosureRefused("invalid", N_("personal data in plain: {fields}"), fields=", ".join(plain)[:200])
    if strict and len(opened) < len(found):
        raise DisclosureRefused("invalid", N_("a pushed event carries the disclosures of all its personal data"))
    return body, list(disclosures), (reveal(body, opened) if personal or opened else body)


# -- reading back ------------------------------------------------------------------
def stored_revealed(conn: Any, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events from the log, revealed with the disclosures this store holds."""
    from imi_cli.log.store import in_chunks

    ids = [b["id"] for b in bodies if is_personal(b.get("type"))]
    held: dict[str, dict[str, str | None]] = {}
    sealed: set[tuple[str, str]] = set()
    unsealed = _UNSEALED.get()
    for event_id, digest, text, blocked_at in in_chunks(
            conn, "SELECT event_id, digest, disclosure, blocked_at FROM disclosures WHERE event_id IN ({})", ids):
        held.setdefault(event_id, {})[digest] = text
        if blocked_at is not None and text is not None and not unsealed:
            sealed.add((event_id, digest))
    out = []
    for body in bodies:
        if not is_personal(body.get("type")):
            out.append(body)
            continue
        mine = held.get(body["id"], {})
        blocked = [d for d in mine if (body["id"], d) in sealed]
        opened = check(body, [t for d, t in mine.items() if t is not None and (body["id"], d) not in sealed])
        out.append(reveal(body, opened, erased=[d for d, t in mine.items() if t is None], blocked=blocked))
    return out


def stored_wire(conn: Any, rows: list[tuple[str, str]]) -> list[str]:
    """(event id, stored body) -> the event as it travels, with the disclosures held here."""
    from imi_cli.log.store import in_chunks

    held: dict[str, list[str]] = {}
    for event_id, text in in_chunks(conn, "SELECT event_id, disclosure FROM disclosures WHERE event_id IN ({}) "
                                          "AND disclosure IS NOT NULL ORDER BY event_id, digest",
                                    [event_id for event_id, _ in rows]):
        held.setdefault(event_id, []).append(text)
    return [wire_text(body, held.get(event_id, [])) for event_id, body in rows]


def revealed_log(conn: Any, batch: int = 500) -> Iterator[dict[str, Any]]:
    """The whole log in the agreed order, revealed from the stored disclosures (for rebuild:
    an erased disclosure stays erased)."""
    from imi_cli.log.journal import iter_log

    chunk: list[dict[str, Any]] = []
    for body in iter_log(conn):
        chunk.append(body)
        if len(chunk) >= batch:
            yield from stored_revealed(conn, chunk)
            chunk = []
    yield from stored_revealed(conn, chunk)


class unsealed:
    """Within it, blocked disclosures are revealed: only for a read of blocked data that is
    logged with its reason (``imi_cli.privacy.blocking``), in a transaction rolled back."""

    def __enter__(self) -> None:
        self._token = _UNSEALED.set(True)

    def __exit__(self, *exc: object) -> None:
        _UNSEALED.reset(self._token)


class rebuilding:
    """While the log is replayed, an erasure event only marks its disclosures: the entity's
    later events are still to come, so it is not folded again."""

    def __enter__(self) -> None:
        self._token = _REBUILDING.set(True)

    def __exit__(self, *exc: object) -> None:
        _REBUILDING.reset(self._token)


# -- erasure ----------------------------------------------------------------------
def erase(conn: Any, *, entity: str | None = None, event_ids: Iterable[str] = ()) -> dict[str, list[str]]:
    """Erase the disclosures of an entity's events (or of the events named) in this store:
    bodies and signatures stay; the entity is folded again without the erased values.
    Returns {event id: [digests erased]}."""
    from imi_cli.log.store import in_chunks

    rows = in_chunks(conn, "SELECT event_id, digest, entity FROM disclosures WHERE disclosure IS NOT NULL "
                           "AND event_id IN ({})", list(event_ids))
    if entity is not None:
        rows += conn.execute("SELECT event_id, digest, entity FROM disclosures WHERE disclosure IS NOT NULL "
                             "AND entity = ?", (entity,)).fetchall()
    targets: dict[str, list[str]] = {}
    for event_id, digest, _ in rows:
        targets.setdefault(event_id, []).append(digest)
    mark_erased(conn, {e: sorted(set(d)) for e, d in targets.items()}, {r[2] for r in rows if r[2]})
    return targets


def mark_erased(conn: Any, targets: dict[str, list[str]], entities: Iterable[str]) -> None:
    """Mark these digests erased (a row is made for one never held: it was erased, not withheld)
    and fold the entities again."""
    from imi_cli.log.store import in_chunks

    at = clock.iso(clock.now())
    held = {event_id for (event_id,) in in_chunks(conn, "SELECT id FROM events WHERE id IN ({})", list(targets))}
    # only for events this store holds (an erasure names every copy's events, drafts included)
    rows = [(event_id, digest, at) for event_id, digests in targets.items() if event_id in held
            for digest in digests]
    conn.executemany("INSERT INTO disclosures(event_id, digest, disclosure, erased_at) VALUES (?,?,NULL,?) "
                     "ON CONFLICT(event_id, digest) DO UPDATE SET disclosure = NULL, "
                     "erased_at = coalesce(erased_at, excluded.erased_at)", rows)
    if rows:  # the WAL keeps the old page images until a checkpoint: ``privacy.clock.scrub`` is due
        conn.execute(f"INSERT INTO meta(key, value) VALUES ('{SCRUB_DUE}', ?) "
                     "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (at,))
    if not _REBUILDING.get():
        for entity in sorted(set(entities)):
            reproject(conn, entity)


def block(conn: Any, entity: str, at: str) -> int:
    """Block the disclosures of an entity's events held here (Art. 14(1)): they stay, but
    every view reads them as ``_blocked``; the entity is folded again without them."""
    count = conn.execute("UPDATE disclosures SET blocked_at = ? WHERE entity = ? AND disclosure IS NOT NULL "
                         "AND blocked_at IS NULL", (at, entity)).rowcount
    reproject(conn, entity)
    return int(count)


def reproject(conn: Any, entity: str) -> None:
    """Drop an entity's projected rows and fold its events again from the log."""
    from imi_cli.log.projections import apply
    from imi_cli.protocol import registry

    registry.all_types()  # loads every domain's projection, and with it its forgetter (a fresh process has none)
    forget = next((fn for prefix, fn in FORGETTERS.items() if entity.startswith(prefix)), None)
    if forget is None:
        return
    forget(conn, entity)
    bodies = [json.loads(b) for (b,) in conn.execute(
        "SELECT body FROM events WHERE status != 'rejected' AND entity = ? "
        "ORDER BY hub_seq IS NULL, hub_seq, seq", (entity,))]
    for event in stored_revealed(conn, bodies):
        apply(conn, event)


def apply_erasure(conn: Any, event: dict[str, Any]) -> None:
    """The projection of a ``personal_data.erased`` event (hub and nodes): its digests go."""
    p = event["payload"]
    targets = {str(e): [str(d) for d in digests] for e, digests in (p.get("digests") or {}).items()}
    rows = conn.execute("SELECT DISTINCT entity FROM disclosures WHERE event_id IN ({})".format(
        ",".join("?" * len(targets))), list(targets)).fetchall() if targets else []
    entities = {e for (e,) in rows if e} | ({p["entity"]} if isinstance(p.get("entity"), str) else set())
    mark_erased(conn, targets, entities)


# -- verifying the whole log -----------------------------------------------------------
def verify_log(conn: Any, operator_key: str) -> dict[str, Any]:
    """Check every signature of the log (against the key its author had then), that every
    disclosure held matches a digest of its event, and that every receipt of the hub this node
    keeps proves its event (``receipts.verify_kept``). A report; ``problems`` empty when all hold."""
    from imi_cli.log.crypto import verify_event
    from imi_cli.log.journal import iter_log
    from imi_cli.log.receipts import verify_kept

    keys: dict[str, str] = {"operator": operator_key}
    current = dict(conn.execute("SELECT user_id, public_key FROM principals"))
    report: dict[str, Any] = {"events": 0, "signed": 0, "disclosures": 0, "erased": 0, "problems": []}
    for body in iter_log(conn):
        report["events"] += 1
        by = (body.get("signature") or {}).get("by")
        if by is not None:
            report["signed"] += 1
            if not any(key and verify_event(key, body) for key in (keys.get(by), current.get(by))):
                report["problems"].append({"event": body["id"], "problem": "bad_signature"})
        if body["type"] == "user.enrolled":
            keys[body["payload"]["user"]] = body["payload"]["public_key"]
    for event_id, digest, text, body in conn.execute(
            "SELECT d.event_id, d.digest, d.disclosure, e.body FROM disclosures d "
            "LEFT JOIN events e ON e.id = d.event_id ORDER BY d.event_id"):
        problem = _disclosure_problem(digest, text, body)
        report["erased" if text is None else "disclosures"] += 1
        if problem:
            report["problems"].append({"event": event_id, "digest": digest, "problem": problem})
    report["receipts"], bad = verify_kept(conn, operator_key)
    report["problems"] += bad
    return report


def erased_fields(conn: Any) -> list[dict[str, Any]]:
    """Which fields were erased here, and when: per exchange, how many and the first time."""
    rows = conn.execute("SELECT coalesce(d.entity, e.entity), count(*), "
                        "min(d.erased_at) FROM disclosures d LEFT JOIN events e ON e.id = d.event_id "
                        "WHERE d.disclosure IS NULL GROUP BY 1 ORDER BY 3, 1").fetchall()
    return [{"entity": entity, "fields": count, "erased_at": at} for entity, count, at in rows]


def _disclosure_problem(digest: str, text: str | None, body: str | None) -> str | None:
    from imi_cli.log.disclosures import digest_of

    if body is None:
        return "no_event"
    if text is None:
        return None if any(d == digest for _, d in digests_in(json.loads(body))) else "stray_digest"
    if digest_of(text) != digest:
        return "changed_disclosure"
    try:
        check(json.loads(body), [text])
    except DisclosureRefused as refused:
        return refused.reason
    return None


def shown(value: Any) -> str:
    """How a view names a field it cannot show."""
    return "[erased]" if value == ERASED else "[withheld]" if value == WITHHELD else str(value)
