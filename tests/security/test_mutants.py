"""Each test here kills a deliberate one-line bug (a mutation) in a rule the hub exists to
enforce, that the rest of the suite let through (issue 10, "Tests that would not notice").
Each one pushes the forbidden event as an insider would (signed with a valid key, straight
to the hub), asserts the exact refusal, and checks that the allowed neighbour still passes,
so that a rule which refuses everything does not pass either. docs/security.md lists the
mutants and the test that kills each one.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest

from imi_cli.errors import Rejected
from imi_cli.log import clock
from imi_cli.log.crypto import Signer, code_hash, new_private_key, public_key_of
from imi_cli.log.event import make_event, uuid7
from imi_cli.sync.enrolment import client_for
from tests.exchanges.requests.test_lifecycle import R, answered, new_request, sent
from tests.hub.conftest import sync


def _me(store: Any) -> dict[str, str]:
    return {"user": store.meta("user_id"), "authority": store.meta("authority_id")}


def _push_signed(store: Any, event: dict[str, Any]) -> dict[str, Any]:
    signed = Signer(store.meta("user_id"), store.meta("private_key")).sign_event(event)
    with client_for(store) as client:
        return client.push([signed])[0]


def _message(store: Any, *, frm: str, to: str, actor: dict[str, Any] | None = None) -> dict[str, Any]:
    return make_event("message.sent", actor=actor or _me(store), audience=sorted({frm, to}),
                      payload={"from": frm, "to": to, "subject": "s", "text": "t", "lang": "en"},
                      subject={"entity": f"message/{uuid7()}", "version": 0})


def refused(result: dict[str, Any], reason: str, message: str) -> None:
    assert (result["status"], result["reason"], result["message"]) == ("rejected", reason, message), result


def accepted(result: dict[str, Any]) -> None:
    assert result["status"] == "accepted", result


@pytest.fixture
def two(net):
    """HU-MEK with two users (a handler and a colleague) and IE-RIAI with one, all enrolled."""
    hu, ie = net.coordinator("HU"), net.coordinator("IE")
    net.authority(hu, "HU-MEK", "HU")
    net.authority(ie, "IE-RIAI", "IE")
    return {"hu": net.user(hu, "hu.kovacs", "HU-MEK"), "ie": net.user(ie, "ie.murphy", "IE-RIAI"),
            "colleague": net.user(hu, "hu.szabo", "HU-MEK", enrol=False)}


# -- who speaks: the signer, the actor, the authority -----------------------------------------

def test_a_signer_cannot_act_as_another_user_of_its_authority(hub, two):
    """Mutant: pipeline.check_shape without `actor.user == signature.by` (history and views
    would show hu.szabo doing what hu.kovacs signed)."""
    hu = two["hu"]
    forged = _message(hu, frm="HU-MEK", to="IE-RIAI", actor={"user": "hu.szabo", "authority": "HU-MEK"})
    refused(_push_signed(hu, forged), "invalid", "the signer is not the actor")
    accepted(_push_signed(hu, _message(hu, frm="HU-MEK", to="IE-RIAI")))


def test_an_event_cannot_name_another_authority_than_its_authors(hub, two):
    """Mutant: directory/event_types.py::actor_of without the `actor.authority` check."""
    hu = two["hu"]
    claims_ie = _message(hu, frm="HU-MEK", to="IE-RIAI", actor={"user": "hu.kovacs", "authority": "IE-RIAI"})
    refused(_push_signed(hu, claims_ie), "not_allowed", "the event names another authority than its author's")
    accepted(_push_signed(hu, _message(hu, frm="HU-MEK", to="IE-RIAI")))


def test_a_message_cannot_come_from_another_authority(hub, two):
    """Mutant: exchanges/message_types.py::_authorize without `from == the author's authority`."""
    hu = two["hu"]
    message = "a message goes from the author's authority to a registered one"
    refused(_push_signed(hu, _message(hu, frm="IE-RIAI", to="HU-NCO")), "not_allowed", message)
    refused(_push_signed(hu, _message(hu, frm="HU-MEK", to="XX-NOBODY")), "not_allowed", message)
    accepted(_push_signed(hu, _message(hu, frm="HU-MEK", to="HU-NCO")))
    assert hub.store.query("SELECT count(*) FROM messages WHERE from_authority = 'IE-RIAI'")[0][0] == 0


# -- enrolment ----------------------------------------------------------------------------------

def _coordinator_code(hub: Any, country: str = "MT") -> str:
    from imi_cli.directory.invitations import coordinator_records

    record, user = coordinator_records(f"{country}-NCO", country, f"NCO {country}", "en", "en", "services",
                                       "nco@example.eu", f"{country.lower()}.coord", "C", "c@example.eu")
    return hub.invite_coordinator(record, user)


def _proof(key: str, code: str) -> str:
    return Signer("new", key).sign_bytes(code_hash(code).encode())


def test_an_expired_invitation_code_does_not_enrol(hub, monkeypatch):
    """Mutant: hub/enrolment.py::Enrolment.enrol without the `expires_at < now` check."""
    code = _coordinator_code(hub)
    (expires,) = hub.store.query("SELECT expires_at FROM invitations WHERE code_hash = ?", (code_hash(code),))[0]
    key = new_private_key()
    monkeypatch.setenv("IMI_NOW", clock.iso(clock.parse_instant(expires) + dt.timedelta(seconds=1)))
    with pytest.raises(Rejected, match="^the invitation code is unknown, used or expired$") as error:
        hub.enrol(code, public_key_of(key), _proof(key, code))
    assert error.value.reason == "invalid_invitation"
    assert not hub.store.query("SELECT 1 FROM principals WHERE user_id = 'mt.coord'")
    # a moment before it expires, the same code enrols
    monkeypatch.setenv("IMI_NOW", clock.iso(clock.parse_instant(expires) - dt.timedelta(seconds=1)))
    assert hub.enrol(code, public_key_of(key), _proof(key, code))["user"] == "mt.coord"


def test_an_enrolment_must_prove_possession_of_the_key(hub):
    """Mutant: Hub.enrol without `verify_bytes(public_key, proof, ...)`: whoever sees a code
    could enrol a key it does not hold, or a proof made for another code."""
    code, other = _coordinator_code(hub, "MT"), _coordinator_code(hub, "CY")
    key, stranger = new_private_key(), new_private_key()
    for proof in (_proof(stranger, code), _proof(key, other), "AAAA"):
        with pytest.raises(Rejected, match="^the enrolment proof does not match the key$") as error:
            hub.enrol(code, public_key_of(key), proof)
        assert error.value.reason == "bad_signature"
    assert not hub.store.query("SELECT 1 FROM principals WHERE user_id = 'mt.coord'")
    assert hub.enrol(code, public_key_of(key), _proof(key, code))["user"] == "mt.coord"  # the code was not spent


# -- requests: allocation, attachments, the reopen window ------------------------------------------

def push(net: Any, name: str, type_: str, payload: dict[str, Any], rid: str, at: str | None = None) -> dict:
    """tests/exchanges/requests/test_lifecycle.py::push, with the event's own time (``at``) settable."""
    from imi_cli.exchanges.requests.access import expected_audience
    from imi_cli.log import redaction
    from imi_cli.log.journal import entity_version

    hub, store = net.hub, net.stores[name]
    entity = f"request/{rid}"
    event = make_event(type_, actor=_me(store), payload=payload, subject={"entity": entity})
    if at is not None:
        event["at"] = at
    with hub.lock:
        event["subject"]["version"] = entity_version(hub.store.conn, entity)
        event["audience"] = expected_audience(hub.store.conn, event)
    event, disclosed = redaction.conceal_for(store.conn, event)
    event = redaction.wire(Signer(store.meta("user_id"), store.meta("private_key")).sign_event(event), disclosed)
    with client_for(store) as client:
        return client.push([event])[0]


def test_handlers_must_be_users_of_the_responder(network):
    """Mutant: requests/event_types.py::_check_step_content skips the handlers' authority."""
    net = network
    rid = sent(net)
    R(net, "hu.handler").accept(rid)
    net.sync("hu.handler", "hu.alloc")
    refused(push(net, "hu.alloc", "request.allocated", {"handlers": ["hu.handler", "ie.handler"]}, rid),
            "invalid", "handlers must be users of HU-AUTH")
    refused(push(net, "hu.alloc", "request.allocated", {"handlers": ["nobody.at.all"]}, rid),
            "invalid", "handlers must be users of HU-AUTH")
    accepted(push(net, "hu.alloc", "request.allocated", {"handlers": ["hu.handler", "hu.handler2"]}, rid))


def _content(net: Any, rid: str, reader: str, **changes: Any) -> dict[str, Any]:
    """The request's content as its node would carry it on (service.send / forward)."""
    requests = R(net, reader)
    record = requests.get(rid)["record"]
    content = {k: record.get(k) for k in ("area", "requester", "responder", "subject", "questionnaire", "qversion",
                                         "questions", "deadline", "person", "comments")}
    content["attachments"] = requests._attachment_contents(record.get("attachments", []))
    return {**content, **changes}


def _swapped(name: str = "certificate.pdf") -> list[dict[str, str]]:
    return [{"name": name, "content_b64": base64.b64encode(b"a forged certificate").decode()}]


def test_attachments_cannot_be_swapped_on_send_or_forward(network, tmp_path):
    """Mutant: _check_content_unchanged without the comparison of attachment hashes."""
    net = network
    doc = tmp_path / "certificate.pdf"
    doc.write_bytes(b"the genuine certificate")
    message = "the request's content differs from the request (attachments)"
    rid = new_request(net, attachments=[doc])
    net.sync("ie.handler")
    for attachments in (_swapped(), [], _content(net, rid, "ie.handler")["attachments"] * 2):
        content = _content(net, rid, "ie.handler", attachments=attachments)
        refused(push(net, "ie.handler", "request.sent", {"request": content}, rid), "invalid", message)
    accepted(push(net, "ie.handler", "request.sent", {"request": _content(net, rid, "ie.handler")}, rid))
    net.sync("ie.handler", "hu.handler")
    hop = {"from": "HU-AUTH", "to": "DE-AUTH"}
    content = _content(net, rid, "hu.handler", responder="DE-AUTH", attachments=_swapped())
    refused(push(net, "hu.handler", "request.forwarded", {**hop, "request": content}, rid), "invalid", message)
    content = _content(net, rid, "hu.handler", responder="DE-AUTH")
    accepted(push(net, "hu.handler", "request.forwarded", {**hop, "request": content}, rid))


def test_the_reopen_window_is_judged_by_the_hubs_clock_not_the_events_time(network, monkeypatch):
    """Mutant: lifecycle._check_extra given the event's own `at` instead of the hub's now. An
    event's time is its author's (offline work), so a node could backdate a late reopening."""
    net = network
    rid = answered(net)
    R(net, "ie.handler").close(rid, 4, 4)
    net.sync("ie.handler")
    closed_at = clock.parse_instant(R(net, "ie.handler").get(rid)["closed_at"])
    backdated = clock.iso(closed_at + dt.timedelta(days=1))
    monkeypatch.setenv("IMI_NOW", clock.iso(closed_at + dt.timedelta(days=31)))
    refused(push(net, "ie.handler", "request.reopened", {"reason": "late"}, rid, at=backdated),
            "illegal_transition", "a request can be reopened only within 30 days of closure")
    monkeypatch.setenv("IMI_NOW", clock.iso(closed_at + dt.timedelta(days=29)))
    accepted(push(net, "ie.handler", "request.reopened", {"reason": "in time"}, rid, at=backdated))


# -- a directory import is one transaction ------------------------------------------------------------

def test_a_directory_import_that_fails_part_way_leaves_nothing(hub, net, monkeypatch):
    """Mutant: directory/importing.py::Import._write committing each record (or chunk) on its own:
    an import that fails after some records must leave none of them, nor anything to push."""
    from imi_cli.directory import importing as authorities
    from imi_cli.directory.authorities import Directory

    hu = net.coordinator("HU")
    before = (hu.query("SELECT count(*) FROM authorities")[0][0], hu.query("SELECT count(*) FROM outbox")[0][0])
    real, written = authorities.append, []

    def failing_after_three(conn, events, **kw):
        real(conn, events, **kw)
        written.extend(events)
        if len(written) >= 3:
            raise OSError("disk full")

    monkeypatch.setattr(authorities, "append", failing_after_three)
    rows = [("t", {"id": f"HU-IMP{i}", "country": "HU", "names": {"hu": f"Hatóság {i}"}, "languages": "hu",
                   "areas": "services", "email": f"i{i}@example.hu"}) for i in range(5)]
    with pytest.raises(OSError, match="^disk full$"):
        Directory(hu).register_authorities(rows)
    assert written, "the injected failure did not happen"
    assert (hu.query("SELECT count(*) FROM authorities")[0][0], hu.query("SELECT count(*) FROM outbox")[0][0]) \
        == before
    assert not hu.query("SELECT 1 FROM events WHERE type = 'authority.registered' AND body LIKE '%HU-IMP%'")
    monkeypatch.setattr(authorities, "append", real)
    assert sorted(Directory(hu).register_authorities(rows).created) == [f"HU-IMP{i}" for i in range(5)]
    assert sync(hu).accepted == 5


# -- questionnaires: P001 ------------------------------------------------------------------------------

def test_p001_finds_a_placeholder_the_source_does_not_have(repo_root):
    """Mutant: check_placeholders reporting only missing placeholders (`expected - found`)."""
    from imi_cli.questionnaires.catalog import check_text

    text = (repo_root / "tests/questionnaires/broken/p001-placeholder.yaml").read_text(encoding="utf-8")
    extra = text.replace("Ist das Diplom von {antragsteller} echt?",
                         "Ist das Diplom von {applicant_name} ({geburtsort}) echt?")
    assert extra != text
    _, findings = check_text(extra, "p001-placeholder.yaml")
    assert [(f.check, f.message) for f in findings] == [
        ("P001", "document_authentic.text.de has {geburtsort} not in the source")]
    same = text.replace("Ist das Diplom von {antragsteller} echt?", "Ist das Diplom von {applicant_name} echt?")
    assert check_text(same, "p001-placeholder.yaml")[1] == []
