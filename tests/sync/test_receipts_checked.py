"""A node records an event as accepted only with the hub's receipt for it: signed by the
operator's key it pinned at enrolment and proving that very event's number
(log/receipts.py). A hub that answers otherwise (replaced, broken, or lying) is told apart,
and nothing of its answer is recorded: the events stay pending."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from imi_cli.demo.network import _sync
from imi_cli.errors import ExitCode, HubUnreachable, UsageError
from imi_cli.exchanges import messages
from imi_cli.log import receipts
from imi_cli.log.crypto import new_private_key, public_key_of
from imi_cli.sync.enrolment import client_for
from imi_cli.sync.session import _check_results


def _state(store, ident: str) -> tuple:
    return store.query("SELECT o.state, o.receipt, e.hub_seq FROM outbox o JOIN events e ON e.id = o.event_id "
                       "JOIN messages m ON e.entity = 'message/' || m.id WHERE m.id = ?", (ident,))[0]


def test_an_acceptance_is_recorded_only_with_a_receipt_the_pinned_operator_key_signed(pair):
    """One event (a tree of one, whole alone) and three (one tree: the node makes the paths)."""
    hu = pair.users["HU"]
    pinned = hu.meta("operator_key")
    for count in (1, 3):
        idents = [messages.send(hu, "IE-RIAI", f"Certificate {n}", "Is it valid?", "en") for n in range(count)]
        with hu.transaction():
            hu.set_meta("operator_key", public_key_of(new_private_key()))  # as if the hub had been replaced
        with pytest.raises(HubUnreachable) as refused:
            _sync(hu)
        assert "does not verify against the operator key this store enrolled with" in refused.value.message
        assert refused.value.exit_code == ExitCode.HUB_UNREACHABLE
        assert all(_state(hu, ident) == ("pending", None, None) for ident in idents)  # nothing recorded
        with hu.transaction():
            hu.set_meta("operator_key", pinned)
        assert _sync(hu).accepted == count  # pushed again: the hub holds them, and answers with their receipts
        for ident in idents:
            state, receipt, seq = _state(hu, ident)
            kept = json.loads(receipt)
            assert state == "accepted" and receipts.proves(pinned, kept, kept["event"], seq)


def test_a_push_answer_that_does_not_match_what_was_pushed_is_refused_whole(pair):
    hu = pair.users["HU"]
    for n in range(3):
        messages.send(hu, "IE-RIAI", f"Question {n}", "Text", "en")
    pushed = [json.loads(body) for (body,) in hu.query("SELECT e.body FROM outbox o JOIN events e "
                                                      "ON e.id = o.event_id WHERE o.state = 'pending'")]
    with client_for(hu) as client:
        results = client.push(pushed)
    client = SimpleNamespace(url=pair.url)
    ids = [event["id"] for event in pushed]
    assert all("path" not in r["receipt"]["tree"] for r in results)  # (a batch's: the node makes them)
    _check_results(hu, client, ids, json.loads(json.dumps(results)))  # the hub's own answer holds
    first = results[0]
    swapped = [{**first, "receipt": results[1]["receipt"]}, *results[1:]]
    renumbered = [{**first, "seq": first["seq"] + 1}, *results[1:]]
    stranger = [*results, {**first, "id": "not-pushed"}]
    unreasoned = [{"id": first["id"], "status": "rejected"}, *results[1:]]
    unsigned = [{**first, "receipt": {k: v for k, v in first["receipt"].items() if k != "sig"}}, *results[1:]]
    lone = "\ud800"  # (JSON carries a lone surrogate; nothing can keep it)
    surrogate_at = [{**first, "receipt": {**first["receipt"], "at": lone}}, *results[1:]]
    surrogate_leaf = [*results, {"id": lone, "status": "accepted", "seq": 1,
                                 "receipt": {"at": lone, "event": "x", "seq": 1, "sig": "s",
                                             "tree": {"index": 0, "size": 1}}}]
    unwritable = [{"id": first["id"], "status": "rejected", "reason": lone}, *results[1:]]
    worded_oddly = [{"id": first["id"], "status": "rejected", "reason": "invalid", "message": {"x": 1}},
                    *results[1:]]
    odd_params = [{"id": first["id"], "status": "rejected", "reason": "invalid", "msgid": "m", "message": "m",
                   "params": {"a": lone}}, *results[1:]]
    for answer in (swapped, renumbered, stranger, unreasoned, unsigned, surrogate_at, surrogate_leaf,
                   unwritable, worded_oddly, odd_params, [], results[1:], [*results, results[0]]):
        with pytest.raises(HubUnreachable) as refused:
            _check_results(hu, client, sorted(ids), json.loads(json.dumps(answer)))  # (as it came)
        assert refused.value.message.startswith(f"{pair.url} does not answer like an imi hub")


def test_a_node_keeps_of_a_receipt_only_what_proves(pair, monkeypatch):
    """Whatever else a hub adds to a receipt is not kept (a NaN, a lone surrogate)."""
    from imi_cli.sync import session

    hu = pair.users["HU"]
    ident = messages.send(hu, "IE-RIAI", "Certificate", "Is it valid?", "en")
    real = session._record_results

    def padded(store, results, report):
        for r in results:
            r["receipt"] = {**r["receipt"], "extra": float("nan"), "note": "\ud800"}
        return real(store, results, report)

    monkeypatch.setattr(session, "_record_results", padded)
    assert _sync(hu).accepted == 1
    state, receipt, _seq = _state(hu, ident)
    assert state == "accepted" and set(json.loads(receipt)) == {"at", "event", "seq", "sig", "tree"}


def test_a_store_without_the_operator_key_is_told_to_enrol(pair):
    hu = pair.users["HU"]
    messages.send(hu, "IE-RIAI", "Certificate", "Is it valid?", "en")
    with hu.transaction():
        hu.conn.execute("DELETE FROM meta WHERE key = 'operator_key'")
    with pytest.raises(UsageError) as refused:
        _sync(hu)
    assert "not enrolled" in refused.value.message
