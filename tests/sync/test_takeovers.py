"""Holes a review found, each shown with hand-signed pushes that bypass the node's own checks:
taking over records, identities and requests, and learning or losing what is not one's own."""

from __future__ import annotations

import json
import secrets
from typing import Any

import httpx
import pytest

from imi_cli.demo.network import _node, _sync
from imi_cli.directory.records import check_authority, check_user
from imi_cli.directory.users import Users
from imi_cli.exchanges.requests.access import expected_audience
from imi_cli.exchanges.requests.service import Requests
from imi_cli.log.crypto import Signer, code_hash, new_invitation_code
from imi_cli.log.event import make_event
from imi_cli.log.journal import entity_version
from imi_cli.protocol.signing import sign_request
from imi_cli.sync.enrolment import client_for


def _event(pair: Any, store: Any, type_: str, payload: dict, entity: str, audience=None, at=None) -> dict:
    me = {"user": store.meta("user_id"), "authority": store.meta("authority_id")}
    with pair.hub.lock:
        version = entity_version(pair.hub.store.conn, entity)
    event = make_event(type_, actor=me, payload=payload, subject={"entity": entity, "version": version},
                       audience=list(audience or ["*"]))
    if type_.startswith("request.") and audience is None:
        with pair.hub.lock:
            event["audience"] = expected_audience(pair.hub.store.conn, event)
    if at:
        event["at"] = at
    from imi_cli.log import redaction

    event, disclosed = redaction.conceal_for(store.conn, event)  # personal fields as a node conceals them
    return redaction.wire(Signer(me["user"], store.meta("private_key")).sign_event(event), disclosed)


def _push(store: Any, event: dict) -> dict:
    with client_for(store) as client:
        (result,) = client.push([event])
    return result


def _refused(result: dict, reason: str, words: str) -> None:
    assert (result["status"], result["reason"]) == ("rejected", reason), result
    assert words in result["message"], result


def _authority(pair: Any, ident: str) -> dict:
    return json.loads(pair.hub.store.query("SELECT record FROM authorities WHERE id = ?", (ident,))[0][0])


def test_a_record_is_changed_only_through_an_event_that_names_it(pair):
    ie = pair.coords["IE"]
    forged = check_authority({"id": "HU-MEK", "country": "IE", "names": {"en": "Hijacked"}, "languages": "en",
                              "areas": "professional-qualifications", "email": "x@example.ie",
                              "coordinator": "IE-NCO"}, "t", [])
    _refused(_push(ie, _event(pair, ie, "authority.registered", {"authority": forged}, "authority/fresh")),
             "invalid", "the subject of a authority.registered is authority/HU-MEK")
    _refused(_push(ie, _event(pair, ie, "authority.registered", {"authority": forged}, "authority/HU-MEK")),
             "illegal_transition", "already exists")
    assert _authority(pair, "HU-MEK")["country"] == "HU"
    admin = pair.users["IE"]
    moved = check_user({"id": "hu.kovacs", "name": "x", "email": "x@example.ie", "authority": "IE-RIAI",
                        "roles": "administrator;request_handler"}, "t", [])
    _refused(_push(admin, _event(pair, admin, "user.registered", {"user": moved}, "user/someone-new")),
             "invalid", "is user/hu.kovacs")
    assert pair.hub.store.query("SELECT authority_id FROM users WHERE id = 'hu.kovacs'") == [("HU-MEK",)]


def test_nobody_registers_the_operator_or_pushes_as_it(pair):
    problems: list = []
    check_user({"id": "operator", "name": "x", "email": "x@example.ie", "authority": "IE-RIAI",
                "roles": "administrator"}, "t", problems)
    assert [p.message for p in problems] == ["'operator' is reserved for the hub"]
    admin = pair.users["IE"]
    raw = {"id": "operator", "name": "x", "email": "x@example.ie", "authority": "IE-RIAI",
           "roles": {"*": ["administrator"]}}
    result = _push(admin, _event(pair, admin, "user.registered", {"user": raw}, "user/operator"))
    _refused(result, "invalid", "reserved for the hub")
    assert pair.hub.store.query("SELECT count(*) FROM users WHERE id = 'operator'") == [(0,)]


def test_a_new_key_for_an_enrolled_or_revoked_user_is_not_a_colleagues_to_give(pair, tmp_path):
    admin, coordinator = pair.users["IE"], pair.coords["IE"]
    Users(coordinator).register([("t", {"id": "ie.other", "name": "Other", "email": "o@example.ie",
                                        "authority": "IE-RIAI", "roles": "request_handler"})])
    code = Users(coordinator).invite("ie.other")  # not enrolled yet: a (replacement) code is fine
    assert _sync(coordinator).rejected == []
    other = _node(tmp_path, "ie.other", pair.url, code)
    code = new_invitation_code()
    invitation = {"user": "ie.other", "code_hash": code_hash(code), "expires_at": "2026-01-10T00:00:00.000Z"}
    entity = f"invitation/{code_hash(code)[:16]}"
    _refused(_push(admin, _event(pair, admin, "user.invited", invitation, entity, audience=["hub"])),
             "not_allowed", "ie.other is enrolled already")
    assert _push(coordinator, _event(pair, coordinator, "user.invited", invitation, entity,
                                     audience=["hub"]))["status"] == "accepted"
    pair.hub.revoke("ie.other")
    code = new_invitation_code()
    invitation = {"user": "ie.other", "code_hash": code_hash(code), "expires_at": "2026-01-10T00:00:00.000Z"}
    entity = f"invitation/{code_hash(code)[:16]}"
    _refused(_push(coordinator, _event(pair, coordinator, "user.invited", invitation, entity, audience=["hub"])),
             "not_allowed", "only the operator invites it again")
    forever = {**invitation, "expires_at": "2099-01-01T00:00:00.000Z"}
    _refused(_push(coordinator, _event(pair, coordinator, "user.invited", forever, entity, audience=["hub"])),
             "invalid", "expires within 14 days")
    assert pair.hub.store.query("SELECT revoked_at IS NOT NULL FROM principals WHERE user_id = 'ie.other'") == [(1,)]
    other.close()
    week = {**invitation, "expires_at": "2026-W03-1"}  # ISO, but not the one form times are compared in
    _refused(_push(coordinator, _event(pair, coordinator, "user.invited", week, entity, audience=["hub"])),
             "invalid", "a UTC time like")
    code = pair.hub.reinvite("ie.other")  # the operator lifts it: a new key, no longer revoked
    again = _node(tmp_path, "ie.other-again", pair.url, code)
    assert pair.hub.store.query("SELECT revoked_at FROM principals WHERE user_id = 'ie.other'") == [(None,)]
    again.close()


def test_a_moved_user_pulls_for_its_new_authority_only(pair):
    from imi_cli.demo.network import THIRD
    from imi_cli.directory.authorities import Directory

    hu_coord, kovacs = pair.coords["HU"], pair.users["HU"]
    Directory(hu_coord).register_authorities([("t", THIRD[0])])  # HU-OH
    assert _sync(hu_coord).rejected == []
    moved = check_user({"id": "hu.kovacs", "name": "Kovács Anna", "email": "anna@example.hu",
                        "authority": "HU-OH", "roles": "request_handler"}, "t", [])
    assert _push(hu_coord, _event(pair, hu_coord, "user.updated", {"user": moved},
                                  "user/hu.kovacs"))["status"] == "accepted"
    ie = Requests(pair.users["IE"])
    rid = ie.new(area="professional-qualifications", to="HU-MEK", questionnaire="pq-verify-qualification",
                 questions=["document_authentic"], deadline="2026-02-20", subject="After the move",
                 person={"applicant_name": "Nagy Béla"})
    ie.send(rid)
    _sync(pair.users["IE"])
    target = "/v1/events?after=0&limit=5000"
    headers = sign_request(Signer("hu.kovacs", kovacs.meta("private_key")), "GET", target, b"")
    events = httpx.get(pair.url + target, headers=headers).json()["events"]
    assert not [e for e in events if e["event"]["subject"]["entity"] == f"request/{rid}"]


def _sent_request(pair: Any) -> str:
    ie = Requests(pair.users["IE"])
    rid = ie.new(area="professional-qualifications", to="HU-MEK", questionnaire="pq-verify-qualification",
                 questions=["document_authentic"], deadline="2026-02-20", subject="Check",
                 person={"applicant_name": "Nagy Béla", "profession": "architect"})
    ie.send(rid)
    assert _sync(pair.users["IE"]).rejected == []
    _sync(pair.users["HU"])
    return rid


def test_a_request_goes_on_only_to_a_competent_authority_with_its_own_content(pair):
    rid = _sent_request(pair)
    hu = pair.users["HU"]
    content = Requests(hu).get(rid)["record"]
    carried = {k: content.get(k) for k in ("area", "requester", "subject", "questionnaire", "qversion",
                                            "questions", "deadline", "person", "comments")}
    for to in ("*", "hub", "HU-MEK", "IE-RIAI"):
        payload = {"from": "HU-MEK", "to": to, "request": {**carried, "responder": to, "attachments": []}}
        # "*" is not even an authority id (the payload's schema says so); the others are not
        # another authority competent in the area
        words = "payload.to" if to == "*" else "another registered authority competent in professional-qualifications"
        _refused(_push(hu, _event(pair, hu, "request.forwarded", payload, f"request/{rid}")), "invalid", words)
    rewritten = {**carried, "person": {"applicant_name": "Someone Else"}, "responder": "HU-NCO", "attachments": []}
    _refused(_push(hu, _event(pair, hu, "request.forwarded", {"from": "HU-MEK", "to": "HU-NCO", "request": rewritten},
                              f"request/{rid}")), "invalid", "differs from the request (person)")
    _refused(_push(hu, _event(pair, hu, "request.accepted", {"request": {**carried, "questions": []}},
                              f"request/{rid}")), "invalid", "'request' was unexpected")
    assert pair.hub.store.query("SELECT state, responder FROM requests WHERE id = ?", (rid,)) == [("sent", "HU-MEK")]


def test_event_times_are_real_and_retention_goes_by_the_hubs_clock(pair):
    from imi_cli.exchanges.messages import inbox
    from imi_cli.hub.retention import prune

    ie = pair.users["IE"]
    payload = {"from": "IE-RIAI", "to": "HU-MEK", "subject": "s", "text": "t", "lang": "en"}
    for at, words in (("not a time", "not a UTC time like"), ("2026-01-05T10:00:00+01:00", "not a UTC time like"),
                      ("2026-01-06T09:00:00.000Z", "in the future")):
        ident = secrets.token_hex(4)
        _refused(_push(ie, _event(pair, ie, "message.sent", payload, f"message/{ident}",
                                  audience=["HU-MEK", "IE-RIAI"], at=at)), "invalid", words)
    old = _event(pair, ie, "message.sent", payload, "message/backdated", audience=["HU-MEK", "IE-RIAI"],
                 at="2000-01-01T00:00:00.000Z")
    assert _push(ie, old)["status"] == "accepted"
    assert prune(pair.hub, 365) == 0  # it reached the hub today: nobody is made to re-seed
    _sync(pair.users["HU"])
    assert [m["subject"] for m in inbox(pair.users["HU"])] == ["s"]


def test_a_receipt_outlives_its_event_only_for_that_very_event(pair):
    from imi_cli.hub.retention import prune

    ie = pair.users["IE"]
    payload = {"from": "IE-RIAI", "to": "HU-MEK", "subject": "s", "text": "t", "lang": "en"}
    event = _event(pair, ie, "message.sent", payload, "message/m1", audience=["HU-MEK", "IE-RIAI"])
    first = _push(ie, event)
    # received a year ago, and so everything the hub numbered before it (retention finds the
    # events received before its cutoff in the hub's numbering: retention.received_before)
    pair.hub.store.conn.execute("UPDATE events SET received_at = '2025-01-01T00:00:00.000Z' "
                                "WHERE seq <= (SELECT seq FROM events WHERE id = ?)", (event["id"],))
    assert prune(pair.hub, 30) == 1
    assert _push(ie, event)["receipt"] == first["receipt"]  # the same event: the same receipt
    forged = Signer("ie.murphy", ie.meta("private_key")).sign_event(
        {**{k: v for k, v in event.items() if k != "signature"}, "payload": {**payload, "text": "changed"}})
    _refused(_push(ie, forged), "invalid", "another event with this id")


def test_bodies_are_utf8_json(pair):
    body = '{"code": "\\ud800abc", "public_key": "k", "proof": "p"}'.encode("utf-16")
    response = httpx.post(pair.url + "/v1/enrol", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400


@pytest.mark.parametrize("text", [b"\\ud800", b"\\uDFFF", b"\\udc00x", b"a\\uDBFF\\u0041"])
def test_a_string_that_is_not_unicode_is_a_client_error(pair, text):
    ie = pair.users["IE"]
    body = b'{"events": [{"id": "' + text + b'"}]}'
    headers = {"content-type": "application/json",
               **sign_request(Signer("ie.murphy", ie.meta("private_key")), "POST", "/v1/events", body)}
    response = httpx.post(pair.url + "/v1/events", content=body, headers=headers)
    assert response.status_code == 400 and "Unicode" in response.json()["error"]


def test_an_escaped_surrogate_pair_is_unicode(pair):
    ie = pair.users["IE"]
    body = b'{"events": [{"id": "smile \\ud83d\\ude00", "type": "\\u00e9"}]}'
    headers = {"content-type": "application/json",
               **sign_request(Signer("ie.murphy", ie.meta("private_key")), "POST", "/v1/events", body)}
    response = httpx.post(pair.url + "/v1/events", content=body, headers=headers)
    assert response.status_code == 200
    assert response.json()["results"][0]["id"] == "smile \U0001f600"
    assert response.json()["results"][0]["status"] == "rejected"


def test_withdrawing_a_draft_stays_home(pair):
    ie = Requests(pair.users["IE"])
    rid = ie.new(area="professional-qualifications", to="HU-MEK", questionnaire="pq-verify-qualification",
                 questions=["document_authentic"], deadline="2026-02-20", subject="Never sent",
                 person={"applicant_name": "Nagy Béla"})
    ie.withdraw(rid, "drafted by mistake")
    assert _sync(pair.users["IE"]).rejected == []
    _sync(pair.users["HU"])
    assert pair.users["HU"].query("SELECT count(*) FROM events WHERE body LIKE ?", (f"%{rid}%",)) == [(0,)]


def test_a_node_re_seeds_after_an_author_changed_key(pair, tmp_path):
    from imi_cli.exchanges.messages import send

    send(pair.users["IE"], "HU-MEK", "before the new key", "x", "en")
    _sync(pair.users["IE"])
    _sync(pair.users["HU"])
    code = Users(pair.coords["IE"]).invite("ie.murphy")  # a lost laptop: her coordinator issues a new key
    _sync(pair.coords["IE"])
    (tmp_path / "laptop").mkdir()
    fresh = _node(tmp_path / "laptop", "ie.murphy", pair.url, code)
    _sync(fresh)
    send(fresh, "HU-MEK", "after the new key", "y", "en")
    assert _sync(fresh).rejected == []
    _sync(pair.users["HU"])  # it now knows her new key only
    with pair.users["HU"].transaction():
        pair.users["HU"].set_meta("cursor", "0")  # what a 410 leads to
    _sync(pair.users["HU"])  # the old message is held already; the new one verifies with the new key
    from imi_cli.exchanges.messages import inbox

    assert sorted(m["subject"] for m in inbox(pair.users["HU"])) == ["after the new key", "before the new key"]
    fresh.close()
