"""Every transition of a request, allowed and refused, between stores and a real hub: each
refusal names the state or the role; the hub refuses what a node's own checks would have."""

from __future__ import annotations

import datetime as dt

import pytest

from imi_cli.directory.authorities import Directory
from imi_cli.errors import InvalidInput, Rejected, UsageError
from imi_cli.exchanges.requests import service
from imi_cli.exchanges.requests.render import request_view
from imi_cli.exchanges.requests.service import Requests
from imi_cli.log import clock
from imi_cli.log.event import make_event
from imi_cli.sync.enrolment import client_for
from imi_cli.sync.session import outbox

SET = "services-verify-provider"
ANSWERS = {"legally_established": "no", "authorisation_status": "valid"}


def R(net, name):
    return Requests(net.stores[name])


def new_request(net, frm="ie.handler", to="HU-AUTH", questions=("legally_established", "authorisation_status"),
                **extra):
    return R(net, frm).new(area="services", to=to, questionnaire=SET, questions=list(questions) if questions else None,
                           deadline="2099-01-31", subject="Provider check", person={"provider_name": "Nagy Kft."},
                           **extra)


def sent(net, frm="ie.handler", to="HU-AUTH", reader="hu.handler", **extra):
    rid = new_request(net, frm, to, **extra)
    R(net, frm).send(rid)
    net.sync(frm, reader)
    return rid


def accepted(net, **extra):
    rid = sent(net, **extra)
    R(net, "hu.handler").accept(rid)
    net.sync("hu.handler", "ie.handler")
    return rid


def answered(net, answers=ANSWERS):
    rid = accepted(net)
    R(net, "hu.handler").answer(rid, answers, "hu")
    net.sync("hu.handler", "ie.handler")
    return rid


def refused(call, message, kind=Rejected):
    with pytest.raises(kind) as error:
        call()
    assert error.value.message == message
    return error.value


def events_about(store, rid):
    return [t for (t,) in store.query("SELECT type FROM events WHERE body LIKE ? ORDER BY seq", (f"%{rid}%",))]


def push(net, name, type_, payload, rid):
    """Build, sign and push one request event from ``name``'s store by hand, bypassing the
    node's own checks: from the version the hub holds, to the audience it expects."""
    from imi_cli.exchanges.requests.access import expected_audience
    from imi_cli.log.crypto import Signer
    from imi_cli.log.journal import entity_version

    hub, store = net.hub, net.stores[name]
    entity = f"request/{rid}"
    me = {"user": store.meta("user_id"), "authority": store.meta("authority_id")}
    event = make_event(type_, actor=me, payload=payload, subject={"entity": entity})
    with hub.lock:
        event["subject"]["version"] = entity_version(hub.store.conn, entity)
        event["audience"] = expected_audience(hub.store.conn, event)
    from imi_cli.log import redaction

    event, disclosed = redaction.conceal_for(store.conn, event)  # personal fields as a node conceals them
    event = redaction.wire(Signer(me["user"], store.meta("private_key")).sign_event(event), disclosed)
    with client_for(store) as client:
        return client.push([event])[0]


def hub_refuses(result, reason, message):
    assert (result["status"], result["reason"], result["message"]) == ("rejected", reason, message), result


# -- approval ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def approving(network):
    """MT-APPR requires a supervisor's approval before a request leaves it."""
    net = network
    if "mt.drafter" not in net.stores:
        Directory(net.stores["mt.nco"]).register_authorities([("t", {
            "id": "MT-APPR", "country": "MT", "names": {"mt": "Awtorità MT"}, "languages": "mt;en",
            "areas": "services", "email": "appr@example.mt", "coordinator": "MT-NCO", "requires_approval": True})])
        net.sync("mt.nco")
        net.add_users("mt.nco", "MT-APPR", {"mt.drafter": "request_handler", "mt.super": "supervisor"})
    return net


def test_approval_by_a_supervisor_before_sending(approving):
    net = approving
    rid = new_request(net, "mt.drafter")
    refused(lambda: R(net, "mt.drafter").send(rid), "this request needs a supervisor's approval before it is sent")
    refused(lambda: R(net, "mt.drafter").approve(rid),
            "to approve a request you need the role supervisor or coordinator in services")
    net.sync("mt.drafter", "mt.super")
    # the hub refuses a send that skips the approval, whatever the node says
    content = {**_content(net, rid, "mt.drafter"), "responder": R(net, "mt.drafter").get(rid)["responder"]}
    hub_refuses(push(net, "mt.drafter", "request.sent", {"request": content}, rid), "illegal_transition",
                "this request needs a supervisor's approval before it is sent")
    R(net, "mt.super").approve(rid)
    net.sync("mt.super", "mt.drafter")
    assert R(net, "mt.drafter").get(rid)["record"]["approved"] is True
    R(net, "mt.drafter").send(rid)
    net.sync("mt.drafter", "hu.handler")
    assert [o["state"] for o in outbox(net.stores["mt.drafter"]) if o["type"] == "request.sent"][-1] == "accepted"
    assert R(net, "hu.handler").get(rid)["state"] == "sent"
    # once sent, nobody approves
    net.sync("mt.super")
    refused(lambda: R(net, "mt.super").approve(rid), "cannot approve a request that is sent")


def test_approval_by_the_coordinator_above_the_requester(approving):
    net = approving
    rid = new_request(net, "mt.drafter")
    net.sync("mt.drafter", "mt.nco")  # a draft reaches the coordinators above its authority, no one else
    assert R(net, "mt.nco").get(rid)["state"] == "draft"
    R(net, "mt.nco").approve(rid)
    net.sync("mt.nco", "mt.drafter")
    R(net, "mt.drafter").send(rid)
    net.sync("mt.drafter")
    assert [o["state"] for o in outbox(net.stores["mt.drafter"]) if o["type"] == "request.sent"][-1] == "accepted"


def test_no_approval_needed_where_the_authority_does_not_ask_for_it(network):
    rid = new_request(network)
    R(network, "ie.handler").send(rid)
    network.sync("ie.handler")
    assert outbox(network.stores["ie.handler"])[-1]["state"] == "accepted"


# -- accepting, deadlines ---------------------------------------------------------------------

def test_deadline_proposed_then_agreed(network):
    net = network
    rid = sent(net)
    refused(lambda: R(net, "ie.handler").accept(rid), "only the responder (HU-AUTH) may accept this request")
    refused(lambda: R(net, "hu.handler").accept(rid, "2020-01-01"), "the deadline 2020-01-01 is not in the future",
            UsageError)
    R(net, "hu.handler").accept(rid, "2099-03-31")
    net.sync("hu.handler", "ie.handler")
    request = R(net, "ie.handler").get(rid)
    assert (request["state"], request["deadline"], request["proposed_deadline"]) == \
        ("deadline_proposed", "2099-01-31", "2099-03-31")
    refused(lambda: R(net, "hu.handler").answer(rid, ANSWERS, "hu"),
            "cannot answer a request that is deadline proposed")
    refused(lambda: R(net, "hu.handler").agree_deadline(rid, True),
            "only the requester (IE-AUTH) may agree to the deadline of this request")
    R(net, "ie.handler").agree_deadline(rid, True)
    net.sync("ie.handler", "hu.handler")
    request = R(net, "hu.handler").get(rid)
    assert (request["state"], request["deadline"], request["proposed_deadline"]) == ("accepted", "2099-03-31", None)
    refused(lambda: R(net, "ie.handler").agree_deadline(rid, True),
            "cannot agree to the deadline of a request that is accepted")
    refused(lambda: R(net, "hu.handler").accept(rid), "cannot accept a request that is accepted")


def test_deadline_proposed_then_refused_keeps_the_original(network):
    net = network
    rid = sent(net)
    R(net, "hu.handler").accept(rid, "2099-06-30")
    net.sync("hu.handler", "ie.handler")
    R(net, "ie.handler").agree_deadline(rid, False)
    net.sync("ie.handler", "hu.handler")
    for name in ("ie.handler", "hu.handler"):
        request = R(net, name).get(rid)
        assert (request["state"], request["deadline"], request["proposed_deadline"]) == \
            ("accepted", "2099-01-31", None), name
    R(net, "hu.handler").answer(rid, ANSWERS, "hu")
    net.sync("hu.handler")
    assert outbox(net.stores["hu.handler"])[-1]["state"] == "accepted"


# -- forwarding and reassignment ---------------------------------------------------------------

def test_forward_ends_the_forwarders_access(network):
    net = network
    rid = sent(net)
    refused(lambda: R(net, "ie.handler").forward(rid, "DE-AUTH"),
            "only the responder (HU-AUTH) may forward this request")
    R(net, "hu.handler").forward(rid, "DE-AUTH")
    net.sync("hu.handler", "de.handler", "ie.handler", "hu.nco")
    for name in ("de.handler", "ie.handler"):
        request = R(net, name).get(rid)
        assert (request["state"], request["responder"]) == ("sent", "DE-AUTH"), name
        assert [(h["from"], h["to"]) for h in request["record"]["hops"]] == [("HU-AUTH", "DE-AUTH")], name
        assert [h["type"] for h in R(net, name).history(rid)][-1] == "request.forwarded"
    # the new responder works on it; the old one hears nothing more
    R(net, "de.handler").accept(rid)
    R(net, "de.handler").answer(rid, ANSWERS, "de")
    net.sync("de.handler", "ie.handler")
    R(net, "ie.handler").close(rid, 4, 4)
    net.sync("ie.handler", "hu.handler", "hu.nco")
    for name in ("hu.handler", "hu.handler2", "hu.nco"):
        net.sync(name)
        assert events_about(net.stores[name], rid)[-1] == "request.forwarded", name
    # a draft never reaches the responder: it sees the request from its sending, until it passed it on
    assert events_about(net.stores["hu.handler"], rid) == ["request.sent", "request.forwarded"]
    assert R(net, "ie.handler").get(rid)["state"] == "closed"
    refused(lambda: R(net, "hu.handler").accept(rid), "only the responder (DE-AUTH) may accept this request")


def test_forward_only_before_accepting(network):
    rid = accepted(network)
    refused(lambda: R(network, "hu.handler").forward(rid, "DE-AUTH"), "cannot forward a request that is accepted")
    refused(lambda: R(network, "hu.handler").forward(rid, "NOWHERE"),
            "'NOWHERE' is not an authority competent in services", InvalidInput)


@pytest.fixture(scope="module")
def second_hu_authority(network):
    net = network
    Directory(net.stores["hu.nco"]).register_authorities([("t", {
        "id": "HU-AUTH2", "country": "HU", "names": {"hu": "Második hatóság"}, "languages": "hu;en",
        "areas": "services", "email": "b@example.hu", "coordinator": "HU-NCO"})])
    net.sync("hu.nco", "ie.nco", "hu.handler", "ie.handler")
    return net


def test_reassign_only_by_a_coordinator_above_the_responder(second_hu_authority):
    net = second_hu_authority
    rid = accepted(net)
    net.sync("ie.nco", "hu.nco")
    message = "only a coordinator of the responding authority may reassign"
    refused(lambda: R(net, "ie.nco").forward(rid, "HU-AUTH2", reassign=True), message)  # above the requester only
    refused(lambda: R(net, "hu.handler").forward(rid, "HU-AUTH2", reassign=True), message)
    R(net, "hu.nco").forward(rid, "HU-AUTH2", reassign=True)
    net.sync("hu.nco", "ie.handler", "hu.handler")
    request = R(net, "ie.handler").get(rid)
    assert (request["state"], request["responder"], request["accepted_at"]) == ("sent", "HU-AUTH2", None)
    assert events_about(net.stores["hu.handler"], rid)[-1] == "request.reassigned"
    R(net, "ie.handler").withdraw(rid, "settled")
    net.sync("ie.handler", "hu.handler", "hu.nco")
    assert events_about(net.stores["hu.handler"], rid)[-1] == "request.reassigned"
    assert R(net, "hu.nco").get(rid)["state"] == "withdrawn"
    # the hub refuses a reassignment from outside the responder's coordination too
    rid = sent(net)
    net.sync("ie.nco")
    result = push(net, "ie.nco", "request.reassigned", {"to": "HU-AUTH2", "request": _content(net, rid)}, rid)
    hub_refuses(result, "not_allowed", message)


def _content(net, rid, reader="ie.handler"):
    record = R(net, reader).get(rid)["record"]
    content = {k: record.get(k) for k in ("area", "requester", "subject", "questionnaire", "qversion", "questions",
                                         "deadline", "person", "comments")}
    return {**content, "responder": "HU-AUTH2", "attachments": []}


# -- allocation --------------------------------------------------------------------------------

def test_allocation_by_an_allocator_to_users_of_the_authority(network):
    net = network
    rid = sent(net, reader="hu.alloc")
    net.sync("hu.handler")
    refused(lambda: R(net, "hu.alloc").allocate(rid, ["hu.handler"]), "cannot allocate a request that is sent")
    R(net, "hu.handler").accept(rid)
    net.sync("hu.handler", "hu.alloc", "ie.handler")
    refused(lambda: R(net, "hu.handler").allocate(rid, ["hu.handler2"]),
            "to allocate a request you need the role allocator or administrator in services")
    refused(lambda: R(net, "hu.alloc").allocate(rid, ["hu.handler", "ie.handler"]),
            "not users of HU-AUTH: ie.handler", InvalidInput)
    refused(lambda: R(net, "ie.handler").allocate(rid, ["hu.handler"]),
            "only the responder (HU-AUTH) may allocate this request")
    R(net, "hu.alloc").allocate(rid, ["hu.handler", "hu.handler2"])
    net.sync("hu.alloc", "hu.handler2", "ie.handler")
    assert R(net, "hu.handler2").get(rid)["record"]["handlers"] == ["hu.handler", "hu.handler2"]
    assert [h["type"] for h in R(net, "ie.handler").history(rid)][-1] == "request.allocated"
    # a hand-made allocation by someone without the role: the hub says no
    hub_refuses(push(net, "hu.handler", "request.allocated", {"handlers": ["hu.handler"]}, rid), "not_allowed",
                "to allocate a request you need the role allocator or administrator in services")


# -- answers, more information, closing, withdrawal, reopening -----------------------------------

def test_several_rounds_of_more_information_then_close_with_ratings(network):
    net = network
    rid = answered(net)
    ie, hu = R(net, "ie.handler"), R(net, "hu.handler")
    refused(lambda: hu.ask_more(rid, "x", "hu"), "only the requester (IE-AUTH) may ask more about this request")
    refused(lambda: hu.answer(rid, ANSWERS, "hu"), "cannot answer a request that is answered")
    for round_ in (2, 3):
        ie.ask_more(rid, f"Please give the register (round {round_}).", "en")
        net.sync("ie.handler", "hu.handler")
        assert hu.get(rid)["state"] == "info_requested"
        refused(lambda: ie.ask_more(rid, "again", "en"), "cannot ask more about a request that is info requested")
        refused(lambda: ie.close(rid, 5, 5), "cannot close a request that is info requested")
        hu.answer(rid, {"legally_established": "no", "authorisation_status": ("suspended", "withdrawn")[round_ - 2]},
                  "hu")
        net.sync("hu.handler", "ie.handler")
        assert ie.get(rid)["state"] == "answered"
    request = ie.get(rid)
    assert len(request["record"]["answers"]) == 3
    assert [c["text"] for c in request["record"]["comments"]] == [
        "Please give the register (round 2).", "Please give the register (round 3)."]
    refused(lambda: hu.close(rid, 5, 5), "only the requester (IE-AUTH) may close this request")
    refused(lambda: ie.close(rid, 6, 5), "--timeliness is a rating from 1 to 5", UsageError)
    refused(lambda: ie.close(rid, 5, 0), "--quality is a rating from 1 to 5", UsageError)
    hub_refuses(push(net, "ie.handler", "request.closed", {"timeliness": 6, "quality": 5}, rid), "invalid",
                "ratings of timeliness and quality are whole numbers from 1 to 5")
    ie.close(rid, 1, 5)
    net.sync("ie.handler", "hu.handler")
    assert hu.get(rid)["state"] == "closed"
    assert hu.get(rid)["record"]["rating"] == {"timeliness": 1, "quality": 5}
    refused(lambda: ie.close(rid, 5, 5), "cannot close a request that is closed")


def test_withdraw_before_an_answer_not_after(network):
    net = network
    ie = R(net, "ie.handler")
    draft = new_request(net)
    ie.withdraw(draft, "mistake")
    assert ie.get(draft)["state"] == "withdrawn"
    refused(lambda: ie.send(draft), "cannot send a request that is withdrawn")
    rid = sent(net)
    refused(lambda: R(net, "hu.handler").withdraw(rid, "x"), "only the requester (IE-AUTH) may withdraw this request")
    ie.withdraw(rid, "no longer needed")
    net.sync("ie.handler", "hu.handler")
    assert R(net, "hu.handler").get(rid)["state"] == "withdrawn"
    refused(lambda: R(net, "hu.handler").accept(rid), "cannot accept a request that is withdrawn")
    rid = answered(net)
    refused(lambda: ie.withdraw(rid, "too late"), "cannot withdraw a request that is answered")
    hub_refuses(push(net, "ie.handler", "request.withdrawn", {"reason": "too late"}, rid), "illegal_transition",
                "cannot withdraw a request that is answered")


def test_reopen_within_30_days_of_closure_not_after(network, monkeypatch):
    net = network
    ie, hu = R(net, "ie.handler"), R(net, "hu.handler")
    rid = answered(net)
    refused(lambda: ie.reopen(rid, "x"), "cannot reopen a request that is answered")
    ie.close(rid, 4, 4)
    net.sync("ie.handler", "hu.handler")
    closed_at = clock.parse_instant(ie.get(rid)["closed_at"])
    monkeypatch.setenv("IMI_NOW", clock.iso(closed_at + dt.timedelta(days=30, minutes=1)))
    refused(lambda: ie.reopen(rid, "late"), "a request can be reopened only within 30 days of closure")
    hub_refuses(push(net, "ie.handler", "request.reopened", {"reason": "late"}, rid), "illegal_transition",
                "a request can be reopened only within 30 days of closure")
    monkeypatch.setenv("IMI_NOW", clock.iso(closed_at + dt.timedelta(days=29, hours=23)))
    refused(lambda: hu.reopen(rid, "x"), "only the requester (IE-AUTH) may reopen this request")
    ie.reopen(rid, "the register entry changed")
    net.sync("ie.handler", "hu.handler")
    assert hu.get(rid)["state"] == "reopened"
    hu.answer(rid, {"legally_established": "no", "authorisation_status": "withdrawn"}, "hu")
    net.sync("hu.handler", "ie.handler")
    assert ie.get(rid)["state"] == "answered"
    assert [q["answer"] for q in request_view(ie.get(rid), ie.history(rid), "en")["questions"]] == ["No", "Withdrawn"]


# -- two handlers at once ----------------------------------------------------------------------

def _race(net):
    """hu.handler and hu.handler2 both answer from the same version; hu.handler syncs first."""
    rid = accepted(net)
    net.sync("hu.handler", "hu.handler2")
    first, second = R(net, "hu.handler"), R(net, "hu.handler2")
    first.answer(rid, {"legally_established": "no", "authorisation_status": "valid"}, "hu")
    second.answer(rid, {"legally_established": "no", "authorisation_status": "suspended"}, "hu")
    net.sync("hu.handler")
    net.sync("hu.handler2")
    with net.hub.lock:
        at_hub = net.hub.store.query("SELECT count(*) FROM events WHERE type = 'request.answered' AND body LIKE ?",
                                     (f"%{rid}%",))[0][0]
    assert at_hub == 1
    mine = [o for o in outbox(net.stores["hu.handler"]) if o["type"] == "request.answered"]
    theirs = [o for o in outbox(net.stores["hu.handler2"]) if o["type"] == "request.answered"]
    assert mine[-1]["state"] == "accepted"
    assert theirs[-1]["state"] == "rejected"
    return rid, first, second, theirs[-1]


def test_two_handlers_answer_from_the_same_version(network):
    rid, first, second, _ = _race(network)
    # the loser's store now holds the winner's answer, exactly as the winner's does
    winner, loser = first.get(rid), second.get(rid)
    for key in ("state", "deadline", "answered_at", "responder"):
        assert loser[key] == winner[key], key
    assert loser["record"]["answers"] == winner["record"]["answers"]
    assert loser["record"]["answers"][-1]["values"]["authorisation_status"] == "valid"
    assert second.history(rid) == first.history(rid)


def test_the_losing_handler_is_told_stale(network):
    _, _, _, lost = _race(network)
    assert lost["reason"] == "stale"


# -- the hub refuses what bypasses a node's checks ------------------------------------------------

def test_hub_refuses_steps_that_bypass_the_node(network):
    net = network
    rid = sent(net, reader="de.handler")
    hub_refuses(push(net, "ie.handler", "request.accepted", {}, rid), "not_allowed",
                "only the responder (HU-AUTH) may accept this request")
    hub_refuses(push(net, "ie.handler", "request.closed", {"timeliness": 3, "quality": 3}, rid),
                "illegal_transition", "cannot close a request that is sent")
    # a third authority is told nothing about the request, not even who its parties are
    hub_refuses(push(net, "de.handler", "request.accepted", {}, rid), "not_allowed",
                f"request/{rid} is not a request your authority takes part in")
    hub_refuses(push(net, "de.handler", "request.accepted", {}, "0192aaaa-0000-7000-8000-000000000000"),
                "not_allowed", "request/0192aaaa-0000-7000-8000-000000000000 is not a request your authority "
                "takes part in")
    hub_refuses(push(net, "ie.other", "request.withdrawn", {"reason": "x"}, rid), "not_allowed",
                "to withdraw a request you need the role request_handler in services")
    assert push(net, "hu.handler", "request.accepted", {}, rid)["status"] == "accepted"
    hub_refuses(push(net, "hu.alloc", "request.answered", {"answers": ANSWERS, "lang": "hu"}, rid), "not_allowed",
                "to answer a request you need the role request_handler in services")
    result = push(net, "hu.handler", "request.answered", {"answers": {"legally_established": "maybe"}, "lang": "hu"},
                  rid)
    assert (result["status"], result["reason"]) == ("rejected", "invalid")
    assert result["message"].startswith("the answers do not fit the question set")
    result = push(net, "hu.handler", "request.answered", {"answers": {"not_asked": "yes", **ANSWERS}, "lang": "hu"},
                  rid)
    assert (result["status"], result["reason"]) == ("rejected", "invalid")
    hub_refuses(push(net, "hu.handler", "request.reminder", {"kind": "inactive", "key": "x"}, rid),
                "not_allowed", "only the hub makes reminders")
    assert push(net, "hu.handler", "request.answered", {"answers": ANSWERS, "lang": "hu"}, rid)["status"] == "accepted"


# -- attachments -------------------------------------------------------------------------------

def test_attachments_are_stored_encrypted_with_hash_and_size(network, tmp_path, monkeypatch):
    import hashlib

    net = network
    marker = b"ATTACHMENT-PLAINTEXT-" + bytes(range(32)) * 4
    doc = tmp_path / "certificate.pdf"
    doc.write_bytes(marker)
    rid = sent(net, attachments=[doc])
    reply = tmp_path / "extract.txt"
    reply.write_bytes(b"REGISTER-EXTRACT-PLAINTEXT")
    R(net, "hu.handler").accept(rid)
    R(net, "hu.handler").answer(rid, ANSWERS, "hu", attachments=[reply])
    net.sync("hu.handler", "ie.handler")
    expected = {"name": "certificate.pdf", "size": len(marker), "sha256": hashlib.sha256(marker).hexdigest()}
    for name in ("ie.handler", "hu.handler"):
        store = net.stores[name]
        request = R(net, name).get(rid)
        assert request["record"]["attachments"] == [expected], name
        assert store.query("SELECT size, content FROM request_attachments WHERE sha256 = ?",
                           (expected["sha256"],)) == [(len(marker), marker)]
        answer = request["record"]["answers"][-1]["attachments"]
        assert answer == [{"name": "extract.txt", "size": 26,
                           "sha256": hashlib.sha256(b"REGISTER-EXTRACT-PLAINTEXT").hexdigest()}]
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        raw = b"".join(p.read_bytes() for p in store.path.parent.glob(store.path.name + "*"))
        assert b"ATTACHMENT-PLAINTEXT" not in raw and b"REGISTER-EXTRACT-PLAINTEXT" not in raw, name
    monkeypatch.setattr(service, "MAX_ATTACHMENT", 100)
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * 101)
    refused(lambda: new_request(net, attachments=[big]), f"{big}: 101 bytes is over the attachment limit of 100",
            InvalidInput)


# -- each side in its own language ---------------------------------------------------------------

LANGUAGE_PAIRS = [
    # requester, its language, responder store, responder authority, its language, expected labels
    ("ie.handler", "en", "hu.handler", "HU-AUTH", "hu",
     {"en": ("Is Nagy Kft. legally established in your Member State?", ["Yes", "No"], "Yes", "Valid"),
      "hu": ("Jogszerűen letelepedett-e Nagy Kft. az Ön tagállamában?", ["Igen", "Nem"], "Igen", "Érvényes")},
     "Cg. 01-09-123456", "Építészeti tervezés és műszaki tanácsadás"),
    ("de.handler", "de", "mt.handler", "MT-AUTH", "mt",
     {"de": ("Ist Nagy Kft. in Ihrem Mitgliedstaat rechtmäßig niedergelassen?", ["Ja", "Nein"], "Ja", "Gültig"),
      "mt": ("Il-fornitur Nagy Kft. huwa stabbilit legalment", ["Iva", "Le"], "Iva", "Valida")},
     "C 12345", "Servizzi ta' arkitettura"),
    ("hu.handler", "hu", "ie.handler", "IE-AUTH", "en",
     {"hu": ("Jogszerűen letelepedett-e Nagy Kft. az Ön tagállamában?", ["Igen", "Nem"], "Igen", "Érvényes"),
      "en": ("Is Nagy Kft. legally established in your Member State?", ["Yes", "No"], "Yes", "Valid")},
     "IE-998877", "Architectural design services"),
]


@pytest.mark.parametrize("asker, ask_lang, answerer, to, answer_lang, labels, number, activities", LANGUAGE_PAIRS,
                         ids=["en-hu", "de-mt", "hu-en"])
def test_each_side_reads_in_its_own_language(network, asker, ask_lang, answerer, to, answer_lang, labels, number,
                                             activities):
    net = network
    asking, answering = R(net, asker), R(net, answerer)
    rid = asking.new(area="services", to=to, questionnaire=SET,
                     questions=["legally_established", "registration_number", "authorised_activities",
                                "authorisation_status"],
                     deadline="2099-01-31", subject="Provider check", person={"provider_name": "Nagy Kft."},
                     comment=f"comment written in {ask_lang}", lang=ask_lang)
    asking.send(rid)
    net.sync(asker, answerer)
    text, options, _, _ = labels[answer_lang]
    seen = request_view(answering.get(rid), answering.history(rid), answer_lang)
    assert seen["questions"][0]["text"].startswith(text)
    assert [o["label"] for o in seen["questions"][0]["options"]] == options
    assert seen["comments"][0]["lang"] == ask_lang  # free text keeps the language it was written in
    answering.accept(rid)
    answering.answer(rid, {"legally_established": "yes", "registration_number": number,
                           "authorised_activities": activities, "authorisation_status": "valid"}, answer_lang)
    net.sync(answerer, asker)
    for viewer_lang in (ask_lang, answer_lang):  # `--lang` switches: the same answer in either language
        _, _, yes, valid = labels[viewer_lang]
        shown = request_view(asking.get(rid), asking.history(rid), viewer_lang)
        assert [q["answer"] for q in shown["questions"]] == [
            yes, f"[{answer_lang}] {number}", f"[{answer_lang}] {activities}", valid], viewer_lang
    stored = asking.get(rid)["record"]["answers"][-1]["values"]
    assert stored["legally_established"] == "yes" and stored["authorisation_status"] == "valid"  # language-neutral
    assert stored["authorised_activities"] == {"text": activities, "lang": answer_lang}
