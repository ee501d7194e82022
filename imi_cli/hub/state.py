"""The hub's state: a store whose log is the network's log, sequenced by ``events.seq``.

``Hub`` is used by the HTTP app and by `imi hub init|invite`; one lock serialises
its connection, and a condition wakes long-polling readers when events arrive.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from imi_cli.hub import disclosures as hub_disclosures
from imi_cli.hub.backend import HubBackend, SqliteBackend
from imi_cli.hub.batch import Batch, LogRows, Prepared, Redo, held_of, ident_of
from imi_cli.hub.enrolment import Enrolment
from imi_cli.i18n import t
from imi_cli.log import clock, collector, receipts, redaction
from imi_cli.log.canonical import FAST_AT_LEAST, use_fast
from imi_cli.log.checker import Checker
from imi_cli.log.crypto import (
    Signer,
    new_private_key,
    public_key_of,
    verify_event,
)
from imi_cli.log.crypto_pool import HelperSlot
from imi_cli.log.disclosures import split
from imi_cli.log.event import canonical, make_event
from imi_cli.log.journal import entity_version
from imi_cli.log.projections import apply
from imi_cli.log.store import Store
from imi_cli.protocol import pipeline
from imi_cli.protocol.refusal import Refusal
from imi_cli.protocol.schemas import MAX_DEPTH
from imi_cli.protocol.view import RulesView


def init_hub(path: Path, passphrase: str, *, keep_key: bool = False) -> Hub:
    """A new hub store; ``keep_key``: it keeps its key (a hub served from this process)."""
    store = Store.create(path, passphrase, keep_key=keep_key)
    key = new_private_key()
    with store.transaction():
        store.set_meta("role", "hub")
        store.set_meta("operator_key", key)
    hub = Hub(store)
    enrolled = make_event("user.enrolled", actor={"user": "operator", "authority": None},
                          payload={"user": "operator", "authority": None, "public_key": public_key_of(key)},
                          subject={"entity": "principal/operator", "version": 0})
    hub.append_own([enrolled])
    return hub


class Hub(Enrolment):
    def __init__(self, store: Store, backend: HubBackend | None = None) -> None:
        operator_key = store.meta("operator_key")
        if store.meta("role") != "hub" or operator_key is None:
            from imi_cli.errors import UsageError

            raise UsageError(t("{path} is not a hub store", path=str(store.path)),
                             hint=t("create one with `imi hub init`"))
        self.store = store
        # where the log lives (hub/backend.py): this store alone, or PostgreSQL with this store
        # as the process's replica; ``lock`` is its writer scope (re-entrant in one thread)
        self.backend: HubBackend = backend if backend is not None else SqliteBackend(store)
        self.lock = self.backend.writer()
        self.arrived = threading.Condition()
        self.arrivals = 0
        self.checked: Any = None  # what a pull's check for due work covered (hub/due_check.py)
        self.stopping = False
        # -- notify: besides the condition (threads), callables told of each arrival; the HTTP
        # app registers one that wakes its asynchronous long polls (they hold no thread)
        self.listeners: list[Callable[[], None]] = []
        # -- end notify
        self.operator = Signer("operator", operator_key)
        self._operator_key = operator_key
        self.checkers: HelperSlot[Checker] = HelperSlot()  # checks pushed signatures (log/crypto_pool.py)
        self.checkpoints: Any = None  # a serving hub's background checkpoints (hub/checkpoints.py)

    @property
    def operator_public_key(self) -> str:
        return public_key_of(self._operator_key)

    # -- writing ---------------------------------------------------------
    def _insert(self, conn: Any, event: dict[str, Any], audience: list[str],
                disclosed: tuple[list[str], dict[str, Any]] | None = None, *, text: str | None = None,
                batch: Batch | None = None, at: str | None = None, seq: int | None = None) -> int:
        """Sequence one event (``text``: its canonical JSON, if the caller made it already;
        ``at``: the hub's time of receipt, if read already; ``seq``: its number, given when it is
        replayed from the shared log)."""
        # A sequence number is never given twice (the backend says which is next: hub/backend.py).
        # Within a batch (one transaction, under the lock) the next one is counted, not read again.
        if seq is None:
            seq = batch.seq if batch is not None and batch.seq is not None else self.backend.next_seq(conn)
        if at is None:
            at = clock.iso(clock.now())
        # its log rows: written now, or with the batch's others at its end (batch.Batch.defers)
        rows = batch.rows if batch is not None and batch.defers(event) else LogRows()
        rows.add(seq, event, text if text is not None else canonical(event), at, audience)
        if batch is not None:
            batch.wrote(event["subject"]["entity"], seq)
        if batch is None or rows is not batch.rows:
            rows.write(conn)
        if disclosed is not None and disclosed[0]:  # redaction: the disclosures beside the body
            redaction.keep(conn, event, disclosed[0])
        # with several replicas, each folds the event by the same clock (the one it was received by)
        if self.backend.pins_clock:
            with clock.pinned(at):
                apply(conn, event if disclosed is None else disclosed[1])
        else:
            apply(conn, event if disclosed is None else disclosed[1])
        if batch is not None:
            batch.seq = seq + 1
        return seq

    def _receipt(self, batch: Batch, event_id: str, seq: int, at: str) -> dict[str, Any]:
        """The operator's receipt for a sequenced event: signed and stored with its batch's others
        at the batch's end (``_store_receipts``); the dict returned gets its signature then."""
        receipt: dict[str, Any] = {"event": event_id, "seq": seq, "at": at}
        batch.receipts.append((receipt, receipts.leaf_text(receipt)))
        return receipt

    def _store_receipts(self, conn: Any, batch: Batch) -> None:
        """Sign a batch's receipts (one signature: the head of their Merkle tree, log/receipts.py)
        and store them, in one statement."""
        # (the hash of the event's body is kept by retention, when it removes the body)
        texts = receipts.sign(self.operator, batch.receipts)
        conn.executemany("INSERT INTO receipts(event_id, receipt) VALUES (?, ?)",
                         [(receipt["event"], text)
                          for (receipt, _leaf), text in zip(batch.receipts, texts, strict=True)])
        batch.receipts.clear()

    def append_own(self, events: list[dict[str, Any]]) -> list[int]:
        """Events the operator makes (invitations, enrolments, reminders): given the audience
        their type declares, signed here and sequenced at once, all in one transaction."""
        with self.lock, self.store.transaction() as conn:
            seqs, view = [], RulesView(conn, at_hub=True)
            for event in events:
                event["subject"].setdefault("version", entity_version(conn, event["subject"]["entity"]))
                event["audience"] = pipeline.audience_of(view, event)
                # personal data the hub passes on (an alert delivered whole) is concealed as in
                # any author's event, reusing the disclosures it holds (same digests)
                body, disclosed = redaction.conceal_for(conn, event)
                signed = self.operator.sign_event(body)
                revealed = redaction.revealed(redaction.wire(signed, disclosed)) if disclosed else signed
                # the same rules as for any event (the operator's rights aside): a bug here
                # fails loudly instead of sequencing what no node would accept
                audience = pipeline.check(view, revealed)
                seqs.append(self._insert(conn, signed, audience, (disclosed, revealed) if disclosed else None))
        self._notify()
        return seqs

    def accept(self, events: list[Any], pusher: str, nonce: str | None = None, *,
               plain: bool = False) -> list[dict[str, Any]]:
        """Check and sequence a pushed batch in one transaction; a result per event. The push
        request's ``nonce`` is recorded in the same transaction (AuthError if already seen);
        ``plain``: ``events`` were parsed from JSON without a float (``batch.encode``).

        Under the hub's lock, the pusher's key is read, what each signature's check needs is
        made (``batch.Prepared``) and handed to the hub's checker process as it is made (when
        the batch is large), and the events are checked and applied in turn while it checks."""
        if len(events) >= FAST_AT_LEAST:
            use_fast()  # canonical JSON by orjson (log/canonical.py): a server loads it once
        prepared = Prepared(events, pusher, plain)
        if self.backend.kind != "sqlcipher":
            prepared.encode_all()  # before the lock, which is every hub process's on PostgreSQL
        with collector.paused():
            try:
                results = self._sequence(prepared, nonce, careful=False)
            except Redo:
                # an event failed while its rows were being written: the batch was rolled back
                # whole; again, each event in a savepoint of its own, so that only its rows go
                results = self._sequence(prepared, nonce, careful=True)
        if self.checkpoints is not None and len(events) >= FAST_AT_LEAST:
            self.checkpoints.now()  # copied back to the database beside the next push, not in it
        if any(r["status"] == "accepted" for r in results):
            self._notify()
            if any(isinstance(e, dict) and e.get("type") in ("alert.forwarded", "notification.disseminated",
                                                             "personal_data.erasure_requested") for e in events):
                self.react()
        return results

    def _sequence(self, prepared: Prepared, nonce: str | None, *, careful: bool) -> list[dict[str, Any]]:
        """``accept``'s transaction. Each event's checks write nothing, so an event refused or
        broken in them needs no undoing; one that fails while it is written does: ``careful``
        takes a savepoint per event for that, else such a failure raises ``Redo``."""
        events, pusher, checks = prepared.events, prepared.pusher, prepared.checks
        results = []
        with self.lock, self.store.transaction() as conn, clock.pinned(clock.now()):
            # one time of receipt for the batch (one transaction), read once: the rules' "now" too
            batch_at = clock.iso(clock.now())
            if nonce is not None:
                self.backend.use_nonce(conn, nonce)
            batch = Batch(RulesView(conn, at_hub=True, keep_directory=True), _key_row(conn, pusher),
                          deferring=not careful)
            # the checker is this hub's, used under its lock; a batch done again was prepared
            # already (with the key then in force: if it changed since, each is checked in turn)
            prepared.make(batch.key, self.checkers.get() if checks.many else None)
            batch.known = held_of(conn, events)
            batch.read_versions(conn, events)
            early_key = batch.key == prepared.key
            for index, (event, text) in enumerate(zip(events, prepared.texts, strict=True)):
                if careful:
                    conn.execute("SAVEPOINT one_event")
                batch.before(conn, event)
                waiting = len(batch.rows.events)
                if early_key and waiting and waiting % WRITE_WHILE_WAITING == 0 and not checks.ready(index):
                    batch.write_rows(conn)  # the checker is behind: the rows waiting are written meanwhile
                try:
                    checked = checks.result(index) if early_key else None
                    results.append(self._accept_one(conn, event, pusher, batch, checked, text, batch_at))
                except Exception as exc:  # a malformed event must never fail the batch or the hub
                    if careful:
                        conn.execute("ROLLBACK TO one_event")
                    elif batch.writing:
                        raise Redo from exc
                    batch.forget(conn)
                    results.append({"id": ident_of(event), "status": "rejected", "reason": "invalid",
                                    "message": f"the event could not be processed ({type(exc).__name__})"})
                if careful:
                    conn.execute("RELEASE one_event")
            batch.write_rows(conn)
            self._store_receipts(conn, batch)
        return results

    def react(self) -> int:
        """What the hub does at once when events arrive: an alert forwarded is delivered whole
        to the authorities it was forwarded to, a notification disseminated to those it was
        disseminated to, an exchange's personal data erased everywhere on a request for early
        erasure. Also run by housekeeping (after a crash)."""
        from imi_cli.hub import notification_jobs, privacy_jobs
        from imi_cli.hub.alert_jobs import deliver

        return deliver(self) + notification_jobs.deliver(self) + privacy_jobs.erase_requested(self)

    def _accept_one(self, conn: Any, wire: Any, pusher: str, batch: Batch | None = None,
                    verified: bool | None = None, text: str | None = None, at: str | None = None,
                    ) -> dict[str, Any]:
        """``verified``: the signature was checked already against the key in force (None: check
        it); ``text``: the canonical JSON of the event's body, if made already; ``at``: the time
        of receipt (its batch's), if read already."""
        own = batch is None  # one event on its own (not in a pushed batch): its receipt stored here
        batch = batch or Batch(RulesView(conn, at_hub=True), _key_row(conn, pusher))
        # Redactable personal data (hub/disclosures.py): the signed body is checked and stored as
        # it came; its disclosures must each match one of its digests; the rules see it revealed.
        event, revealed = wire, None
        disclosed: list[str] = []
        if text is None:  # the one canonical JSON of the body: compared and stored
            text = canonical(split(wire)[0])
        try:
            event, disclosed, revealed = hub_disclosures.open_pushed(conn, wire, text)
        except Refusal as refusal:
            return {"id": ident_of(wire), "status": "rejected", **refusal.wire()}
        ident = ident_of(event)
        # whether the id has a receipt and whether an event holds it (for a batch: read for all
        # its ids at once, and kept as its events are sequenced)
        row = batch.seen(conn, event)
        # The same event again: its receipt (the same number and time). Retention keeps receipts
        # (ids and numbers only) after the event is gone, so a node that never heard its receipt
        # still gets it.
        if row[0] is not None and (row[1] == text or (row[1] is None and row[2] is not None
                                                      and row[2] == receipts.body_digest(text))):
            # (one this batch made gets its signature at the batch's end; one made before is
            # given whole: with its path, or as a tree of one)
            receipt = row[0] if ident in batch.sequenced else receipts.alone(self.operator, row[0])
            return {"id": ident, "status": "accepted", "seq": row[0]["seq"], "receipt": receipt}
        try:
            if row[0] is not None or row[1] is not None:
                raise Refusal("invalid", "another event with this id exists")
            pipeline.check_shape(event)
            if event["signature"]["by"] != pusher:
                raise Refusal("not_allowed", "a node pushes only its own user's events")
            if pusher == pipeline.OPERATOR:
                raise Refusal("not_allowed", "the operator's events are made by the hub itself")
            self._check_signature(conn, event, batch.key, verified)
            body, event = event, revealed  # (revealed: the top level is the body's)
            # a body the rules see as it is, whose canonical JSON opens fewer brackets than the
            # depth allowed, cannot nest deeper (brackets in its text only count more)
            bounded = event is body and text.count("{") + text.count("[") <= MAX_DEPTH
            audience = pipeline.check(batch.view, event, shaped=True, bounded=bounded)
        except Refusal as refusal:
            return {"id": ident, "status": "rejected", **refusal.wire()}
        assert ident is not None and event is not None  # the shape check saw an id; the body was opened
        at = at or clock.iso(clock.now())
        batch.writing = True  # from here on, a failure leaves rows to undo
        seq = self._insert(conn, body, audience, (disclosed, event), text=text, batch=batch, at=at)
        batch.accepted(body)
        receipt = self._receipt(batch, ident, seq, at)
        batch.sequenced[ident] = (receipt, text, None)
        batch.writing = False
        if own:
            self._store_receipts(conn, batch)
        return {"id": ident, "status": "accepted", "seq": seq, "receipt": receipt}

    def _check_signature(self, conn: Any, event: dict[str, Any], key: tuple[str, str | None] | None = None,
                         verified: bool | None = None) -> None:
        """``key``: the signer's (public key, revoked at) read in this transaction; ``verified``:
        the signature's check against that very key, made before the lock (None: check it here)."""
        row = key if key is not None else _key_row(conn, event["signature"]["by"])
        if row is None:
            raise Refusal("unknown_key", "the signer has no enrolled key")
        if row[1]:
            raise Refusal("revoked_key", "the signer's key is revoked")
        if not (verified if verified is not None else verify_event(row[0], event)):
            raise Refusal("bad_signature", "the signature does not verify")

    def stop(self) -> None:
        """Release every long poll now (the server is shutting down)."""
        self.stopping = True
        self._notify()

    def close(self) -> None:
        """Stop, and release the backend (its connections, threads and the store) and the
        process that checks signatures."""
        self.stop()
        self.checkers.close()  # (a batch using them meanwhile does the rest of its work here)
        if self.checkpoints is not None:
            self.checkpoints.close()
        self.backend.close()

    def start_checker(self) -> None:
        """Start the process that checks pushed signatures now, load the
        fast canonical JSON encoder, and checkpoint the store in a thread of its own (a server,
        before any request)."""
        use_fast()
        with self.lock:
            self.checkers.get()
        if self.backend.kind == "sqlcipher" and self.checkpoints is None and self.store.keeps_key:
            from imi_cli.hub.checkpoints import Checkpoints

            self.checkpoints = Checkpoints(self.store, self.lock)

    def use_nonce(self, nonce: str) -> None:
        """Record a signed request's nonce on its own (not in a push); AuthError if it was seen."""
        self.backend.use_nonce(None, nonce)

    @property
    def recheck_seconds(self) -> float:
        """A long poll looks again at least this often, woken or not (another process may have
        written without this one hearing of it)."""
        return self.backend.recheck_seconds

    def _notify(self) -> None:
        with self.arrived:
            self.arrivals += 1
            self.arrived.notify_all()
        for listener in list(self.listeners):  # called from any thread; each must be quick and thread-safe
            listener()

    # -- reading ---------------------------------------------------------
    def events_for(self, authority: str | None, after: int, limit: int) -> list[tuple[int, str]]:
        """The events ``authority`` may read after ``after``, each with the disclosures it may see."""
        return self.backend.pull(authority, after, limit)

    def wait_for(self, authority: str | None, after: int, limit: int, wait: float) -> list[tuple[int, str]]:
        """Long poll: return at once if there is something, else wait up to ``wait`` seconds,
        holding the calling thread (the HTTP app waits asynchronously instead: hub/app.py)."""
        self.remind_due()
        import time

        deadline = time.monotonic() + wait
        while True:
            seen = self.arrivals
            rows = self.events_for(authority, after, limit)
            left = deadline - time.monotonic()
            if rows or left <= 0 or self.stopping:
                return rows
            with self.arrived:
                if self.arrivals == seen:
                    self.arrived.wait(timeout=min(left, self.recheck_seconds))

    def remind_due(self) -> None:
        """Make what is due by the hub's clock (not the nodes'), so a pull brings it: request
        reminders, an alert's erasure, the Commission's notification reminder, the
        data-protection clock. The timer (``housekeeping``) does all of it every minute; a pull
        does only what can have fallen due since the last check (``due_check``): nothing if
        neither the log nor the clock's minute moved (one index probe)."""
        from imi_cli.hub import due_check

        due_check.run(self)

    def principal(self, user_id: str) -> tuple[str, str | None, str | None] | None:
        for attempt in (1, 2):
            # the authority the user belongs to now (a user can be moved), not the one it enrolled with
            rows = self.backend.read_query("SELECT p.public_key, coalesce(u.authority_id, p.authority_id), "
                                           "p.revoked_at FROM principals p LEFT JOIN users u ON u.id = p.user_id "
                                           "WHERE p.user_id = ?", (user_id,))
            if rows or attempt == 2 or self.backend.kind == "sqlcipher":
                break
            # unknown here: perhaps enrolled through another hub process a moment ago (caught up
            # now, by this call or by the listener meanwhile)
            self.backend.catch_up()
        return rows[0] if rows else None


# A batch's log rows waiting are written while its checker is behind: looked at each time this
# many more wait (a look may read the checker's pipe)
WRITE_WHILE_WAITING = 8


def _key_row(conn: Any, user_id: str) -> tuple[str, str | None] | None:
    """A user's enrolled public key and when it was revoked (None: in force)."""
    row = conn.execute("SELECT public_key, revoked_at FROM principals WHERE user_id = ?", (user_id,)).fetchone()
    return (row[0], row[1]) if row else None
