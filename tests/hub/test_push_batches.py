"""A pushed batch as the hub takes it: signatures checked by the hub's checker process while
the batch applies, receipts signed once a batch (a Merkle tree's head) and stored together at
its end. What each event gets must not change: its own result, in order, every receipt the
operator's and stored once."""

from __future__ import annotations

import json
import time

import pytest

from imi_cli.log import crypto_pool, receipts
from imi_cli.log.crypto import Signer, new_private_key, public_key_of
from imi_cli.log.event import canonical

from .test_security import _message, pair  # noqa: F401  (two enrolled users of two countries)

MANY = crypto_pool.AT_LEAST + 32  # enough for the hub's checker process


def _receipt_holds(hub, receipt: dict) -> bool:
    return receipts.proves(hub.operator_public_key, receipt, receipt["event"], receipt["seq"])


def _completed(results: list[dict]) -> list[dict]:
    """The receipts of a push's answer as a node keeps them: with the paths their tree makes
    (copies: the hub's own are left as they are)."""
    made = [json.loads(json.dumps(r["receipt"])) for r in results if r["status"] == "accepted"]
    receipts.fill_paths(made)
    return made


def _stored(hub, event_id: str) -> list[dict]:
    return [json.loads(r) for (r,) in hub.store.query("SELECT receipt FROM receipts WHERE event_id = ?",
                                                      (event_id,))]


def test_a_large_batch_gets_one_result_per_event_in_order_with_the_operators_receipts(hub, pair):  # noqa: F811
    _, ie_user = pair
    events = [_message(ie_user, text=f"Question {i}.") for i in range(MANY)]
    forged = Signer("ie.murphy", new_private_key()).sign_event(
        {k: v for k, v in events[40].items() if k != "signature"})
    batch = [*events[:40], forged, *events[41:], events[3]]  # the same event twice in one batch
    results = hub.accept(batch, "ie.murphy")
    assert len(results) == len(batch)
    assert [r["id"] for r in results] == [e["id"] for e in batch]
    assert results[40]["status"] == "rejected" and results[40]["reason"] == "bad_signature"
    accepted = [r for i, r in enumerate(results[:-1]) if i != 40]
    assert all(r["status"] == "accepted" for r in accepted)
    seqs = [r["seq"] for r in accepted]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # no gap where the forged one was refused
    assert all(_receipt_holds(hub, r) for r in _completed(results))
    # the same event again in the batch: the receipt it was given a moment before, stored once
    assert results[-1]["status"] == "accepted" and results[-1]["receipt"] == results[3]["receipt"]
    assert _stored(hub, events[3]["id"]) == [results[3]["receipt"]]
    assert all(_stored(hub, r["id"]) == [r["receipt"]] for r in accepted)
    assert _stored(hub, forged["id"]) == []  # (the forged event has the id of the one it copies)
    # pushed again (a lost answer): receipts of the same numbers and time, each whole alone,
    # and the very same every time
    again = hub.accept(events[:5], "ie.murphy")
    assert all(_receipt_holds(hub, r["receipt"]) for r in again)
    assert [(r["seq"], r["receipt"]["at"]) for r in again] == [(r["seq"], r["receipt"]["at"]) for r in results[:5]]
    assert hub.accept(events[:5], "ie.murphy") == again


def test_an_event_that_fails_while_it_is_written_leaves_no_receipt_and_the_batch_goes_on(hub, pair, monkeypatch):  # noqa: F811
    from imi_cli.hub import state

    _, ie_user = pair
    events = [_message(ie_user, text=f"Note {i}.") for i in range(MANY)]
    broken = events[10]["id"]
    real_apply = state.apply

    def apply(conn, event):
        if event["id"] == broken:  # the projection fails after the event's rows were written
            raise RuntimeError("projection failed")
        return real_apply(conn, event)

    monkeypatch.setattr(state, "apply", apply)
    results = hub.accept(events, "ie.murphy")
    assert results[10]["status"] == "rejected" and results[10]["reason"] == "invalid"
    assert hub.store.query("SELECT count(*) FROM events WHERE id = ?", (broken,))[0][0] == 0
    assert _stored(hub, broken) == []
    others = [r for i, r in enumerate(results) if i != 10]
    assert all(r["status"] == "accepted" and _stored(hub, r["id"]) == [r["receipt"]] for r in others)
    seqs = [r["seq"] for r in others]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    assert all(_receipt_holds(hub, r) for r in _completed(results))


def _jobs_and_expected():
    from imi_cli.log.crypto import public_key_of

    key = new_private_key()
    signer = Signer("u", key)
    texts = [f"text {i}".encode() for i in range(MANY)]
    signatures = [signer.sign_bytes(t) for t in texts]
    jobs = [None if i % 7 == 0 else (public_key_of(key), signatures[i], texts[i] + (b"!" if i % 5 == 0 else b""))
            for i in range(MANY)]
    return jobs, [None if job is None else (i % 5 != 0) for i, job in enumerate(jobs)]


def test_checks_by_the_checker_or_here_give_what_libsodium_gives():
    jobs, expected = _jobs_and_expected()
    assert [crypto_pool.Checks(jobs).result(i) for i in range(MANY)] == expected  # here
    checker = crypto_pool.new_checker()
    try:
        checks = crypto_pool.Checks(jobs)
        checks.start(checker)
        assert [checks.result(i) for i in range(MANY)] == expected
        assert [checks.result(i) for i in reversed(range(MANY))] == expected[::-1]  # kept: a batch done again
    finally:
        if checker is not None:
            checker.close()


def test_checks_added_after_the_start_go_to_the_checker_as_they_come():
    """A pushed batch is prepared a chunk at a time under the lock (``batch.Prepared``): each
    chunk's checks go to the checker at once, so that it starts before the batch is prepared."""
    jobs, expected = _jobs_and_expected()
    checker = crypto_pool.new_checker()
    assert checker is not None
    try:
        checks = crypto_pool.Checks([], many=True)
        checks.start(checker)
        half = MANY // 2
        checks.add(jobs[:half])
        handed = sum(job is not None for job in jobs[:half])
        assert checker._first + len(checker._asked) == handed  # handed over already, none read yet
        assert checks.result(0) == expected[0]  # read while the rest is still to come
        checks.add(jobs[half:])
        assert checker._first + len(checker._asked) == sum(job is not None for job in jobs)
        assert [checks.result(i) for i in range(MANY)] == expected
    finally:
        checker.close()


def test_a_hub_whose_checker_died_checks_every_signature_itself(hub, pair):  # noqa: F811
    _, ie_user = pair
    size = crypto_pool.AT_LEAST + 6
    events = [_message(ie_user, text=f"Item {i}.") for i in range(2 * size)]
    first = hub.accept(events[:size], "ie.murphy")
    assert all(r["status"] == "accepted" for r in first)
    checker = hub.checkers.process
    assert (checker is not None) == crypto_pool.usable()  # a large batch started it
    if checker is not None:
        checker._process.kill()
        checker._process.wait()
    forged = Signer("ie.murphy", new_private_key()).sign_event(
        {k: v for k, v in events[size + 10].items() if k != "signature"})
    rest = [*events[size:size + 10], forged, *events[size + 11:]]
    results = hub.accept(rest, "ie.murphy")
    assert [r["status"] for r in results].count("rejected") == 1
    assert results[10]["reason"] == "bad_signature"
    assert checker is None or not checker.alive  # found dead: its answers were not used
    assert hub.checkers.get() is None  # and not started again: this hub checks here from now on


@pytest.mark.parametrize("event_id", ["01a2-b", 'a "quoted" \\ id', "ünïcode ✓", "line\nbreak\u2028"])
def test_receipts_are_signed_and_stored_as_canonical_json(event_id):
    signer = Signer("operator", new_private_key())
    batch = [{"event": f"{event_id}{i}", "seq": 12345 + i, "at": "2026-12-01T10:00:00.000Z"} for i in range(5)]
    leaves = [receipts.leaf_text(receipt) for receipt in batch]
    assert leaves == [canonical(receipt) for receipt in batch]
    texts = receipts.sign(signer, list(zip(batch, leaves, strict=True)))
    assert texts == [canonical(receipt) for receipt in batch]
    assert [receipt["tree"] for receipt in batch] == [{"index": i, "size": 5} for i in range(5)]  # paths: the node's
    (one,) = [{"event": event_id, "seq": 1, "at": "2026-12-01T10:00:00.000Z"}]
    assert receipts.sign(signer, [(one, receipts.leaf_text(one))]) == [canonical(one)]
    assert one["tree"] == {"index": 0, "path": [], "size": 1}  # a tree of one is whole as it is


def test_a_batch_s_receipts_share_one_signature_and_each_proves_its_own_event(hub, pair, monkeypatch):  # noqa: F811
    """One signature a batch (the head of its receipts' Merkle tree), and yet each receipt,
    as returned and as stored, proves its event's number alone, and nothing else."""
    _, ie_user = pair
    events = [_message(ie_user, text=f"Entry {i}.") for i in range(MANY + 1)]
    signed: list[bytes] = []
    real_sign = hub.operator.sign_raw
    monkeypatch.setattr(hub.operator, "sign_raw", lambda data: signed.append(data) or real_sign(data))
    results = hub.accept(events[:MANY], "ie.murphy")
    assert len(signed) == 1 and len({r["receipt"]["sig"] for r in results}) == 1
    assert all(_stored(hub, r["id"]) == [r["receipt"]] for r in results)
    assert not any(_receipt_holds(hub, r["receipt"]) for r in results)  # no path: not alone
    kept = _completed(results)
    assert all(r["status"] == "accepted" for r in results) and all(_receipt_holds(hub, r) for r in kept)
    first, other = kept[0], kept[7]
    key = hub.operator_public_key
    assert not receipts.proves(key, first, first["event"], first["seq"] + 1)  # another number
    assert not receipts.proves(key, first, other["event"], first["seq"])  # another event
    assert not receipts.proves(key, {**first, "tree": other["tree"]}, first["event"], first["seq"])  # another place
    path = list(first["tree"]["path"])
    path[2] = path[3]
    assert not receipts.proves(key, {**first, "tree": {**first["tree"], "path": path}}, first["event"], first["seq"])
    assert not receipts.proves(key, {**first, "at": "2000-01-01T00:00:00.000Z"}, first["event"], first["seq"])
    bigger = {**first["tree"], "size": first["tree"]["size"] + 1}  # (its path gives the same root)
    assert not receipts.proves(key, {**first, "tree": bigger}, first["event"], first["seq"])
    assert not receipts.proves(public_key_of(new_private_key()), first, first["event"], first["seq"])
    # paths are made only of a whole tree: not with one missing or two events at one index;
    # and a tree made whole with another event in a place proves none of its receipts
    def cut(answer: list[dict]) -> list[dict]:
        made = [{**r, "tree": {k: v for k, v in r["tree"].items() if k != "path"}} for r in answer]
        receipts.fill_paths(made)
        return made

    two_at_five = {**kept[1], "tree": {"index": 5, "size": MANY}}
    for broken in (kept[:-1], [*kept, two_at_five]):
        assert not any("path" in r["tree"] for r in cut(broken))
    moved = cut([*kept[:-1], {**kept[0], "tree": {"index": MANY - 1, "size": MANY}}])
    assert all("path" in r["tree"] for r in moved) and not any(_receipt_holds(hub, r) for r in moved)
    # one event on its own: a tree of one, its path empty
    alone = hub.accept(events[MANY:], "ie.murphy")[0]["receipt"]
    assert alone["tree"] == {"index": 0, "path": [], "size": 1} and _receipt_holds(hub, alone)
    assert len(signed) == 2
    # pushed again later, an event of the batch gets its receipt whole: a tree of one, signed then
    again = hub.accept([events[3]], "ie.murphy")[0]["receipt"]
    assert again["tree"] == {"index": 0, "path": [], "size": 1} and _receipt_holds(hub, again)
    assert (again["seq"], again["at"]) == (kept[3]["seq"], kept[3]["at"]) and len(signed) == 3
    assert hub.accept([events[3]], "ie.murphy")[0]["receipt"] == again  # and the same every time


def test_a_receipt_made_one_at_a_time_still_proves_its_event():
    """Hubs signed each receipt alone before: those stored are given again for their events."""
    private = new_private_key()
    signer, public = Signer("operator", private), public_key_of(private)
    old = {"at": "2026-11-01T10:00:00.000Z", "event": "e-1", "seq": 7}
    old["sig"] = signer.sign_bytes(canonical(old).encode())
    assert receipts.proves(public, old, "e-1", 7)
    assert not receipts.proves(public, old, "e-1", 8)
    assert not receipts.proves(public, {**old, "seq": True}, "e-1", True)


def test_an_entity_made_earlier_in_the_batch_exists_for_the_events_after_it(hub, pair):  # noqa: F811
    """The batch reads its entities' versions at once and keeps them as it writes: a second
    event making the same record in the same batch is refused as the record exists, and in
    the next batch too."""
    from imi_cli.log.event import uuid7

    _, ie_user = pair
    events = [_message(ie_user, text=f"Line {i}.") for i in range(MANY)]
    signer = Signer("ie.murphy", ie_user.meta("private_key"))

    def again(event: dict) -> dict:  # another event making the record the first one made
        body = {k: v for k, v in event.items() if k != "signature"}
        return signer.sign_event({**body, "id": uuid7(), "payload": {**body["payload"], "text": "Twice."}})

    twice = again(events[5])
    results = hub.accept([*events, twice], "ie.murphy")
    assert all(r["status"] == "accepted" for r in results[:-1])
    assert (results[-1]["status"], results[-1]["reason"]) == ("rejected", "illegal_transition"), results[-1]
    later = hub.accept([again(events[7]), *[_message(ie_user, text=f"More {i}.") for i in range(MANY)]],
                       "ie.murphy")
    assert (later[0]["status"], later[0]["reason"]) == ("rejected", "illegal_transition")
    assert all(r["status"] == "accepted" for r in later[1:])


@pytest.mark.parametrize("hub", ["sqlcipher"], indirect=True)  # (a PostgreSQL hub's replica: not this way)
def test_a_serving_hub_checkpoints_after_a_large_push(hub, pair):  # noqa: F811
    """The store's log is copied back beside the next push (hub/checkpoints.py), told by the
    large push that filled it; not only every five seconds."""
    _, ie_user = pair
    hub.start_checker()
    checkpoints = hub.checkpoints
    try:
        done = checkpoints.done
        hub.accept([_message(ie_user, text=f"Small {i}.") for i in range(3)], "ie.murphy")
        time.sleep(0.3)
        assert checkpoints.done == done  # a small push waits for the interval
        hub.accept([_message(ie_user, text=f"Item {i}.") for i in range(MANY)], "ie.murphy")
        deadline = time.monotonic() + 10
        while checkpoints.done == done and time.monotonic() < deadline:
            time.sleep(0.02)
        assert checkpoints.done == done + 1
    finally:
        checkpoints.close()
        hub.checkpoints = None


def test_the_garbage_collector_is_on_again_after_a_batch_even_a_refused_one(hub, pair):  # noqa: F811
    """A batch runs with the collector off (many short-lived objects): never left off."""
    import gc

    from imi_cli.protocol.signing import AuthError

    _, ie_user = pair
    assert gc.isenabled()
    hub.accept([_message(ie_user, text="One.")], "ie.murphy", nonce="n" * 22)
    assert gc.isenabled()
    with pytest.raises(AuthError):
        hub.accept([_message(ie_user, text="Two.")], "ie.murphy", nonce="n" * 22)  # the nonce again
    assert gc.isenabled()


def test_a_pushed_event_with_a_float_is_encoded_as_its_author_signed_it(hub, pair):  # noqa: F811
    """Parsed JSON without a float is encoded by orjson unwalked; one float in a pushed body
    sends its events to the standard encoder (orjson writes 1e-7 where canonical JSON writes
    1e-07): its signature is checked over the very text its author signed."""
    from imi_cli.log.canonical import use_fast
    from imi_cli.sync.enrolment import client_for

    assert use_fast()
    _, ie_user = pair
    events = [_message(ie_user, text=f"Item {i}.") for i in range(MANY)]
    signer = Signer("ie.murphy", ie_user.meta("private_key"))
    unsigned = {k: v for k, v in events[5].items() if k != "signature"}
    events[5] = signer.sign_event({**unsigned, "payload": {**unsigned["payload"], "weight": 1e-7}})
    assert '"weight":1e-07' in canonical(events[5])
    with client_for(ie_user) as client:
        results = client.push(events)
    assert results[5]["status"] == "rejected" and results[5]["reason"] != "bad_signature", results[5]
    assert all(r["status"] == "accepted" for i, r in enumerate(results) if i != 5)
