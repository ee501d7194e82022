"""A node records an event as accepted only with the hub's receipt for it: signed by the
operator's key it pinned at enrolment and proving that very event's number
(log/receipts.py). A hub that answers otherwise (replaced, broken, or lying) is told apart,
and nothing of its answer is recorded: the events stay pending."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from imi_cli.demo.network import _sync
from imi_cli.errors import ExitCode, HubUnreachable
from imi_cli.exchanges import messages
from imi_cli.log import receipts
from imi_cli.log.crypto import new_private_key, public_key_of
from imi_cli.sync.enrolment import client_for
from imi_cli.sync.session import _check_results


def _state(store, ident: str) -> tuple:
    return store.query("SELECT o.state, o.receipt, e.hub_seq FROM outbox o JOIN events e ON e.id = o.event_id "
                       "JOIN messages m ON e.entity = 'message/' || m.id WHERE m.id = ?", (ident,))[0]


def test_an_acceptance_is_recorded_only_with_a_receipt_the_pinned_operator_key_signed(pair):
    hu = pair.users["HU"]
    ident = messages.send(hu, "IE-RIAI", "Certificate", "Is it valid?", "en")
    pinned = hu.meta("operator_key")
    with hu.transaction():
        hu.set_meta("operator_key", public_key_of(new_private_key()))  # as if the hub had been replaced
    with pytest.raises(HubUnreachable) as refused:
        _sync(hu)
    assert "does not verify against the operator key this store enrolled with" in refused.value.message
    assert refused.value.exit_code == ExitCode.HUB_UNREACHABLE
    assert _state(hu, ident) == ("pending", None, None)  # nothing recorded
    with hu.transaction():
        hu.set_meta("operator_key", pinned)
    assert _sync(hu).accepted == 1  # pushed again: the hub holds it, and answers with its receipt
    state, receipt, seq = _state(hu, ident)
    assert state == "accepted" and receipts.proves(pinned, json.loads(receipt), json.loads(receipt)["event"], seq)


def test_a_push_answer_that_does_not_match_what_was_pushed_is_refused_whole(pair):
    hu = pair.users["HU"]
    for n in range(3):
        messages.send(hu, "IE-RIAI", f"Question {n}", "Text", "en")
    pushed = [json.loads(body) for (body,) in hu.query("SELECT e.body FROM outbox o JOIN events e "
                                                      "ON e.id = o.event_id WHERE o.state = 'pending'")]
    with client_for(hu) as client:
        results = client.push(pushed)
    client = SimpleNamespace(url=pair.url)
    ids = {event["id"] for event in pushed}
    _check_results(hu, client, ids, results)  # the hub's own answer holds
    swapped = [{**results[0], "receipt": results[1]["receipt"]}, *results[1:]]
    renumbered = [{**results[0], "seq": results[0]["seq"] + 1}, *results[1:]]
    stranger = [*results, {**results[0], "id": "not-pushed"}]
    unreasoned = [{"id": results[0]["id"], "status": "rejected"}, *results[1:]]
    unsigned = [{**results[0], "receipt": {k: v for k, v in results[0]["receipt"].items() if k != "sig"}}]
    for answer in (swapped, renumbered, stranger, unreasoned, unsigned):
        with pytest.raises(HubUnreachable) as refused:
            _check_results(hu, client, ids, answer)
        assert refused.value.message.startswith(f"{pair.url} does not answer like an imi hub")
