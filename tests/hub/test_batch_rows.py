"""A pushed batch's log rows (hub/batch.py): an exchange's rows (events, event_audience,
entity_log, entity_versions) wait and are written together, at the batch's end, before an event
of another family is checked, while the checker is behind, or before the batch forgets what it
read after a broken event. Whatever happens in between, each accepted event ends with exactly
its rows, once, under consecutive numbers; retention later keeps its body's hash by its receipt."""

from __future__ import annotations

import json
from itertools import accumulate
from typing import Any

import pytest

from imi_cli.hub import state
from imi_cli.hub.batch import LogRows
from imi_cli.hub.retention import prune
from imi_cli.hub.state import Hub
from imi_cli.log import crypto_pool, receipts
from imi_cli.log.crypto_pool import Checks
from imi_cli.log.event import canonical
from imi_cli.privacy import access
from imi_cli.protocol import pipeline

from .sqlcipher_hub import hub  # noqa: F401 -- fixture: a served hub on SQLCipher
from .test_security import _message, pair  # noqa: F401 -- fixture: two enrolled users of two countries

MANY = crypto_pool.AT_LEAST + 32  # enough for the hub's checker process
SMALL = 2 * state.WRITE_WHILE_WAITING + 3  # checked in the hub's own process
Event = dict[str, Any]
Results = list[dict[str, Any]]
Shape = list[tuple[Any, ...]]


def _messages(store: Any, n: int, tag: str) -> list[Event]:
    return [_message(store, text=f"{tag} {i}.") for i in range(n)]


def _accessed(store: Any) -> Event:
    """A ``privacy.accessed`` event (not an exchange) of ``store``'s user, as its node pushes it."""
    access.record(store, "request.export")
    body = store.query("SELECT e.body FROM outbox o JOIN events e ON e.id = o.event_id "
                       "WHERE o.state = 'pending' ORDER BY e.seq DESC LIMIT 1")[0][0]
    return dict(json.loads(body))


def _passes(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """The ``careful`` flag of each pass ``Hub.accept`` makes (a second one: the batch was redone)."""
    passes: list[bool] = []
    real = Hub._sequence

    def spy(self: Hub, prepared: Any, nonce: str | None, *, careful: bool) -> Results:
        passes.append(careful)
        return real(self, prepared, nonce, careful=careful)

    monkeypatch.setattr(Hub, "_sequence", spy)
    return passes


def _writes(monkeypatch: pytest.MonkeyPatch, fail_first_batch: bool = False) -> list[int]:
    """How many events each ``LogRows.write`` with rows was given; ``fail_first_batch``: the
    first write of more than one event fails (raises) instead, once (recorded negative)."""
    writes: list[int] = []
    real = LogRows.write

    def write(self: LogRows, conn: Any) -> None:
        if fail_first_batch and len(self.events) > 1 and not any(n < 0 for n in writes):
            writes.append(-len(self.events))
            raise RuntimeError("disk I/O error")
        if self.events:
            writes.append(len(self.events))
        real(self, conn)

    monkeypatch.setattr(LogRows, "write", write)
    return writes


def _assert_rows(hub: Any, events: list[Event], results: Results) -> list[int]:
    """Each accepted event has exactly its rows, under consecutive numbers; its receipt is
    stored once, without a hash of its body. Returns the numbers."""
    q = hub.store.query
    accepted = [(e, r) for e, r in zip(events, results, strict=True) if r["status"] == "accepted"]
    seqs = [r["seq"] for _, r in accepted]
    assert seqs and seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    between = (seqs[0], seqs[-1])
    for event, result in accepted:
        seq, entity = result["seq"], event["subject"]["entity"]
        assert q("SELECT seq, type, body, status, hub_seq, entity FROM events WHERE id = ?", (event["id"],)) == \
            [(seq, event["type"], canonical(event), "accepted", seq, entity)]
        audience = [a for (a,) in q("SELECT authority FROM event_audience WHERE seq = ? ORDER BY authority", (seq,))]
        if not any(":" in term for term in event["audience"]):  # (groups are expanded: compared elsewhere)
            assert audience == sorted(set(event["audience"]))
        assert audience
        assert q("SELECT entity, author FROM entity_log WHERE seq = ?", (seq,)) == [(entity, event["signature"]["by"])]
        assert q("SELECT version FROM entity_versions WHERE entity = ?", (entity,)) == [(seq,)]
        ((receipt, digest),) = q("SELECT receipt, body_sha256 FROM receipts WHERE event_id = ?", (event["id"],))
        assert (json.loads(receipt)["seq"], json.loads(receipt)["event"], digest) == (seq, event["id"], None)
    # and nothing else in the batch's numbers
    assert q("SELECT count(*) FROM events WHERE seq BETWEEN ? AND ?", between) == [(len(seqs),)]
    assert q("SELECT count(*) FROM entity_log WHERE seq BETWEEN ? AND ?", between) == [(len(seqs),)]
    assert q("SELECT count(*) FROM event_audience WHERE seq BETWEEN ? AND ? AND seq NOT IN "
             "(SELECT seq FROM events)", between) == [(0,)]
    return seqs


def _shape(hub: Any, results: Results) -> Shape:
    """A batch's outcome without its ids: each result and what its event left in the log
    tables, its number counted from the batch's first."""
    first = min((r["seq"] for r in results if r["status"] == "accepted"), default=0)
    q, out = hub.store.query, []
    for r in results:
        if r["status"] != "accepted":
            out.append((r["status"], r["reason"]))
            continue
        seq = r["seq"]
        out.append(("accepted", seq - first, q("SELECT type FROM events WHERE seq = ?", (seq,)),
                    q("SELECT authority FROM event_audience WHERE seq = ? ORDER BY authority", (seq,)),
                    q("SELECT author FROM entity_log WHERE seq = ?", (seq,)),
                    q("SELECT v.version - ? FROM entity_versions v JOIN events e ON e.entity = v.entity "
                      "WHERE e.seq = ?", (seq, seq)),
                    q("SELECT body_sha256 FROM receipts WHERE event_id = ?", (r["id"],))))
    return out


@pytest.mark.parametrize("size", [SMALL, MANY])
def test_each_event_of_a_batch_gets_exactly_its_rows(hub, pair, monkeypatch, size):  # noqa: F811
    _, ie_user = pair
    writes, passes = _writes(monkeypatch), _passes(monkeypatch)
    events = _messages(ie_user, size, "Rows")
    results = hub.accept(events, "ie.murphy")
    assert [r["status"] for r in results] == ["accepted"] * size
    seqs = _assert_rows(hub, events, results)
    assert seqs[-1] == hub.store.query("SELECT max(seq) FROM events")[0][0]
    assert passes == [False] and sum(writes) == size
    # the checker process took the large batch's signatures (where one can run), not the small one's
    assert (hub.checkers.process is not None) == (size == MANY and crypto_pool.usable())


def test_an_event_of_another_family_is_checked_after_the_rows_waiting_are_written(hub, pair, monkeypatch):  # noqa: F811
    """No pushable event's checks read the log tables of the pusher's own exchanges today (the
    stale check reads others' changes): the rows waiting are looked at from within the checks of
    the ``privacy.accessed`` event; and the batch ends as pushing its events one by one does."""
    _, ie_user = pair
    n = 4 * state.WRITE_WHILE_WAITING + 5  # (not a multiple: some rows wait whether the checker is behind or not)
    before, after = _messages(ie_user, n, "Before"), _messages(ie_user, 30, "After")
    batch = [*before, _accessed(ie_user), *after]  # (68: the checker is used)
    assert len(batch) >= crypto_pool.AT_LEAST
    seen: list[tuple[int, int, int, int]] = []
    real_check = pipeline.check

    def check(view: Any, event: Event, **kw: Any) -> list[str]:
        if event["type"] == access.ACCESSED:
            ids, entities = [e["id"] for e in before], [e["subject"]["entity"] for e in before]
            marks = ",".join("?" * len(ids))
            seen.append(tuple(view.conn.execute(sql.format(marks), args).fetchone()[0] for sql, args in (
                ("SELECT count(*) FROM events WHERE id IN ({})", ids),
                ("SELECT count(*) FROM event_audience a JOIN events e ON e.seq = a.seq WHERE e.id IN ({})", ids),
                ("SELECT count(*) FROM entity_log WHERE entity IN ({})", entities),
                ("SELECT count(*) FROM entity_versions WHERE entity IN ({})", entities))))
        return list(real_check(view, event, **kw))

    monkeypatch.setattr(pipeline, "check", check)
    together = hub.accept(batch, "ie.murphy")
    assert seen == [(n, 2 * n, n, n)]  # every earlier exchange's rows, as its checks began
    _assert_rows(hub, batch, together)
    one_by_one = [hub.accept([event], "ie.murphy")[0]
                  for event in [*_messages(ie_user, n, "B"), _accessed(ie_user), *_messages(ie_user, 30, "A")]]
    assert _shape(hub, together) == _shape(hub, one_by_one)
    assert _shape(hub, together)[n][3] == [("IE-NCO",), ("IE-RIAI",)]  # coordinators:IE-RIAI, expanded


def test_a_batch_whose_rows_fail_to_be_written_is_done_again_with_the_same_outcome(hub, pair, monkeypatch):  # noqa: F811
    _, ie_user = pair
    passes = _passes(monkeypatch)
    normal = hub.accept(_messages(ie_user, SMALL, "Normal"), "ie.murphy")
    assert passes == [False]
    writes = _writes(monkeypatch, fail_first_batch=True)
    events = _messages(ie_user, SMALL, "Redone")
    results = hub.accept(events, "ie.murphy")
    # the batch's one write of its rows failed; the batch was rolled back and done again, carefully
    # (each event written at once: one row each)
    assert passes == [False, False, True]
    assert writes == [-SMALL, *[1] * SMALL]
    assert _shape(hub, results) == _shape(hub, normal)
    seqs = _assert_rows(hub, events, results)  # (each event's rows once: nothing of the first pass stayed)
    assert seqs[0] == normal[-1]["seq"] + 1  # no number was used up by the pass that failed
    assert all(receipts.proves(hub.operator_public_key, r, r["event"], r["seq"])
               for r in _completed(results))


def _completed(results: Results) -> list[dict[str, Any]]:
    """The receipts as a node keeps them: with the paths their tree makes."""
    made = [json.loads(json.dumps(r["receipt"])) for r in results if r["status"] == "accepted"]
    receipts.fill_paths(made)
    return made


@pytest.mark.parametrize("size", [SMALL, MANY])
def test_an_event_whose_checks_break_is_refused_and_the_rest_are_numbered_on(hub, pair, monkeypatch, size):  # noqa: F811
    _, ie_user = pair
    passes, writes = _passes(monkeypatch), _writes(monkeypatch)
    events = _messages(ie_user, size, "Broken")
    broken = size // 2 + 1  # rows are waiting when it breaks
    real_check = pipeline.check

    def check(view: Any, event: Event, **kw: Any) -> list[str]:
        if event["id"] == events[broken]["id"]:
            raise KeyError("a rule that breaks")
        return list(real_check(view, event, **kw))

    monkeypatch.setattr(pipeline, "check", check)
    results = hub.accept(events, "ie.murphy")
    assert results[broken] == {"id": events[broken]["id"], "status": "rejected", "reason": "invalid",
                               "message": "the event could not be processed (KeyError)"}
    assert [r["status"] for i, r in enumerate(results) if i != broken] == ["accepted"] * (size - 1)
    assert passes == [False]  # numbered on after the rows waiting: no number given twice, nothing redone
    assert broken in accumulate(writes) and sum(writes) == size - 1  # those before it, written at once
    _assert_rows(hub, events, results)
    assert hub.store.query("SELECT count(*) FROM receipts WHERE event_id = ?", (events[broken]["id"],)) == [(0,)]
    assert hub.store.query("SELECT count(*) FROM events WHERE id = ?", (events[broken]["id"],)) == [(0,)]


def test_a_record_made_twice_after_a_broken_event_is_still_refused(hub, pair, monkeypatch):  # noqa: F811
    from imi_cli.log.crypto import Signer
    from imi_cli.log.event import uuid7

    _, ie_user = pair
    signer = Signer("ie.murphy", ie_user.meta("private_key"))

    def again(event: Event) -> Event:  # another event making the record ``event`` made
        body = {k: v for k, v in event.items() if k != "signature"}
        return dict(signer.sign_event({**body, "id": uuid7(), "payload": {**body["payload"], "text": "Twice."}}))

    events = _messages(ie_user, 6, "Once")
    assert hub.accept([*events, again(events[4])], "ie.murphy")[-1]["reason"] == "illegal_transition"
    events = _messages(ie_user, 6, "Twice")
    real_check = pipeline.check

    def check(view: Any, event: Event, **kw: Any) -> list[str]:
        if event["id"] == events[2]["id"]:
            raise KeyError("a rule that breaks")
        return list(real_check(view, event, **kw))

    monkeypatch.setattr(pipeline, "check", check)
    results = hub.accept([*events, again(events[4])], "ie.murphy")
    assert results[2]["reason"] == "invalid"
    assert (results[-1]["status"], results[-1].get("reason")) == ("rejected", "illegal_transition")


def test_the_rows_waiting_are_written_while_the_checker_is_behind(hub, pair, monkeypatch):  # noqa: F811
    _, ie_user = pair
    passes = _passes(monkeypatch)
    normal = hub.accept(_messages(ie_user, MANY, "Normal"), "ie.murphy")
    writes = _writes(monkeypatch)
    real_ready = Checks.ready
    asked: list[int] = []

    def ready(self: Checks, index: int) -> bool:
        asked.append(index)
        return False if self.many else real_ready(self, index)

    monkeypatch.setattr(Checks, "ready", ready)
    events = _messages(ie_user, MANY, "Behind")
    results = hub.accept(events, "ie.murphy")
    assert asked and len(writes) > 1  # written meanwhile, every time that many more waited
    assert writes == [state.WRITE_WHILE_WAITING] * (MANY // state.WRITE_WHILE_WAITING) + \
        ([MANY % state.WRITE_WHILE_WAITING] if MANY % state.WRITE_WHILE_WAITING else [])
    assert passes == [False, False]
    assert _shape(hub, results) == _shape(hub, normal)
    _assert_rows(hub, events, results)


def test_retention_keeps_the_hash_of_each_removed_body_beside_its_receipt(hub, pair):  # noqa: F811
    _, ie_user = pair
    events = _messages(ie_user, 3, "Old")
    results = hub.accept(events, "ie.murphy")
    seqs = _assert_rows(hub, events, results)
    bodies = dict(hub.store.query("SELECT id, body FROM events WHERE seq BETWEEN ? AND ?", (seqs[0], seqs[-1])))
    kept = "k" * 64  # a hash its receipt had already
    with hub.lock, hub.store.transaction() as conn:
        conn.execute("UPDATE receipts SET body_sha256 = ? WHERE event_id = ?", (kept, events[2]["id"]))
        # received a year ago, and so everything the hub numbered before them
        conn.execute("UPDATE events SET received_at = '2025-01-01T00:00:00.000Z' WHERE seq <= ?", (seqs[-1],))
    assert prune(hub, 30) == 3
    assert hub.store.query("SELECT count(*) FROM events WHERE seq BETWEEN ? AND ?", (seqs[0], seqs[-1])) == [(0,)]
    digests = dict(hub.store.query("SELECT event_id, body_sha256 FROM receipts WHERE event_id IN (?, ?, ?)",
                                   tuple(e["id"] for e in events)))
    assert digests == {events[0]["id"]: receipts.body_digest(bodies[events[0]["id"]]),
                       events[1]["id"]: receipts.body_digest(bodies[events[1]["id"]]),
                       events[2]["id"]: kept}
    # the very same event pushed again: its receipt, found by the hash
    again = hub.accept([events[0]], "ie.murphy")[0]
    assert (again["status"], again["seq"], again["receipt"]["at"]) == ("accepted", seqs[0], results[0]["receipt"]["at"])
