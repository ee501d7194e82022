"""Unsigned, tampered, unknown-key, revoked-key and replayed events or requests are refused,
and nothing is stored; a node refuses a pulled event whose signature does not verify."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest

from imi_cli.errors import InvalidInput, Rejected
from imi_cli.exchanges.messages import send
from imi_cli.log import clock
from imi_cli.log.crypto import Signer, new_private_key
from imi_cli.log.event import canonical, make_event
from imi_cli.protocol.signing import signed_line
from imi_cli.sync.enrolment import client_for

from .conftest import hub_events, signed_headers, sync


@pytest.fixture
def pair(net):
    hu, ie = net.coordinator("HU"), net.coordinator("IE")
    net.authority(hu, "HU-MEK", "HU")
    net.authority(ie, "IE-RIAI", "IE")
    return net.user(hu, "hu.kovacs", "HU-MEK"), net.user(ie, "ie.murphy", "IE-RIAI")


def _message(store, text="Please confirm.", to="HU-MEK"):
    send(store, to, "diploma", text, "en")
    body = store.query("SELECT e.body FROM outbox o JOIN events e ON e.id = o.event_id "
                       "WHERE o.state = 'pending' ORDER BY e.seq DESC LIMIT 1")[0][0]
    return json.loads(body)


def _post(hub, store, payload, *, headers=None):
    body = json.dumps(payload).encode()
    h = {"content-type": "application/json", **(headers if headers is not None
                                                 else signed_headers(store, "POST", "/v1/events", body))}
    return httpx.post(hub.url + "/v1/events", content=body, headers=h)


def _push_one(hub, store, event):
    response = _post(hub, store, {"events": [event]})
    assert response.status_code == 200, response.text
    return response.json()["results"][0]


def _count(hub):
    return len(hub_events(hub))


def test_unsigned_tampered_and_foreign_events_are_rejected_and_not_stored(hub, pair):
    hu_user, ie_user = pair
    event = _message(ie_user)
    before = _count(hub)
    unsigned = {k: v for k, v in event.items() if k != "signature"}
    r = _push_one(hub, ie_user, unsigned)
    assert (r["status"], r["reason"]) == ("rejected", "invalid")
    tampered = {**event, "payload": {**event["payload"], "text": "Please wire EUR 10,000."}}
    assert _push_one(hub, ie_user, tampered)["reason"] == "bad_signature"
    resigned_by_stranger = Signer("ie.murphy", new_private_key()).sign_event(event)
    assert _push_one(hub, ie_user, resigned_by_stranger)["reason"] == "bad_signature"
    # an event signed by someone else than the pusher
    other = _message(hu_user, to="IE-RIAI")
    assert _push_one(hub, ie_user, other)["reason"] == "not_allowed"
    # an event naming an unknown signer, pushed by that same unknown principal: the request fails first
    ghost = Signer("ghost", new_private_key())
    body = json.dumps({"events": [ghost.sign_event(event)]}).encode()
    from imi_cli.protocol.signing import sign_request
    resp = httpx.post(hub.url + "/v1/events", content=body,
                      headers={"content-type": "application/json", **sign_request(ghost, "POST", "/v1/events", body)})
    assert resp.status_code == 401 and resp.json()["reason"] == "unauthenticated"
    assert _count(hub) == before
    # the genuine event still goes through; then a tampered copy with the same id is not "accepted"
    assert _push_one(hub, ie_user, event)["status"] == "accepted"
    r = _push_one(hub, ie_user, tampered)
    assert r["status"] == "rejected"
    assert _count(hub) == before + 1
    assert json.loads(hub.store.query("SELECT body FROM events WHERE id = ?", (event["id"],))[0][0]) == event


def test_unknown_key_event_is_rejected(hub, net, pair):
    hu, _ = net.stores[0], None
    # a user registered but never enrolled has no key: nobody can push for it
    code = net.user(hu, "hu.ghost", "HU-NCO", roles="request_handler", enrol=False)
    assert code
    ghost = Signer("hu.ghost", new_private_key())
    event = ghost.sign_event(make_event("message.sent", actor={"user": "hu.ghost", "authority": "HU-NCO"},
                                        audience=["HU-NCO", "IE-RIAI"],
                                        payload={"from": "HU-NCO", "to": "IE-RIAI", "subject": "s", "text": "t",
                                                 "lang": "en"}, subject={"entity": "message/x", "version": 0}))
    before = _count(hub)
    with hub.lock, hub.store.transaction() as conn:
        result = hub._accept_one(conn, event, "hu.ghost")
    assert result["reason"] == "unknown_key"
    assert _count(hub) == before


def test_a_revoked_key_can_neither_call_the_hub_nor_get_events_accepted(hub, pair):
    hu_user, ie_user = pair
    event = _message(ie_user)
    hub.revoke("ie.murphy")
    before = _count(hub)
    response = _post(hub, ie_user, {"events": [event]})
    assert response.status_code == 401 and "revoked" in response.json()["error"]
    with pytest.raises(Rejected, match="revoked") as refused:
        sync(ie_user)
    assert refused.value.reason == "unauthenticated"
    with hub.lock, hub.store.transaction() as conn:  # even if the request layer were bypassed
        assert hub._accept_one(conn, event, "ie.murphy")["reason"] == "revoked_key"
    assert _count(hub) == before
    # the revocation reaches every node, which then refuses that key's words too
    sync(hu_user)
    assert hu_user.query("SELECT revoked_at IS NOT NULL FROM principals WHERE user_id = 'ie.murphy'")[0][0]


def test_replayed_requests_are_refused_and_store_nothing(hub, pair):
    hu_user, ie_user = pair
    event = _message(ie_user)
    body = json.dumps({"events": [event]}).encode()
    headers = {"content-type": "application/json", **signed_headers(ie_user, "POST", "/v1/events", body)}
    first = httpx.post(hub.url + "/v1/events", content=body, headers=headers)
    assert first.status_code == 200 and first.json()["results"][0]["status"] == "accepted"
    count = _count(hub)
    again = httpx.post(hub.url + "/v1/events", content=body, headers=headers)
    assert again.status_code == 401 and "replayed" in again.json()["error"]
    # a pull replayed
    headers = signed_headers(ie_user, "GET", "/v1/events?after=0", b"")
    assert httpx.get(hub.url + "/v1/events?after=0", headers=headers).status_code == 200
    assert httpx.get(hub.url + "/v1/events?after=0", headers=headers).status_code == 401
    # the same signed headers on another body, path or query
    event2 = _message(ie_user, "second")
    body2 = json.dumps({"events": [event2]}).encode()
    h = {"content-type": "application/json", **signed_headers(ie_user, "POST", "/v1/events", body)}
    assert httpx.post(hub.url + "/v1/events", content=body2, headers=h).status_code == 401
    h = signed_headers(ie_user, "GET", "/v1/events?after=0", b"")
    assert httpx.get(hub.url + "/v1/events?after=5", headers=h).status_code == 401
    # an old request, correctly signed: outside the replay window
    when = clock.iso(clock.now() - timedelta(minutes=10))
    signer = Signer("ie.murphy", ie_user.meta("private_key"))
    old = {"content-type": "application/json", "X-IMI-User": "ie.murphy", "X-IMI-Time": when, "X-IMI-Nonce": "n-old",
           "X-IMI-Signature": signer.sign_bytes(signed_line("POST", "/v1/events", when, "n-old", body2))}
    r = httpx.post(hub.url + "/v1/events", content=body2, headers=old)
    assert r.status_code == 401 and "window" in r.json()["error"]
    assert _count(hub) == count
    # a replayed event (the node pushing again after a lost answer) gets the same receipt, stored once
    with client_for(ie_user) as client:
        (r1,) = client.push([event])
    assert r1 == first.json()["results"][0]
    assert _count(hub) == count
    # another user replaying someone's event is not allowed
    with client_for(hu_user) as client:
        assert client.push([event2])[0]["reason"] == "not_allowed"


def _store_body(hub, seq: int, body: str) -> None:
    """Write an event's stored body as a hub (or whoever holds its disk) could: in the hub's
    store, and on PostgreSQL in the log the pulls read (sealed with the hub's key)."""
    with hub.lock, hub.store.transaction() as conn:
        conn.execute("UPDATE events SET body = ? WHERE seq = ?", (body, seq))
        event_id = conn.execute("SELECT id FROM events WHERE seq = ?", (seq,)).fetchone()[0]
    if hub.backend.kind == "postgresql":
        import psycopg

        from imi_cli.hub.pg.keys import event_aad

        with psycopg.connect(hub.backend.url, autocommit=True) as pg:
            pg.execute("UPDATE events SET body = %s WHERE seq = %s",
                       (hub.backend.sealer.seal(body.encode(), event_aad(event_id)), seq))


def test_a_node_refuses_a_pulled_event_with_a_bad_signature_and_keeps_its_cursor(hub, pair):
    hu_user, ie_user = pair
    sync(hu_user)
    cursor = hu_user.meta("cursor")
    held = hu_user.query("SELECT count(*) FROM events")[0][0]
    send(ie_user, "HU-MEK", "first", "genuine", "en")
    send(ie_user, "HU-MEK", "second", "will be forged", "en")
    sync(ie_user)
    with hub.lock, hub.store.transaction() as conn:  # the hub (or a man in the middle) forges a message
        seq, body = conn.execute("SELECT seq, body FROM events WHERE type = 'message.sent' "
                                 "ORDER BY seq DESC LIMIT 1").fetchone()
    forged = json.loads(body)
    forged["payload"]["text"] = "forged"
    _store_body(hub, seq, canonical(forged))
    with pytest.raises(InvalidInput, match="signature"):
        sync(hu_user)
    assert hu_user.meta("cursor") == cursor
    assert hu_user.query("SELECT count(*) FROM events")[0][0] == held
    assert not hu_user.query("SELECT 1 FROM messages")
    # an event from the operator forged by the hub with another key is refused as well
    _store_body(hub, seq, body)  # restore
    sync(hu_user)
    assert sorted(s for (s,) in hu_user.query("SELECT subject FROM messages")) == ["first", "second"]


def test_a_hub_forging_an_operator_event_is_refused(hub, pair):
    hu_user, _ = pair
    sync(hu_user)
    cursor = hu_user.meta("cursor")
    impostor = Signer("operator", new_private_key())
    event = impostor.sign_event(make_event("user.enrolled", actor={"user": "operator", "authority": None},
                                           payload={"user": "hu.nobody", "authority": "HU-MEK",
                                                    "public_key": "AAAA"},
                                           subject={"entity": "principal/hu.nobody/forged", "version": 0}))
    with hub.lock, hub.store.transaction() as conn:
        hub._insert(conn, event, ["*"])
    with pytest.raises(InvalidInput, match=f"^event {event['id']} from the hub does not carry a valid signature "
                       "of 'operator'; nothing from this page was applied$"):
        sync(hu_user)
    assert hu_user.meta("cursor") == cursor


@pytest.mark.parametrize("kind,key", [("alert.drafted", "alert"), ("notification.drafted", "notification")])
def test_a_draft_whose_content_is_not_an_object_is_refused_with_a_reason(hub, pair, kind, key):
    """Its personal fields are looked for in its content: content that is not an object is a
    malformed payload (a typed refusal), not an event the hub could not process."""
    hu, _ = pair
    me = {"user": hu.meta("user_id"), "authority": hu.meta("authority_id")}
    event = Signer(me["user"], hu.meta("private_key")).sign_event(make_event(
        kind, actor=me, audience=[me["authority"]], payload={key: [1]}, subject={"entity": f"{key}/x1"}))
    result = _push_one(hub, hu, event)
    assert result["status"] == "rejected" and result["reason"] == "invalid", result
    assert "could not be processed" not in result["message"], result
