"""`imi store verify` proves the hub's receipts a node keeps for its own events, under the
operator key it pinned at enrolment, and names each one that does not prove its event."""

from __future__ import annotations

import json
import uuid

from imi_cli.errors import ExitCode


def ok(result):
    assert result.code == 0, result.err
    return result


def test_store_verify_proves_the_hubs_receipts_and_names_one_that_does_not(network, cli):
    name = "mt.handler"
    subjects = [f"Receipts {n} {uuid.uuid4()}" for n in range(3)]
    for subject in subjects:
        ok(cli(name, "message", "send", "--to", "HU-AUTH", "--subject", subject, "Is it genuine?"))
    ok(cli(name, "sync"))
    report = json.loads(ok(cli(name, "store", "verify", "--json")).out)
    assert report["receipts"] >= 3 and report["problems"] == []
    said = ok(cli(name, "store", "verify")).err
    assert f"receipts of the hub checked: {report['receipts']}" in said

    store = network.stores[name]
    event_id, text = store.query("SELECT o.event_id, o.receipt FROM outbox o JOIN events e ON e.id = o.event_id "
                                 "WHERE o.receipt IS NOT NULL ORDER BY e.hub_seq DESC LIMIT 1")[0]
    forged = {**json.loads(text), "seq": json.loads(text)["seq"] + 1}  # a number the hub did not sign
    try:
        with store.transaction() as conn:
            conn.execute("UPDATE outbox SET receipt = ? WHERE event_id = ?", (json.dumps(forged), event_id))
        refused = cli(name, "store", "verify", "--json")
        assert refused.code == ExitCode.ERROR
        assert {"event": event_id, "problem": "bad_receipt"} in json.loads(refused.out)["problems"]
        assert f"problem: event {event_id}: bad_receipt" in cli(name, "store", "verify").err
        # a receipt nested deeper than the parser goes: named like any other, no traceback (cli)
        with store.transaction() as conn:
            conn.execute("UPDATE outbox SET receipt = ? WHERE event_id = ?", ("[" * 200_000 + "]" * 200_000, event_id))
        deep = cli(name, "store", "verify", "--json")
        assert deep.code == ExitCode.ERROR
        assert {"event": event_id, "problem": "bad_receipt"} in json.loads(deep.out)["problems"]
    finally:
        with store.transaction() as conn:
            conn.execute("UPDATE outbox SET receipt = ? WHERE event_id = ?", (text, event_id))
    assert json.loads(ok(cli(name, "store", "verify", "--json")).out)["problems"] == []
