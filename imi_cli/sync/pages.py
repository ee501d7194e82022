"""Applying a page of pulled events (``apply_page``): each event's envelope checked and its
disclosures opened, its signature checked against its author's enrolled key (ahead, in
another process or thread, while the page applies in order), then stored and folded into the
tables; the page and the cursor in one transaction, so a crash never loses or doubles an
event. Used by ``session.pull``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from imi_cli.errors import InvalidInput
from imi_cli.i18n import t
from imi_cli.log import collector, quarantine
from imi_cli.log.canonical import FAST_AT_LEAST, use_fast
from imi_cli.log.crypto import canonical_texts, verify_event
from imi_cli.log.journal import note_version
from imi_cli.log.projections import apply


def apply_page(store: Any, page: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Verify and apply one page of pulled events and move the cursor, all in one transaction.
    An event that fails a check, or whose projection fails, is recorded and skipped (the rest
    of the page is applied and the cursor moves past it); returns the skipped ones. A bad
    signature or a disclosure that does not match fails the whole page: that is an attack on
    the channel, not one bad event.

    The signatures are checked ahead, in another process or thread, while the events are
    applied in order (``_Page.open_all``); each event is still judged by the key its author had
    when it comes to be applied, as if the page were checked one event at a time."""
    if len(page) >= FAST_AT_LEAST:
        use_fast()  # canonical JSON by orjson: each event's texts in a fraction of the time
    with collector.paused():
        return _apply_page(store, page)


def _apply_page(store: Any, page: list[dict[str, Any]]) -> list[dict[str, Any]]:
    skipped = []
    with store.transaction() as conn:
        state = _Page(conn, store.meta("operator_key"), page)
        opened = state.open_all([item["event"] for item in page])
        try:
            for item, ready in zip(page, opened, strict=True):
                reason = _apply_one(conn, ready, item["seq"], state)
                if reason is not None:
                    skipped.append(quarantine.record(conn, item["event"], item["seq"], reason, quarantine.PULL))
        finally:
            state.done()
        if page:  # once a page, in the page's transaction: the cursor never runs ahead of what is applied
            store.set_meta("cursor", str(page[-1]["seq"]))
    return skipped


@dataclass
class _Opened:
    """A pulled event as far as it is read without the store: its envelope checked, its
    disclosures opened, its canonical texts made. ``reason``: why it is skipped; ``refused``:
    the error that fails the page when its turn comes."""

    reason: str | None = None
    refused: InvalidInput | None = None
    event: dict[str, Any] = field(default_factory=dict)
    disclosed: list[str] = field(default_factory=list)
    revealed: dict[str, Any] = field(default_factory=dict)
    signed: str = ""  # what its author signed
    body: str = ""  # what is stored

    @classmethod
    def of(cls, conn: Any, wire: Any) -> _Opened:
        _redaction, received = _receiving()
        reason = received.envelope_problem(wire)  # before anything walks it: nesting, shape
        if reason is not None:
            return cls(reason=reason)
        # the texts of the event without its disclosures (as the body opened below): the body's
        # lets the opening see that a body naming no digest has none, without walking it
        signed, body = canonical_texts(wire)
        try:
            # redaction: the signed body, and the disclosures beside it that must match its digests
            event, disclosed, revealed = _opened(conn, wire, body)
        except InvalidInput as refused:
            return cls(refused=refused)
        except Exception as exc:  # a disclosure that cannot be read (nested too deep ...)
            return cls(reason=f"invalid: its disclosures cannot be read ({type(exc).__name__})")
        return cls(event=event, disclosed=disclosed, revealed=revealed, signed=signed, body=body)

    @property
    def signature(self) -> Any:
        return (self.event.get("signature") or {}).get("sig")


_RECEIVING: tuple[Any, Any] | None = None


def _receiving() -> tuple[Any, Any]:
    """(redaction, received): imported when a pull first brings events (an empty `imi sync`
    does without them), then held, not looked up again for each event."""
    global _RECEIVING
    if _RECEIVING is None:
        from imi_cli.log import redaction
        from imi_cli.protocol import received

        _RECEIVING = (redaction, received)
    return _RECEIVING


AHEAD_AT_LEAST = 32  # signatures to check for a page to check them in another thread
AHEAD_CHUNK = 50  # signatures a job checks


class _Page:
    """What applying one page reads once rather than once an event: the stored bodies of the
    page's events this store holds already, the authors' keys, and the signatures checked
    ahead."""

    def __init__(self, conn: Any, operator_key: str | None, page: list[dict[str, Any]]) -> None:
        from imi_cli.log.store import in_chunks

        self.conn, self.operator_key = conn, operator_key
        ids = list({wire["id"] for wire in (item["event"] for item in page)
                    if isinstance(wire, dict) and isinstance(wire.get("id"), str)})
        self.held: dict[str, str] = dict(in_chunks(conn, "SELECT id, body FROM events WHERE id IN ({})", ids))
        self._keys: dict[str, str | None] = {}
        self._enrolled: dict[str, str] = {}  # user -> the key a user.enrolled of the page opened so far gives
        self._ahead: dict[int, tuple[str, Any, int]] = {}  # id(opened) -> (key, job, index in its job)

    def key_of(self, by: Any) -> str | None:
        """The public key that signs as ``by`` now (the operator's is pinned at enrolment)."""
        if by == "operator":
            return self.operator_key
        if not isinstance(by, str):
            return None
        if by not in self._keys:
            row = self.conn.execute("SELECT public_key FROM principals WHERE user_id = ?", (by,)).fetchone()
            self._keys[by] = row[0] if row else None
        return self._keys[by]

    def applied(self, event: dict[str, Any], body: str) -> None:
        """``event`` (stored as ``body``) is in the store now: a later copy of it in the page is
        one this store holds; a user's event may have enrolled a key (user.enrolled)."""
        self.held[event["id"]] = body
        if str(event.get("type", "")).startswith("user."):
            self._keys.clear()

    def open_all(self, wires: list[Any]) -> list[_Opened]:
        """Open the page's events and start checking their signatures elsewhere: in a process
        of their own, a few at a time as they are opened, when the page is large enough for
        it; else the whole page at once in other threads (``verify_ahead``)."""
        checker = _checker() if len(wires) >= max(AHEAD_AT_LEAST, ELSEWHERE_AT_LEAST) else None
        if checker is None:
            opened = [_Opened.of(self.conn, wire) for wire in wires]
            self.verify_ahead(opened)
            return opened
        opened = []
        for start in range(0, len(wires), AHEAD_CHUNK):  # the process starts on the first ones
            chunk = [_Opened.of(self.conn, wire) for wire in wires[start:start + AHEAD_CHUNK]]
            self._check_elsewhere(checker, self._to_check(chunk))
            opened += chunk
        return opened

    def _to_check(self, opened: list[_Opened]) -> list[tuple[_Opened, str]]:
        """The events whose signatures applying them will check (not those to skip, nor those
        this store holds byte for byte), in page order, each with the key its author will most
        likely have when it comes: the one a user.enrolled before it in the page gives (a fresh
        node learns its first keys so), else the one the page starts with. Whichever it is, an
        event's check ahead counts only if made with the key in force when it is applied."""
        todo = []
        for o in opened:
            if o.reason is not None or o.refused is not None:
                continue
            if o.event.get("type") == "user.enrolled":
                payload = o.revealed.get("payload") or {}
                if isinstance(payload.get("user"), str) and isinstance(payload.get("public_key"), str):
                    self._enrolled[payload["user"]] = payload["public_key"]
            if self.held.get(o.event["id"]) == o.body or not isinstance(o.signature, str):
                continue
            by = (o.event.get("signature") or {}).get("by")
            key = self._enrolled.get(by) if isinstance(by, str) else None
            key = key or self.key_of(by)
            if key is not None:
                todo.append((o, key))
        return todo

    def verify_ahead(self, opened: list[_Opened]) -> None:
        """Start checking elsewhere the signatures the page will need checked, each with its
        author's key as the page starts: in a process of their own when there are many
        (``checker.Checker``), else in other threads (libsodium lets go of the interpreter while
        it verifies, but a thread takes it back after each signature)."""
        todo = self._to_check(opened)
        if len(todo) < AHEAD_AT_LEAST:
            return
        checker = _checker() if len(todo) >= ELSEWHERE_AT_LEAST else None
        if checker is not None:
            self._check_elsewhere(checker, todo)
            return
        from imi_cli.log import crypto_pool

        pool = crypto_pool.threads()
        if pool is None:
            return
        for start in range(0, len(todo), AHEAD_CHUNK):
            chunk = todo[start:start + AHEAD_CHUNK]
            job = pool.submit(crypto_pool.verify_all, [(key, o.signature, o.signed.encode()) for o, key in chunk])
            for index, (o, key) in enumerate(chunk):
                self._ahead[id(o)] = (key, job, index)

    def _check_elsewhere(self, checker: Any, todo: list[tuple[_Opened, str]]) -> None:
        from imi_cli.log.crypto_pool import raw_job

        jobs, sent = [], []
        for o, key in todo:
            raw = raw_job((key, o.signature, o.signed.encode()))
            if raw is not None:  # (else not a signature: checked when it comes, and refused)
                jobs.append(raw)
                sent.append((o, key))
        first = checker.submit(jobs)
        for index, (o, key) in enumerate(sent):
            self._ahead[id(o)] = (key, checker, first + index)

    def verified(self, opened: _Opened, key: str) -> bool:
        """Does ``opened`` carry the signature of ``key``? From the check ahead when it was made
        with this very key; else checked now."""
        ahead = self._ahead.get(id(opened))
        if ahead is not None and ahead[0] == key:
            job = ahead[1]
            if not hasattr(job, "outcome"):  # a thread's job
                return bool(job.result()[ahead[2]])
            try:
                return bool(job.outcome(ahead[2]))  # the process's answer
            except KeyError:  # taken already (it cannot be): checked now
                pass
        return verify_event(key, opened.event, opened.signed.encode())

    def done(self) -> None:
        """Drop the checks ahead not started (a page that failed)."""
        for _key, job, _index in self._ahead.values():
            if hasattr(job, "cancel"):
                job.cancel()
        self._ahead.clear()


ELSEWHERE_AT_LEAST = 500  # events in a page for its signatures to be checked in another process
_SLOT: Any = None  # the node's checker (crypto_pool.HelperSlot), made on first use
_ENDS_AT_EXIT = False


def _checker() -> Any:
    """The node's process that checks signatures (``checker.Checker``), started on first
    use; None where none can run, or once one ended (the threads check instead)."""
    global _SLOT, _ENDS_AT_EXIT
    from imi_cli.log import crypto_pool

    if _SLOT is None:
        _SLOT = crypto_pool.HelperSlot()
    checker = _SLOT.get()
    if checker is not None and not _ENDS_AT_EXIT:
        import atexit

        atexit.register(stop_checker)
        _ENDS_AT_EXIT = True
    return checker


def stop_checker() -> None:
    """End the process that checks signatures, if one runs (a later page starts another)."""
    if _SLOT is not None:
        _SLOT.close()


def _apply_one(conn: Any, opened: _Opened, seq: int, page: _Page) -> str | None:
    """Check, verify and apply one pulled event; the reason it was skipped, or None."""
    redaction, received = _receiving()
    if opened.refused is not None:
        raise opened.refused
    if opened.reason is not None:
        return opened.reason
    event, disclosed, revealed, body = opened.event, opened.disclosed, opened.revealed, opened.body
    held = page.held.get(event["id"])
    # An event this store holds, byte for byte, was verified when it came (or is its own):
    # re-seeding does not check it again against a key its author has since replaced.
    if held != body:
        _verify(opened, page)
    if held is not None:  # our own event, back from the hub (or one we hold already)
        note_version(conn, event, seq)
        if disclosed:
            redaction.keep(conn, event, disclosed)
        conn.execute("UPDATE events SET hub_seq = ?, status = 'accepted' WHERE id = ?", (seq, event["id"]))
        return None
    # the event as it came was walked (envelope_problem, open_received): again only what was revealed
    reason = received.payload_problem(revealed, as_received=revealed is event)
    if reason is None:
        reason = _insert_and_project(conn, event, body, disclosed, revealed, seq)
        if reason is None:
            page.applied(event, body)
    entity = event["subject"].get("entity")
    if reason is not None and isinstance(entity, str) and len(entity) <= 200:
        note_version(conn, event, seq)  # the hub moved the record on: this node's next step is not stale
    return reason


def _insert_and_project(conn: Any, event: dict[str, Any], body: str, disclosed: list[str],
                        revealed: dict[str, Any], seq: int) -> str | None:
    """Keep the event and fold it into the tables, or nothing of it if its projection fails."""
    redaction = _receiving()[0]
    conn.execute("SAVEPOINT pulled_event")
    try:
        note_version(conn, event, seq)
        if disclosed:
            redaction.keep(conn, event, disclosed)
        conn.execute("INSERT INTO events(id, type, at, body, status, hub_seq, entity) VALUES (?,?,?,?,'remote',?,?)",
                     (event["id"], event["type"], event["at"], body, seq, event["subject"]["entity"]))
        apply(conn, revealed)
    except Exception as exc:
        conn.execute("ROLLBACK TO pulled_event")
        conn.execute("RELEASE pulled_event")
        return f"projection_failed: it could not be applied ({type(exc).__name__})"
    conn.execute("RELEASE pulled_event")
    return None


def _opened(conn: Any, event: dict[str, Any],
            text: str | None = None) -> tuple[dict[str, Any], list[str], dict[str, Any]]:
    """The event's body, its disclosures and the body revealed. Not strict (that is the hub's
    part), it reads nothing of the store: a page is opened before any of it is applied.
    ``text``: the canonical JSON of the body (the event without its disclosures)."""
    redaction = _receiving()[0]
    try:
        body, disclosed, revealed = redaction.open_received(conn, event, strict=False, text=text)
    except redaction.DisclosureRefused as refused:
        raise InvalidInput(t("event {id} from the hub carries a disclosure that does not match it "
                             "({detail}); nothing from this page was applied", id=str(event.get("id")),
                             detail=t(refused.msgid, **refused.params)),
                           hint=t("the hub or the connection may be compromised: tell your coordinator")) from None
    return body, disclosed, revealed if revealed is not None else body


def _verify(opened: _Opened, page: _Page) -> None:
    event = opened.event
    by = (event.get("signature") or {}).get("by")
    key = page.key_of(by)
    if key is None or not page.verified(opened, key):
        raise InvalidInput(t("event {id} from the hub does not carry a valid signature "
                             "of {user!r}; nothing from this page was applied", id=str(event.get("id")), user=by),
                           hint=t("the hub or the connection may be compromised: tell your coordinator"))
