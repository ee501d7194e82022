"""A request through its life between stores and a real hub; each side in its own language."""

from __future__ import annotations

import pytest

from imi_cli.errors import InvalidInput, NotFound, Rejected
from imi_cli.exchanges.requests.render import request_view
from imi_cli.exchanges.requests.service import Requests
from imi_cli.exchanges.requests.views import inbox

SET = "services-verify-provider"


def new_request(net, to="HU-AUTH", **extra):
    return Requests(net.stores["ie.handler"]).new(
        area="services", to=to, questionnaire=SET, questions=["legally_established", "authorisation_status"],
        deadline="2099-01-31", subject="Provider check", person={"provider_name": "Nagy Kft."}, **extra)


def test_request_round_trip_in_two_languages(network):
    net = network
    ie, hu = Requests(net.stores["ie.handler"]), Requests(net.stores["hu.handler"])
    rid = new_request(net)
    ie.send(rid)
    net.sync("ie.handler", "hu.handler")
    assert [i["action"] for i in inbox(net.stores["hu.handler"].conn, "HU-AUTH")
            if i["id"] == rid] == ["accept or forward"]
    view_hu = request_view(hu.get(rid), hu.history(rid), "hu")
    assert view_hu["questions"][0]["text"].startswith("Jogszerűen letelepedett-e Nagy Kft.")
    assert [o["label"] for o in view_hu["questions"][0]["options"]] == ["Igen", "Nem"]
    hu.accept(rid)
    hu.answer(rid, {"legally_established": "yes", "authorisation_status": "suspended"}, "hu")
    net.sync("hu.handler", "ie.handler")
    view_en = request_view(ie.get(rid), ie.history(rid), "en")
    assert [q.get("answer") for q in view_en["questions"]][:2] == ["Yes", "Suspended"]
    assert ie.get(rid)["state"] == "answered"
    ie.close(rid, 5, 4)
    net.sync("ie.handler")
    assert ie.get(rid)["state"] == "closed"


def test_refusals_name_the_current_state(network):
    net = network
    ie = Requests(net.stores["ie.handler"])
    rid = new_request(net)
    with pytest.raises(Rejected) as refused:
        ie.close(rid, 3, 3)
    assert refused.value.message == "cannot close a request that is draft"
    with pytest.raises(NotFound, match=f"^no request '{rid}' here$"):  # a draft never leaves its authority
        Requests(net.stores["hu.handler"]).accept(rid)
    ie.send(rid)
    net.sync()
    with pytest.raises(Rejected) as refused:
        Requests(net.stores["hu.handler"]).answer(rid, {"legally_established": "yes",
                                                        "authorisation_status": "valid"}, "hu")
    assert refused.value.message == "cannot answer a request that is sent"
    with pytest.raises(Rejected) as refused:
        Requests(net.stores["hu.alloc"]).answer(rid, {}, "hu")
    assert refused.value.message == "cannot answer a request that is sent"
    Requests(net.stores["hu.handler"]).accept(rid)
    net.sync("hu.handler", "hu.alloc")
    with pytest.raises(Rejected) as refused:
        Requests(net.stores["hu.alloc"]).answer(rid, {"legally_established": "yes",
                                                      "authorisation_status": "valid"}, "hu")
    assert refused.value.message == "to answer a request you need the role request_handler in services"
    net.sync("ie.handler")
    ie.withdraw(rid, "no longer needed")  # withdrawal is allowed before an answer
    net.sync("ie.handler", "hu.handler")
    assert Requests(net.stores["hu.handler"]).get(rid)["state"] == "withdrawn"


def test_answers_are_checked_against_the_set(network):
    net = network
    ie, hu = Requests(net.stores["ie.handler"]), Requests(net.stores["hu.handler"])
    rid = new_request(net)
    ie.send(rid)
    net.sync("ie.handler", "hu.handler")
    hu.accept(rid)
    with pytest.raises(InvalidInput) as bad:
        hu.answer(rid, {"legally_established": "maybe"}, "hu")
    assert [p.field for p in bad.value.problems] == ["legally_established", "authorisation_status"]


def test_a_third_authority_learns_nothing(network):
    net = network
    ie = Requests(net.stores["ie.handler"])
    rid = new_request(net)
    ie.send(rid)
    net.sync()
    for name in ("de.handler", "mt.handler", "de.nco"):
        rows = net.stores[name].query("SELECT count(*) FROM events WHERE body LIKE ?", (f"%{rid}%",))
        assert rows[0][0] == 0, name
    # the coordinators above both sides do see it
    for name in ("ie.nco", "hu.nco"):
        assert net.stores[name].query("SELECT state FROM requests WHERE id = ?", (rid,)) == [("sent",)]




def test_a_large_attachment_travels_in_its_own_push(network, tmp_path):
    import hashlib
    import os

    from imi_cli.sync.session import outbox

    net = network
    document = tmp_path / "diploma.pdf"
    document.write_bytes(os.urandom(3_500_000))  # two events carry it: over 8 MB in one push
    rid = new_request(net, attachments=[document])
    Requests(net.stores["ie.handler"]).send(rid)
    net.sync("ie.handler", "hu.handler")
    mine = [o for o in outbox(net.stores["ie.handler"]) if rid in o["id"] or o["type"].startswith("request.")]
    assert all(o["state"] == "accepted" for o in mine)
    received = Requests(net.stores["hu.handler"]).get(rid)["record"]["attachments"]
    assert received == [{"name": "diploma.pdf", "size": 3_500_000,
                         "sha256": hashlib.sha256(document.read_bytes()).hexdigest()}]


def test_the_subject_keeps_the_language_it_is_written_in(network):
    """`request new` records the content language with the subject; it travels with the request
    to the responder, and the tables read it for the " [de]" tag."""
    from imi_cli.exchanges.requests.views import subject_langs

    net = network
    ie, hu = Requests(net.stores["ie.handler"]), Requests(net.stores["hu.handler"])
    rid = new_request(net, lang="de")
    assert ie.get(rid)["subject_lang"] == "de"
    ie.send(rid)
    net.sync("ie.handler", "hu.handler")
    assert hu.get(rid)["subject_lang"] == "de"
    assert subject_langs(net.stores["hu.handler"].conn, [rid, "no-such-request"]) == {rid: "de"}


def test_a_refusal_carries_its_english_template_and_values(network):
    """The lifecycle's refusal is a whole sentence per step; its English template and the values
    it names are what a hub's refusal carries (for a node to say in its user's language)."""
    net = network
    rid = new_request(net)
    with pytest.raises(Rejected) as refused:
        Requests(net.stores["ie.handler"]).close(rid, 3, 3)
    assert (refused.value.template, refused.value.fields) == ("cannot close a request that is {state}",
                                                              {"state": "draft"})
    assert refused.value.hint == "what can be done now: approve, send, withdraw"
