"""A pushed batch as the hub takes it (``Hub.accept``): what is made of each event before the
hub's lock, what the batch's events share under it, and what it must do again if one fails
while it is written.
"""

from __future__ import annotations

import json
from typing import Any

from imi_cli.log.crypto import canonical_texts
from imi_cli.log.crypto_pool import AT_LEAST, Checks
from imi_cli.log.disclosures import split
from imi_cli.log.event import canonical
from imi_cli.log.journal import NOTE_VERSION
from imi_cli.protocol.view import RulesView


def ident_of(event: Any) -> str | None:
    """A pushed event's id, if it has one that is text."""
    return event.get("id") if isinstance(event, dict) and isinstance(event.get("id"), str) else None


def encode(wire: Any, plain: bool = False) -> tuple[str | None, bytes | None]:
    """What a pushed event's checks need that does not depend on the pusher's key: (the
    canonical JSON of its body, the bytes its author signed), both from one encoding
    (``crypto.canonical_texts``); None for what cannot be made (the checks in turn say why).
    ``plain``: ``wire`` is parsed JSON without a float (plain as ``canonical.plain`` means it)."""
    body = split(wire)[0]
    try:
        if not isinstance(body, dict):
            return canonical(body), None
        signed, text = canonical_texts(body, plain=plain)  # (a key that is not text: it raises)
    except Exception:  # what canonical JSON cannot encode: the checks in turn say what is wrong
        return None, None
    return text, signed.encode()


def job_of(key: tuple[str, str | None] | None, pusher: str, wire: Any,
           signed: bytes | None) -> tuple[str, str, bytes] | None:
    """The check to make of a pushed event's signature ahead (its pusher's key, the signature,
    the signed bytes); None where it cannot be made ahead (no key in force, not the pusher's,
    not an event): it is made in turn."""
    signature = wire.get("signature") if isinstance(wire, dict) else None
    if signed is None or key is None or key[1] or not isinstance(signature, dict) \
            or signature.get("by") != pusher or not isinstance(signature.get("sig"), str):
        return None
    return key[0], signature["sig"], signed


class Prepared:
    """A pushed batch's events made ready once (a batch done again reuses them): each one's
    canonical JSON (``texts``) and the check of its signature (``checks``), made with ``key``,
    the pusher's key as read under the hub's lock. ``make`` hands the checks to the hub's
    checker process ``CHUNK`` events at a time, as they are made: it starts checking at once,
    beside the rest of the preparing. What does not depend on the key may be made before the
    lock instead (``encode_all``: a hub whose lock is every process's)."""

    CHUNK = 64

    def __init__(self, events: list[Any], pusher: str, plain: bool = False) -> None:
        self.events, self.pusher, self.plain = events, pusher, plain  # (plain: as ``encode`` says)
        self.key: tuple[str, str | None] | None = None
        self.texts: list[str | None] = []
        self.checks = Checks([], many=len(events) >= AT_LEAST)
        self.encoded: list[tuple[str | None, bytes | None]] | None = None
        self.made = False

    def encode_all(self) -> None:
        """Encode every event now (before the lock)."""
        if self.encoded is None:
            self.encoded = [encode(event, self.plain) for event in self.events]

    def make(self, key: tuple[str, str | None] | None, checker: Any) -> None:
        """Prepare the events with ``key`` (the first time only) and hand their checks to
        ``checker`` (None: each is checked when it is read)."""
        self.checks.start(checker)
        if self.made:
            return
        self.key = key
        for start in range(0, len(self.events), self.CHUNK):
            chunk = self.events[start:start + self.CHUNK]
            encoded = self.encoded[start:start + self.CHUNK] if self.encoded is not None else \
                [encode(event, self.plain) for event in chunk]
            self.texts += [text for text, _signed in encoded]
            self.checks.add([job_of(key, self.pusher, wire, signed)
                             for wire, (_text, signed) in zip(chunk, encoded, strict=True)])
        self.made = True


# what the hub holds of an event id: (its receipt, the stored body, the body's hash; each None if not)
Held = tuple[dict[str, Any] | None, str | None, str | None]


def held_of(conn: Any, events: list[Any]) -> dict[str, Held]:
    """What the hub holds of these events' ids (those it holds), in two queries for a batch
    instead of one per event."""
    from imi_cli.log.store import in_chunks

    ids = list({ident for ident in map(ident_of, events) if ident is not None})
    known: dict[str, Held] = {}
    for ident, receipt, digest in in_chunks(conn, "SELECT event_id, receipt, body_sha256 FROM receipts "
                                                  "WHERE event_id IN ({})", ids):
        known[ident] = (json.loads(receipt), None, digest)
    for ident, body in in_chunks(conn, "SELECT id, body FROM events WHERE id IN ({})", ids):
        receipt, _, digest = known.get(ident, (None, None, None))
        known[ident] = (receipt, body, digest)
    return known


class Redo(Exception):
    """An event failed while its rows were being written, in a batch without savepoints."""


class LogRows:
    """Sequenced events' rows in the hub's log tables (events, event_audience, entity_log,
    entity_versions), gathered so that a batch's are written with one statement a table."""

    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []
        self.audience: list[tuple[str, int]] = []
        self.authors: list[tuple[str, int, str]] = []
        self.versions: dict[str, int] = {}

    def add(self, seq: int, event: dict[str, Any], text: str, at: str, audience: list[str]) -> None:
        """``event`` sequenced as ``seq`` at ``at`` (``text``: its canonical JSON), read by ``audience``."""
        entity = event["subject"]["entity"]
        self.events.append((seq, event["id"], event["type"], event["at"], text, at, seq, entity))
        self.audience += [(who, seq) for who in audience]
        self.authors.append((entity, seq, event["signature"]["by"]))
        if entity:  # (as journal.note_version)
            self.versions[entity] = max(seq, self.versions.get(entity, 0))

    def write(self, conn: Any) -> None:
        """Write the rows gathered, and forget them."""
        if not self.events:
            return
        conn.executemany("INSERT INTO events(seq, id, type, at, body, status, received_at, hub_seq, entity) "
                         "VALUES (?,?,?,?,?, 'accepted', ?, ?, ?)", self.events)
        conn.executemany("INSERT INTO event_audience(authority, seq) VALUES (?, ?)", self.audience)
        conn.executemany("INSERT INTO entity_log(entity, seq, author) VALUES (?, ?, ?)", self.authors)
        conn.executemany(NOTE_VERSION, self.versions.items())
        for rows in (self.events, self.audience, self.authors, self.versions):
            rows.clear()


class Batch:
    """What the checks of one pushed batch share: one rules view (its directory reads kept
    while no event of the batch changes the directory), the pusher's key as read in the
    batch's transaction, the next sequence number, what the hub held of the batch's ids
    (``known``) and what the batch sequenced (``sequenced``), its receipts to sign, and the
    log rows of its exchanges, written later (``rows``) when the batch ``defers`` them."""

    # Events of these families change no authority, user or key: the directory read stays
    # true. Their rules and projections read none of the log tables either (the stale check
    # reads others' changes, never the pusher's own), so their log rows may wait.
    EXCHANGES = ("message.", "request.", "alert.", "notification.")

    def __init__(self, view: RulesView, key: tuple[str, str | None] | None, *, deferring: bool = False) -> None:
        """``deferring``: an exchange's log rows wait in ``rows`` until ``write_rows`` (the
        batch's end, or an event whose checks might read them: ``before``)."""
        self.view, self.key, self.deferring = view, key, deferring
        self.rows = LogRows()
        self.seq: int | None = None
        self.known: dict[str, Held] | None = None  # read for the whole batch, or per event
        self.sequenced: dict[str, Held] = {}
        # (the last two are added to as an event's last steps: an event that fails has none)
        self.receipts: list[tuple[dict[str, Any], str]] = []  # (receipt, its leaf text)
        self.writing = False  # an event's rows are being written

    def seen(self, conn: Any, wire: Any) -> Held:
        """What the hub holds of ``wire``'s id: sequenced by this batch, or held before it."""
        ident = ident_of(wire)
        if ident is not None and ident in self.sequenced:
            return self.sequenced[ident]
        known = self.known if self.known is not None else held_of(conn, [wire])
        return known.get(ident, (None, None, None)) if ident is not None else (None, None, None)

    @classmethod
    def is_exchange(cls, event: Any) -> bool:
        """Is ``event`` (a pushed one: anything) of one of the ``EXCHANGES`` families?"""
        kind = event.get("type") if isinstance(event, dict) else None
        return isinstance(kind, str) and kind.startswith(cls.EXCHANGES)

    def defers(self, event: dict[str, Any]) -> bool:
        """Do ``event``'s log rows wait for the batch's end?"""
        return self.deferring and self.is_exchange(event)

    def before(self, conn: Any, wire: Any) -> None:
        """Before the checks of ``wire`` (a pushed event): the rows waiting are written, unless
        it is an exchange (whose checks read none)."""
        if self.rows.events and not self.is_exchange(wire):
            self.write_rows(conn)

    def write_rows(self, conn: Any) -> None:
        """Write the log rows waiting; a failure is ``Redo`` (the batch again, each event
        written at once in a savepoint of its own)."""
        try:
            self.rows.write(conn)
        except Exception as exc:
            raise Redo from exc

    def accepted(self, event: dict[str, Any]) -> None:
        if not self.is_exchange(event):
            self.view.forget_directory()

    def forget(self, conn: Any) -> None:
        """After an event's savepoint was rolled back (or it failed before it was written): read
        everything afresh. The rows waiting are written first, and none wait from then on (the
        versions are read from the table again, which must hold every event before)."""
        self.write_rows(conn)
        self.deferring = False
        self.seq, self.writing = None, False
        self.view.forget_directory()
        self.view.versions = None

    def read_versions(self, conn: Any, events: list[Any]) -> None:
        """The versions of the batch's entities, in one query (0: none yet); ``wrote`` keeps
        them as the batch's events are sequenced."""
        from imi_cli.log.store import in_chunks

        entities = list({subject["entity"] for subject in (e.get("subject") for e in events if isinstance(e, dict))
                         if isinstance(subject, dict) and isinstance(subject.get("entity"), str)})
        versions = dict.fromkeys(entities, 0)
        versions.update(in_chunks(conn, "SELECT entity, version FROM entity_versions WHERE entity IN ({})", entities))
        self.view.versions = versions

    def wrote(self, entity: str, seq: int) -> None:
        """An event of the batch about ``entity`` was sequenced as ``seq`` (its version now)."""
        if self.view.versions is not None:
            self.view.versions[entity] = max(seq, self.view.versions.get(entity, 0))
