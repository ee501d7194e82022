"""Hub retention: old exchanges leave the hub; a node whose cursor predates that re-seeds."""

from __future__ import annotations

import json

import pytest

from imi_cli.demo.network import _sync
from imi_cli.exchanges.messages import inbox, send
from imi_cli.hub.retention import prune, retained_from


def test_a_node_behind_retention_reseeds_and_keeps_what_it_has(pair, tmp_path, monkeypatch):
    hub, users = pair.hub, pair.users
    send(users["IE"], "HU-MEK", "old", "sent in January", "en")
    _sync(users["IE"])
    _sync(users["HU"])
    monkeypatch.setenv("IMI_NOW", "2026-03-01T09:00:00+00:00")
    send(users["IE"], "HU-MEK", "new", "sent in March", "en")
    _sync(users["IE"])
    assert prune(hub, 30) >= 1 and retained_from(hub) > 0
    with users["HU"].transaction():
        users["HU"].set_meta("cursor", "1")  # a node that was offline since the start
    report = _sync(users["HU"])
    assert report.reseeded
    subjects = sorted(m["subject"] for m in inbox(users["HU"]))
    assert subjects == ["new", "old"]  # the old one kept, the new one arrived, nothing doubled
    directory = users["HU"].query("SELECT count(*) FROM authorities")[0][0]
    assert directory == 4


def test_retention_keeps_open_requests_and_removes_settled_ones_whole(pair, tmp_path, monkeypatch):
    from imi_cli.exchanges.requests.service import Requests

    hub, users = pair.hub, pair.users
    ie, hu = Requests(users["IE"]), Requests(users["HU"])
    new = dict(area="professional-qualifications", to="HU-MEK", questionnaire="pq-verify-qualification",
               questions=["document_authentic"], deadline="2026-02-20",
               person={"applicant_name": "Nagy Béla", "profession": "architect"})
    still_open = ie.new(subject="Still open", **new)
    settled = ie.new(subject="Settled", **new)
    ie.send(still_open)
    ie.send(settled)
    _sync(users["IE"])
    _sync(users["HU"])
    scan = tmp_path / "diploma.pdf"
    scan.write_bytes(b"%PDF-1.4 a scanned diploma")
    hu.accept(settled)
    hu.answer(settled, {"document_authentic": "authentic"}, "hu", attachments=[scan])
    _sync(users["HU"])
    _sync(users["IE"])
    ie.close(settled, 5, 4)
    assert _sync(users["IE"]).rejected == []
    _sync(users["HU"])

    def on_hub(rid: str) -> tuple[int, int]:
        events = hub.store.query("SELECT count(*) FROM entity_log WHERE entity = ?", (f"request/{rid}",))[0][0]
        rows = hub.store.query("SELECT count(*) FROM requests WHERE id = ?", (rid,))[0][0]
        return events, rows

    before = on_hub(settled)
    assert before[0] == 5 and hub.store.query("SELECT count(*) FROM request_attachments")[0][0] == 1
    monkeypatch.setenv("IMI_NOW", "2026-01-20T09:00:00+00:00")
    invitations = hub.store.query("SELECT count(*) FROM invitations")[0][0]
    # the spent invitations (each one's invited and spent events); closed, but it may still be
    # reopened: it stays
    assert prune(hub, 7) == 8
    # the four codes were spent on 2026-01-05, more than 7 days before: their hashes go
    assert invitations == 4 and hub.store.query("SELECT count(*) FROM invitations")[0][0] == 0
    monkeypatch.setenv("IMI_NOW", "2026-03-01T09:00:00+00:00")
    kept = on_hub(still_open)
    closing = users["IE"].query("SELECT body, hub_seq FROM events WHERE type = 'request.closed'")[0]
    assert prune(hub, 30) == 5  # drafted, sent, accepted, answered, closed
    assert on_hub(settled) == (0, 0)
    from imi_cli.sync.enrolment import client_for

    with client_for(users["IE"]) as client:  # a push repeated after its event went: the same number
        (again,) = client.push([json.loads(closing[0])])
    assert (again["status"], again["seq"]) == ("accepted", closing[1])
    assert on_hub(settled) == (0, 0)  # and nothing came back
    # nor can its id serve another request: nodes that keep the old one would merge the two
    drafted = json.loads(users["IE"].query("SELECT body FROM events WHERE type = 'request.drafted' "
                                           "AND body LIKE ?", (f"%{settled}%",))[0][0])
    from imi_cli.log.crypto import Signer

    disclosures = [d for (d,) in users["IE"].query("SELECT disclosure FROM disclosures WHERE event_id = ?",
                                                   (drafted["id"],))]
    drafted = {**drafted, "id": drafted["id"][:-4] + "ffff"}
    drafted = {**Signer("ie.murphy", users["IE"].meta("private_key")).sign_event(
        {k: v for k, v in drafted.items() if k != "signature"}), "disclosures": disclosures}
    with client_for(users["IE"]) as client:
        (reused,) = client.push([drafted])
    assert (reused["status"], reused["reason"]) == ("rejected", "illegal_transition"), reused
    assert hub.store.query("SELECT count(*) FROM request_attachments")[0][0] == 0
    assert on_hub(still_open) == kept and kept[0] >= 2  # open, however old: its whole story stays
    with users["HU"].transaction():
        users["HU"].set_meta("cursor", "1")
    assert _sync(users["HU"]).reseeded
    assert hu.get(still_open)["state"] == "sent" and hu.get(settled)["state"] == "closed"  # kept
    # sequence numbers are never reused after the newest events went: the reminders made
    # since (the open request's deadline has passed) come after everything ever issued
    seqs = [seq for (seq,) in hub.store.query("SELECT seq FROM events ORDER BY seq")]
    assert seqs[-1] > int(hub.store.meta("retained_from"))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_last_event_received_before_a_time_is_found_by_bisection(tmp_path, seed):
    """``retention.received_before``: with the hub's clock only going forward it is the last
    event received before the cutoff, holes in the numbering (retention) or not; with the clock
    set back once it is still an event received before the cutoff (never a younger one)."""
    import random

    from imi_cli.hub.retention import received_before
    from imi_cli.log.store import Store

    rng = random.Random(seed)
    store = Store.create(tmp_path / "hub.db", "a passphrase long enough")
    times, seq, minute = {}, 0, 0
    for _ in range(400):
        seq += rng.choice([1, 1, 1, 2, 7])  # holes: events retention removed
        minute += rng.choice([0, 1, 3])
        times[seq] = f"2026-01-01T{minute // 60:02d}:{minute % 60:02d}:00.000Z"
    with store.transaction() as conn:
        conn.executemany("INSERT INTO events(seq, id, type, at, body, status, received_at, hub_seq, entity) "
                         "VALUES (?, ?, 'message.sent', ?, '{}', 'accepted', ?, ?, 'message/x')",
                         [(s, f"e{s}", t, t, s) for s, t in times.items()])
    for cutoff in sorted(set(rng.sample(sorted(times.values()), 40)) | {"2000-01-01T00:00:00.000Z", "2100"}):
        expected = max((s for s, t in times.items() if t < cutoff), default=0)
        assert received_before(store.conn, cutoff) == expected, cutoff
    # the clock set back an hour at one event: what is found was received before the cutoff
    jump = rng.choice(sorted(times)[100:300])
    with store.transaction() as conn:
        conn.execute("UPDATE events SET received_at = '2025-12-31T23:00:00.000Z' WHERE seq > ?", (jump,))
    for cutoff in sorted(set(rng.sample(sorted(times.values()), 40))):
        found = received_before(store.conn, cutoff)
        received = store.query("SELECT received_at FROM events WHERE seq = ?", (found,))
        assert found == 0 or received[0][0] < cutoff
    store.close()


def test_the_attachments_still_used_are_those_a_remaining_record_refers_to(tmp_path):
    """``retention._still_used`` reads only the records that name a hash; it finds what reading
    every record finds (a record that cannot be read keeps every hash its text names)."""
    import random

    from imi_cli.hub import retention
    from imi_cli.log.store import Store

    rng = random.Random(7)
    store = Store.create(tmp_path / "hub.db", "a passphrase long enough")
    hashes = [f"{rng.getrandbits(256):064x}" for _ in range(250)]
    rows = []
    for i in range(600):
        used = rng.sample(hashes, rng.choice([0, 0, 1, 2, 3]))
        record: object = {"answers": {"doc": [{"sha256": h, "name": "d.pdf"} for h in used]},
                          "note": f"mentions {rng.choice(hashes)} in passing" if i % 9 == 0 else "plain"}
        text = json.dumps(record)
        rows.append((f"r{i}", text[:-3] if i % 37 == 0 else text))  # a few records that cannot be read
    with store.transaction() as conn:
        conn.executemany("INSERT INTO requests(id, state, area, requester, responder, subject, created_at, "
                         "last_activity, record) VALUES (?, 'sent', 'a', 'A', 'B', 's', 't', 't', ?)", rows)
    pruned = set(rng.sample(hashes, 180))

    def every_record() -> set[str]:
        still: set[str] = set()
        for (text,) in store.conn.execute("SELECT record FROM requests"):
            try:
                still |= retention._attachment_hashes(json.loads(text)) & pruned
            except Exception:
                still |= {h for h in pruned if h in text}
        return still

    expected = every_record()
    assert 0 < len(expected) < len(pruned)
    assert retention._still_used(store.conn, pruned) == expected
    store.close()
