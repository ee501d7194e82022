"""Idempotent push, concurrent pushers, and need to know (the access matrix)."""

from __future__ import annotations

import json
import random
import threading

from imi_cli.exchanges.messages import send
from imi_cli.sync.enrolment import client_for

from .conftest import hub_events, node_event_ids, sync


def _pending_bodies(store):
    return [json.loads(b) for (b,) in store.query(
        "SELECT e.body FROM outbox o JOIN events e ON e.id = o.event_id WHERE o.state = 'pending' ORDER BY e.seq")]


def _two_authorities(net):
    hu, ie = net.coordinator("HU"), net.coordinator("IE")
    net.authority(hu, "HU-MEK", "HU")
    net.authority(ie, "IE-RIAI", "IE")
    return hu, ie, net.user(hu, "hu.kovacs", "HU-MEK"), net.user(ie, "ie.murphy", "IE-RIAI")


def test_the_same_event_pushed_a_thousand_times_is_stored_once_with_one_receipt(net, hub):
    _, _, hu_user, ie_user = _two_authorities(net)
    send(ie_user, "HU-MEK", "diploma", "Please confirm.", "en")
    (event,) = _pending_bodies(ie_user)
    receipts = []
    with client_for(ie_user) as client:
        receipts += [r for _ in range(10) for r in client.push([event])]
        for _ in range(9):
            receipts += client.push([event] * 110)
    assert len(receipts) == 1000
    assert all(r == receipts[0] for r in receipts)
    assert receipts[0]["status"] == "accepted"
    assert [e for e in hub_events(hub) if e[1] == event["id"]] == [(receipts[0]["seq"], event["id"], "message.sent")]
    # the node records it once too, and the recipient gets it once
    sync(ie_user)
    sync(hu_user)
    assert hu_user.query("SELECT count(*) FROM events WHERE id = ?", (event["id"],))[0][0] == 1
    assert hu_user.query("SELECT count(*) FROM messages")[0][0] == 1


def test_concurrent_pushers_get_increasing_sequence_numbers_and_pullers_skip_nothing(net, hub):
    hu, ie = net.coordinator("HU"), net.coordinator("IE")
    ids = ["HU-A", "HU-B", "IE-A", "IE-B"]
    for ident in ids:
        net.authority(hu if ident.startswith("HU") else ie, ident, ident[:2])
    users = {a: net.user(hu if a.startswith("HU") else ie, a.lower() + ".u", a) for a in ids}
    per_user = 40
    for a, store in users.items():
        for i in range(per_user):
            send(store, ids[(ids.index(a) + 1 + i % 3) % 4], f"{a} #{i}", "text", "en")
    results: dict[str, list] = {}
    errors: list[BaseException] = []
    stop = threading.Event()
    pulled: dict[str, set] = {a: set() for a in ids}

    def pusher(a):
        try:
            events = _pending_bodies(users[a])
            out = []
            with client_for(users[a]) as client:
                for start in range(0, len(events), 7):  # small batches interleave with the others
                    out += client.push(events[start:start + 7])
            results[a] = out
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def puller(a):  # a second view of each authority pulls while the pushes happen
        try:
            cursor = 0
            with client_for(users[a]) as client:
                while True:
                    done = stop.is_set()
                    page = client.pull(cursor, 50)
                    seqs = [e["seq"] for e in page["events"]]
                    assert seqs == sorted(seqs) and all(s > cursor for s in seqs)
                    pulled[a] |= {e["event"]["id"] for e in page["events"]}
                    cursor = page["last"]
                    if done and not page["events"]:
                        return
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)

    pullers = [threading.Thread(target=puller, args=(a,)) for a in ids]
    pushers = [threading.Thread(target=pusher, args=(a,)) for a in ids]
    for t in pullers + pushers:
        t.start()
    for t in pushers:
        t.join(60)
    stop.set()
    for t in pullers:
        t.join(60)
    assert not errors, errors
    seqs = [r["seq"] for a in ids for r in results[a]]
    assert all(r["status"] == "accepted" for a in ids for r in results[a])
    assert len(seqs) == len(set(seqs)) == 4 * per_user
    for a in ids:  # each pusher's receipts increase in the order it pushed
        mine = [r["seq"] for r in results[a]]
        assert mine == sorted(mine)
    rows = hub_events(hub)
    assert [s for s, _, _ in rows] == sorted({s for s, _, _ in rows})
    # every node gets exactly what concerns it: by the live pullers and by a full sync
    for a, store in users.items():
        expected = {json.loads(b)["id"] for (b,) in hub.store.query("SELECT body FROM events")
                    if {"*", a} & set(json.loads(b)["audience"])}
        assert pulled[a] == expected
        sync(store)
        assert node_event_ids(store) == expected


def test_access_matrix_randomised_messages_reach_exactly_their_audience(net, hub):
    rnd = random.Random(4)
    hu, ie = net.coordinator("HU"), net.coordinator("IE")
    coords = {"HU-NCO": hu, "IE-NCO": ie}
    authorities = ["HU-A", "HU-B", "HU-C", "IE-A", "IE-B"]
    for a in authorities:
        net.authority(coords[a[:2] + "-NCO"], a, a[:2])
    nodes = dict(coords)
    for a in authorities:
        nodes[a] = net.user(coords[a[:2] + "-NCO"], a.lower() + ".u", a)
    # a second user of one authority: it must see its colleagues' messages too
    nodes["HU-A#2"] = net.user(hu, "hu-a.second", "HU-A")
    everyone = list(coords) + authorities
    for _ in range(60):
        sender = rnd.choice(list(nodes))
        to = rnd.choice([a for a in everyone if a != sender.split("#")[0]])
        send(nodes[sender], to, f"from {sender}", "text", "en")
        if rnd.random() < 0.3:
            sync(nodes[sender])
    for _ in range(2):
        for store in nodes.values():
            sync(store)
    bodies = [json.loads(b) for (b,) in hub.store.query("SELECT body FROM events")]
    assert sum(e["type"] == "message.sent" for e in bodies) == 60
    for name, store in nodes.items():
        authority = name.split("#")[0]
        me = store.meta("user_id")
        expected = {e["id"] for e in bodies if {"*", authority} & set(e["audience"]) or e["actor"]["user"] == me}
        held = node_event_ids(store)
        leaked = held - expected
        assert not leaked, f"{name} holds events outside its audience: {leaked}"
        assert held == expected, f"{name} misses {expected - held}"
        # nothing hub-only (invitation hashes) ever reaches a node
        assert not store.query("SELECT 1 FROM events WHERE type = 'user.invited' AND status = 'remote'")
        inbox = {m for (m,) in store.query("SELECT id FROM messages WHERE from_authority != ? AND to_authority != ?",
                                           (authority, authority))}
        assert not inbox
