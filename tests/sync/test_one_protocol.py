"""One protocol for node and hub: what the hub would refuse, the node refuses at once with the
same reason; the hub expands audience groups and stores the expanded set; spending an
invitation is an event, so a rebuilt hub keeps it spent."""

from __future__ import annotations

import json
from typing import Any

import pytest

from imi_cli.directory.authorities import Directory
from imi_cli.errors import InvalidInput, RefusedRecords, Rejected
from imi_cli.log.crypto import Signer, code_hash, new_private_key, public_key_of
from imi_cli.log.event import make_event, uuid7
from imi_cli.log.journal import append, entity_version
from imi_cli.log.projections import rebuild
from imi_cli.sync.enrolment import client_for

IE_AUTHORITY = {"id": "IE-NEW", "country": "IE", "names": {"en": "New"}, "languages": "en",
                "areas": "services", "email": "new@example.ie"}


def _hand_signed(pair: Any, store: Any, type_: str, payload: dict, entity: str, audience: list[str]) -> dict:
    """An event signed by the store's key without the node's own checks."""
    me = {"user": store.meta("user_id"), "authority": store.meta("authority_id")}
    with pair.hub.lock:
        version = entity_version(pair.hub.store.conn, entity)
    event = make_event(type_, actor=me, payload=payload, subject={"entity": entity, "version": version},
                       audience=audience)
    return Signer(me["user"], store.meta("private_key")).sign_event(event)


def _push(store: Any, event: dict) -> dict:
    with client_for(store) as client:
        (result,) = client.push([event])
    return result


def _pending(store: Any) -> int:
    return store.query("SELECT count(*) FROM outbox WHERE state = 'pending'")[0][0]


def test_the_node_refuses_at_once_with_the_hubs_own_reason(pair):
    from imi_cli.directory.records import check_authority

    hu = pair.coords["HU"]
    before, pending = Directory(hu).count(), _pending(hu)
    with pytest.raises(RefusedRecords) as refused:
        Directory(hu).register_authorities([("ie.csv:2", IE_AUTHORITY)])
    (problem,) = refused.value.problems
    assert problem.where == "ie.csv:2" and refused.value.exit_code == 10
    assert (Directory(hu).count(), _pending(hu)) == (before, pending)  # nothing written, nothing queued
    # the very event, signed and pushed past the node's checks: the hub says the same
    record = check_authority(IE_AUTHORITY, "t", [])
    result = _push(hu, _hand_signed(pair, hu, "authority.registered", {"authority": record}, "authority/IE-NEW", ["*"]))
    assert result["status"] == "rejected"
    assert problem.message == f"{result['reason']}: {result['message']}"
    assert result["reason"] == "not_allowed" and "may not register authorities in IE" in result["message"]


def test_an_offline_import_is_refused_whole_with_every_refused_record_named(pair, tmp_path):
    hu = pair.coords["HU"]
    rows = tmp_path / "mixed.csv"
    rows.write_text("id,country,name,languages,areas,email\n"
                    "HU-FINE,HU,Jó,hu,services,fine@example.hu\n"
                    "IE-ONE,IE,One,en,services,one@example.ie\n"
                    "IE-TWO,IE,Two,en,services,two@example.ie\n", encoding="utf-8")
    before = Directory(hu).count()
    with pytest.raises(RefusedRecords) as refused:
        Directory(hu).import_authorities(rows)
    assert [p.where for p in refused.value.problems] == [f"{rows}:3", f"{rows}:4"]
    assert Directory(hu).count() == before and _pending(hu) == 0
    # the dry run says the same, and the good row alone goes through
    with pytest.raises(RefusedRecords) as dry:
        Directory(hu).import_authorities(rows, dry_run=True)
    assert [(p.where, p.message) for p in dry.value.problems] == [(p.where, p.message) for p in refused.value.problems]
    rows.write_text("id,country,name,languages,areas,email\nHU-FINE,HU,Jó,hu,services,fine@example.hu\n")
    assert Directory(hu).import_authorities(rows).created == ["HU-FINE"]


@pytest.mark.parametrize("link", ["IE-NCO", "HU-NOBODY", "HU-MEK"])
def test_a_coordinator_link_names_a_coordinator_of_the_same_country(pair, link):
    from imi_cli.directory.records import check_authority

    hu = pair.coords["HU"]
    raw = {"id": "HU-LINKED", "country": "HU", "names": {"hu": "Kötött"}, "languages": "hu", "areas": "services",
           "email": "l@example.hu", "coordinator": link}
    with pytest.raises(InvalidInput) as refused:  # by the record's own checks, or by the rules
        Directory(hu).register_authorities([("t:1", raw)])
    (problem,) = refused.value.problems
    assert problem.field == "coordinator" and problem.where == "t:1"
    record = check_authority(raw, "t", [])
    result = _push(hu, _hand_signed(pair, hu, "authority.registered", {"authority": record}, "authority/HU-LINKED",
                                    ["*"]))
    assert (result["status"], result["reason"]) == ("rejected", "invalid")
    assert "must be a registered coordinator of HU" in result["message"]


def test_a_payload_nested_beyond_its_schema_is_refused_on_both_sides(pair):
    ie = pair.users["IE"]
    deep: dict = {}
    node = deep
    for _ in range(400):
        node["k"] = {}
        node = node["k"]
    payload = {"from": "IE-RIAI", "to": "HU-MEK", "subject": "s", "text": "t", "lang": "en", "extra": deep}
    me = {"user": ie.meta("user_id"), "authority": "IE-RIAI"}
    event = make_event("message.sent", actor=me, payload=payload, subject={"entity": f"message/{uuid7()}"},
                       audience=["HU-MEK", "IE-RIAI"])
    with pytest.raises(Rejected, match="nested deeper than"), ie.transaction() as conn:
        append(conn, [event])
    assert _pending(ie) == 0
    event["subject"]["version"] = 0
    result = _push(ie, Signer(me["user"], ie.meta("private_key")).sign_event(event))
    assert (result["status"], result["reason"]) == ("rejected", "invalid") and "nested deeper" in result["message"]


def test_the_hub_stores_the_expanded_audience_of_group_terms(pair):
    from imi_cli.exchanges.requests.service import Requests

    ie = Requests(pair.users["IE"])
    rid = ie.new(area="professional-qualifications", to="HU-MEK", questionnaire="pq-verify-qualification",
                 questions=["document_authentic"], deadline="2026-02-20", subject="Audience",
                 person={"applicant_name": "Nagy Béla"})
    ie.send(rid)
    from imi_cli.demo.network import _sync

    assert _sync(pair.users["IE"]).rejected == []
    rows = pair.hub.store.query("SELECT e.seq, e.type, e.body FROM events e WHERE e.type LIKE 'request.%' "
                                "AND e.body LIKE ?", (f"%{rid}%",))
    by_type = {t: (seq, json.loads(body)) for seq, t, body in rows}
    seq, sent = by_type["request.sent"]
    # the signed body names the groups; the hub stored who they were when it accepted it
    assert sent["audience"] == sorted(["HU-MEK", "IE-RIAI", "coordinators:HU-MEK", "coordinators:IE-RIAI"])
    stored = {a for (a,) in pair.hub.store.query("SELECT authority FROM event_audience WHERE seq = ?", (seq,))}
    assert stored == {"HU-MEK", "IE-RIAI", "HU-NCO", "IE-NCO"}
    seq, drafted = by_type["request.drafted"]  # a draft stays with the requester and its coordinators
    stored = {a for (a,) in pair.hub.store.query("SELECT authority FROM event_audience WHERE seq = ?", (seq,))}
    assert stored == {"IE-RIAI", "IE-NCO"}


def test_a_rebuilt_hub_keeps_spent_invitation_codes_spent(pair):
    hub = pair.hub
    authority = {"id": "MT-NCO", "kind": "national_coordinator", "country": "MT", "names": {"en": "MT NCO"},
                 "languages": ["en"], "areas": {"services": []}, "email": "nco@example.mt"}
    user = {"id": "mt.coord", "name": "M", "email": "m@example.mt", "authority": "MT-NCO",
            "roles": {"*": ["administrator", "coordinator"]}}
    code = hub.invite_coordinator(authority, user)

    def enrol() -> dict:
        key = new_private_key()
        return hub.enrol(code, public_key_of(key), Signer("new", key).sign_bytes(code_hash(code).encode()))

    assert enrol()["user"] == "mt.coord"
    rebuild(hub.store)
    used = hub.store.query("SELECT used_at FROM invitations WHERE code_hash = ?", (code_hash(code),))
    assert used and used[0][0] is not None
    with pytest.raises(Rejected, match="unknown, used or expired"):
        enrol()


def test_an_authority_id_is_tied_to_its_country(pair):
    """An id another country could claim later (HU-FAKE registered as German) is refused."""
    hu = pair.coords["HU"]
    raw = {"id": "DE-FAKE", "country": "HU", "names": {"hu": "Hamis"}, "languages": "hu", "areas": "services",
           "email": "f@example.hu"}
    with pytest.raises(RefusedRecords) as refused:
        Directory(hu).register_authorities([("t:1", raw)])
    (problem,) = refused.value.problems
    assert problem.field == "id" and "begins with its country's code (HU-...)" in problem.message
    assert Directory(hu).register_authorities([("t:1", {**raw, "id": "HU-REAL"})]).created == ["HU-REAL"]
