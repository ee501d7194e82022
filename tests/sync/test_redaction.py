"""Redactable personal data between two nodes and a real hub: personal values travel as
disclosures beside signed bodies; the hub refuses a changed one at push, a node at pull; the
hub withholds what a rule says a reader may not see; erasure reaches every node, and every
stored log still verifies end to end."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from imi_cli.demo.network import _sync
from imi_cli.errors import InvalidInput
from imi_cli.exchanges.requests.access import expected_audience
from imi_cli.exchanges.requests.render import as_text, request_view
from imi_cli.exchanges.requests.service import Requests
from imi_cli.hub import disclosures as hub_disclosures
from imi_cli.log import disclosures as sd
from imi_cli.log import redaction
from imi_cli.log.crypto import Signer
from imi_cli.log.event import make_event
from imi_cli.log.projections import rebuild
from imi_cli.sync.enrolment import client_for
from imi_cli.sync.session import apply_page

NAME, DIPLOMA = "Nagy Béla", b"%PDF-1.7 diploma of Nagy Bela"
DIPLOMA_B64 = base64.b64encode(DIPLOMA).decode()


def _sent(pair: Any, tmp_path: Any) -> str:
    (tmp_path / "diploma.pdf").write_bytes(DIPLOMA)
    ie = Requests(pair.users["IE"])
    rid = ie.new(area="professional-qualifications", to="HU-MEK", questionnaire="pq-verify-qualification",
                 questions=["document_authentic"], deadline="2026-02-20", subject="Check",
                 person={"applicant_name": NAME, "profession": "architect"}, attachments=[tmp_path / "diploma.pdf"])
    ie.send(rid)
    assert _sync(pair.users["IE"]).rejected == []
    _sync(pair.users["HU"])
    return rid


def _bodies(store: Any, rid: str) -> list[str]:
    return [b for (b,) in store.query("SELECT body FROM events WHERE body LIKE ? ORDER BY seq", (f"%{rid}%",))]


def _verified(store: Any, operator_key: str) -> dict:
    report = redaction.verify_log(store.conn, operator_key)
    assert report["problems"] == [], report["problems"]
    return report


def _draft(pair: Any, person: dict) -> tuple[dict, list[str], Any]:
    """A request.drafted made and signed as IE's node makes it, not pushed: (body, disclosures, store)."""
    store = pair.users["IE"]
    me = {"user": store.meta("user_id"), "authority": store.meta("authority_id")}
    content = {"area": "professional-qualifications", "requester": "IE-RIAI", "responder": "HU-MEK",
               "subject": "Check", "questionnaire": "pq-verify-qualification", "qversion": "1.0.0",
               "questions": ["document_authentic"], "deadline": "2026-02-20", "person": person,
               "comments": [], "attachments": []}
    from imi_cli.log.event import uuid7

    entity = f"request/{uuid7()}"
    event = make_event("request.drafted", actor=me, payload={"request": content},
                       subject={"entity": entity, "version": 0})
    with pair.hub.lock:
        event["audience"] = expected_audience(pair.hub.store.conn, event)
    body, disclosed = redaction.conceal_for(store.conn, event)
    return Signer(me["user"], store.meta("private_key")).sign_event(body), disclosed, store


def _push(store: Any, events: list[dict]) -> list[dict]:
    with client_for(store) as client:
        return client.push(events)


def test_personal_values_travel_beside_the_signed_bodies_and_never_in_them(pair, tmp_path):
    rid = _sent(pair, tmp_path)
    hub_bodies = _bodies(pair.hub.store, rid)
    assert hub_bodies and not any(NAME in b or "architect" in b or DIPLOMA_B64 in b for b in hub_bodies)
    for store in pair.users.values():
        assert not any(NAME in b or DIPLOMA_B64 in b for b in _bodies(store, rid))
    # the hub keeps the disclosures, and the reader's node folds them into what it shows
    assert pair.hub.store.query("SELECT count(*) FROM disclosures WHERE entity = ?", (f"request/{rid}",))[0][0] > 0
    hu = Requests(pair.users["HU"])
    view = request_view(hu.get(rid), hu.history(rid), "en")
    assert view["person"]["applicant_name"] == NAME
    assert view["attachments"][0]["size"] == len(DIPLOMA)
    # sending carried the draft's content on with the draft's own disclosures: the same digests
    drafted, sent = (json.loads(b) for b in _bodies(pair.users["IE"], rid)[:2])
    assert [drafted["type"], sent["type"]] == ["request.drafted", "request.sent"]
    assert drafted["payload"]["request"]["person"] == sent["payload"]["request"]["person"]
    _verified(pair.hub.store, pair.hub.operator_public_key)
    for store in pair.users.values():
        _verified(store, store.meta("operator_key"))


def test_the_hub_refuses_a_changed_disclosure_or_personal_data_in_plain(pair):
    body, disclosed, store = _draft(pair, {"applicant_name": NAME, "profession": "architect"})
    salt, key, _ = sd.parse_disclosure(disclosed[0])
    changed = [sd.make_disclosure(key, "Kovács Anna", salt=salt), *disclosed[1:]]
    results = _push(store, [{**body, "disclosures": changed}])
    assert (results[0]["status"], results[0]["reason"]) == ("rejected", "bad_disclosure")
    for hostile in ("%%%", 7, sd.make_disclosure("applicant_name", NAME), "A" * 100_000):
        (result,) = pair.hub.accept([{**body, "disclosures": [*disclosed, hostile]}], store.meta("user_id"))
        assert (result["status"], result["reason"]) == ("rejected", "bad_disclosure"), hostile
    (result,) = pair.hub.accept([{**body, "disclosures": "not a list"}], store.meta("user_id"))
    assert result["reason"] == "bad_disclosure"
    # a node that signs the name itself, in plain, is refused too
    plain, _, _ = _draft(pair, {})
    plain = json.loads(json.dumps(plain))
    plain["payload"]["request"]["person"] = {"applicant_name": NAME}
    plain = Signer(store.meta("user_id"), store.meta("private_key")).sign_event(plain)
    (result,) = _push(store, [plain])
    assert (result["status"], result["reason"]) == ("rejected", "invalid")
    assert "personal data in plain: payload.request.person.applicant_name" in result["message"]
    # the honest event, with a field withheld by its own author, verifies and is accepted
    (result,) = _push(store, [{**body, "disclosures": disclosed}])
    assert result["status"] == "accepted", result


def test_a_node_refuses_a_changed_disclosure_at_pull(pair, tmp_path):
    rid = _sent(pair, tmp_path)
    hu = pair.users["HU"]
    rows = pair.hub.events_for("HU-MEK", 0, 10_000)
    page = [{"seq": seq, "event": json.loads(text)} for seq, text in rows]
    mine = [item for item in page if item["event"].get("disclosures") and rid in item["event"]["subject"]["entity"]]
    assert mine
    event = mine[0]["event"]
    salt, key, _ = sd.parse_disclosure(event["disclosures"][0])
    event["disclosures"][0] = sd.make_disclosure(key, "someone else", salt=salt)
    cursor = hu.meta("cursor")
    hu.conn.execute("DELETE FROM events WHERE id = ?", (event["id"],))  # as if it had never come
    with pytest.raises(InvalidInput, match="carries a disclosure that does not match it"):
        apply_page(hu, [mine[0]])
    assert hu.meta("cursor") == cursor


def test_the_hub_withholds_what_a_rule_says_a_reader_may_not_see(pair, tmp_path, monkeypatch):
    def need_to_know(recipient: str | None, event: dict, key: str) -> bool:
        return not (recipient == "HU-MEK" and key in ("applicant_name", "content_b64"))

    monkeypatch.setattr(hub_disclosures, "may_see", need_to_know)
    rid = _sent(pair, tmp_path)
    hu = Requests(pair.users["HU"])
    view = request_view(hu.get(rid), hu.history(rid), "en")
    assert "applicant_name" not in view["person"]
    assert view["person"]["field 1"] == "[withheld]" and view["person"]["profession"]
    text = as_text(view)
    assert "[withheld]" in text and "attachment: diploma.pdf [withheld]" in text and NAME not in text
    assert hu.store.query("SELECT count(*) FROM request_attachments WHERE content = ?", (DIPLOMA,))[0][0] == 0
    _verified(pair.users["HU"], pair.users["HU"].meta("operator_key"))  # signatures hold without them
    # the requester (who wrote it) still has everything
    ie = Requests(pair.users["IE"])
    assert request_view(ie.get(rid), ie.history(rid), "en")["person"]["applicant_name"] == NAME


def test_an_erasure_on_the_hub_reaches_the_nodes_and_every_log_still_verifies(pair, tmp_path):
    rid = _sent(pair, tmp_path)
    Requests(pair.users["HU"]).accept(rid)
    _sync(pair.users["HU"])
    before = _bodies(pair.hub.store, rid)
    erased = hub_disclosures.erase_entity(pair.hub, f"request/{rid}")
    assert erased and sum(len(d) for d in erased.values()) >= 3  # two person fields and the file, at least
    assert _bodies(pair.hub.store, rid)[:len(before)] == before  # bodies and signatures untouched
    report = _verified(pair.hub.store, pair.hub.operator_public_key)
    assert report["erased"] >= 3
    for name in ("HU", "IE"):
        store = pair.users[name]
        assert _sync(store).pulled >= 1
        held = store.query("SELECT count(*) FROM disclosures WHERE entity = ? AND disclosure IS NOT NULL",
                           (f"request/{rid}",))[0][0]
        assert held == 0, name
        requests = Requests(store)
        view = request_view(requests.get(rid), requests.history(rid), "en")
        assert NAME not in json.dumps(view, ensure_ascii=False)
        assert list(view["person"].values()).count("[erased]") == 2, view["person"]
        assert "attachment: diploma.pdf [erased]" in as_text(view)
        assert view["state"] == "accepted"  # the exchange itself is still all there
        assert store.query("SELECT count(*) FROM request_attachments WHERE content = ?", (DIPLOMA,))[0][0] == 0
        # rebuilding from the log reveals from the stored disclosures: erased stays erased
        rebuild(store)
        assert NAME not in json.dumps(Requests(store).get(rid), ensure_ascii=False)
        _verified(store, store.meta("operator_key"))


def test_a_node_erases_its_own_copy_and_a_rebuild_keeps_it_erased(pair, tmp_path):
    rid = _sent(pair, tmp_path)
    ie = pair.users["IE"]
    with ie.transaction() as conn:
        erased = redaction.erase(conn, entity=f"request/{rid}")
    assert erased
    assert NAME not in json.dumps(Requests(ie).get(rid), ensure_ascii=False)
    rebuild(ie)
    record = Requests(ie).get(rid)["record"]
    assert record["person"] == {"_erased": 2}
    _verified(ie, ie.meta("operator_key"))
    # a disclosure changed in the store is caught by the end-to-end check
    hu = pair.users["HU"]
    (event_id, digest, text), *_ = hu.query("SELECT event_id, digest, disclosure FROM disclosures "
                                            "WHERE entity = ? AND disclosure IS NOT NULL", (f"request/{rid}",))
    salt, key, _ = sd.parse_disclosure(text)
    with hu.transaction() as conn:
        conn.execute("UPDATE disclosures SET disclosure = ? WHERE event_id = ? AND digest = ?",
                     (sd.make_disclosure(key, "forged", salt=salt), event_id, digest))
    problems = redaction.verify_log(hu.conn, hu.meta("operator_key"))["problems"]
    assert {"event": event_id, "digest": digest, "problem": "changed_disclosure"} in problems


def test_personal_answers_are_concealed_and_shown_to_the_requester(pair, tmp_path):
    rid = _sent(pair, tmp_path)
    hu = Requests(pair.users["HU"])
    hu.accept(rid)
    hu.answer(rid, _an_answer(pair, rid), "hu")
    assert _sync(pair.users["HU"]).rejected == []
    _sync(pair.users["IE"])
    answered = [json.loads(b) for b in _bodies(pair.hub.store, rid) if '"request.answered"' in b][0]
    assert set(answered["payload"]["answers"]) == {"_sd"}
    ie = Requests(pair.users["IE"])
    view = request_view(ie.get(rid), ie.history(rid), "en")
    assert view["questions"][0]["answer"] not in ("[withheld]", "[erased]", None)


def _an_answer(pair: Any, rid: str) -> dict:
    from imi_cli.questionnaires.catalog import find_set

    qset = find_set("pq-verify-qualification")
    question = qset.question("document_authentic")
    return {"document_authentic": qset.options(question)[0].code}
