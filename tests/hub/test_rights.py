"""Who may do what: a national coordinator only for its country, an area coordinator only for
its areas, an administrator only for its authority; and stale or illegal transitions."""

from __future__ import annotations

import json

import pytest

from imi_cli.directory.authorities import Directory
from imi_cli.log.event import make_event
from imi_cli.sync.enrolment import client_for
from imi_cli.sync.session import outbox

from .conftest import sync


def _record(ident, country, areas="professional-qualifications", kind="authority", **extra):
    from imi_cli.directory.records import check_authority

    return check_authority({"id": ident, "kind": kind, "country": country, "names": {"en": ident},
                            "languages": "en", "areas": areas, "email": "x@example.eu", **extra}, "t", [])


def _user(ident, authority, roles="request_handler"):
    from imi_cli.directory.records import check_user

    return check_user({"id": ident, "name": ident, "email": "u@example.eu", "authority": authority,
                       "roles": roles}, "t", [])


def push(hub, store, type_, payload, entity):
    """Sign and push one event from ``store``'s user, from the version the hub holds."""
    from imi_cli.log.crypto import Signer
    from imi_cli.log.journal import entity_version

    with hub.lock:
        version = entity_version(hub.store.conn, entity)
    me = {"user": store.meta("user_id"), "authority": store.meta("authority_id")}
    audience = ["*"]
    if type_ == "user.invited":
        audience = ["hub"]
    event = make_event(type_, actor=me, payload=payload, subject={"entity": entity, "version": version},
                       audience=audience)
    from imi_cli.log import redaction

    event, disclosed = redaction.conceal_for(store.conn, event)  # personal fields as a node conceals them
    event = redaction.wire(Signer(me["user"], store.meta("private_key")).sign_event(event), disclosed)
    with client_for(store) as client:
        return client.push([event])[0]


def reg(hub, store, record):
    return push(hub, store, "authority.registered", {"authority": record}, f"authority/{record['id']}")


def upd(hub, store, record):
    return push(hub, store, "authority.updated", {"authority": record}, f"authority/{record['id']}")


def reg_user(hub, store, user, type_="user.registered"):
    return push(hub, store, type_, {"user": user}, f"user/{user['id']}")


def ok(result):
    assert result["status"] == "accepted", result
    return result


def refused(result, reason="not_allowed"):
    assert (result["status"], result["reason"]) == ("rejected", reason), result
    return result


@pytest.fixture
def world(hub, net):
    hu, ie = net.coordinator("HU"), net.coordinator("IE")
    ok(reg(hub, hu, _record("HU-AC", "HU", "services", kind="area_coordinator")))
    net.authority(hu, "HU-A", "HU")
    net.authority(hu, "HU-B", "HU")
    net.authority(ie, "IE-A", "IE")
    ac = net.user(hu, "hu.ac", "HU-AC", roles="coordinator")
    admin = net.user(hu, "hu.admin", "HU-A", roles="administrator")
    handler = net.user(hu, "hu.handler", "HU-A", roles="request_handler")
    net.user(ie, "ie-a.u", "IE-A", enrol=False)
    net.user(hu, "hu-b.u", "HU-B", enrol=False)
    return {"hu": hu, "ie": ie, "ac": ac, "admin": admin, "handler": handler}


def test_national_coordinator_acts_only_for_its_country(hub, world):
    hu = world["hu"]
    ok(reg(hub, hu, _record("HU-NEW", "HU")))
    refused(reg(hub, hu, _record("IE-NEW", "IE")))
    refused(reg_user(hub, hu, _user("ie.new", "IE-A")))
    ok(reg_user(hub, hu, _user("hu.new", "HU-B")))
    # nor may it take over another country's authority or user by editing it
    ie_a = _record("IE-A", "IE")
    refused(upd(hub, hu, {**ie_a, "country": "HU"}))
    refused(reg_user(hub, hu, _user("ie-a.u", "HU-B"), "user.updated"))
    # only the operator makes national coordinators
    refused(reg(hub, hu, _record("HU-NCO2", "HU", kind="national_coordinator")))
    # and it may not re-kind itself or move country
    nco = json.loads(hub.store.query("SELECT record FROM authorities WHERE id='HU-NCO'")[0][0])
    refused(upd(hub, hu, {**nco, "country": "IE"}))
    ok(upd(hub, hu, {**nco, "email": "new@example.hu"}))


def test_area_coordinator_acts_only_for_its_areas(hub, world):
    ac = world["ac"]
    ok(reg(hub, ac, _record("HU-S1", "HU", "services")))
    refused(reg(hub, ac, _record("HU-P1", "HU", "professional-qualifications")))
    refused(reg(hub, ac, _record("HU-S2", "HU", "services;professional-qualifications")))
    refused(reg(hub, ac, _record("IE-S1", "IE", "services")))
    refused(reg(hub, ac, _record("HU-NC", "HU", "services", kind="national_coordinator")))
    refused(reg(hub, ac, _record("HU-AC2", "HU", "services", kind="area_coordinator")))
    ok(reg_user(hub, ac, _user("hu.s1", "HU-S1")))
    refused(reg_user(hub, ac, _user("hu.a2", "HU-A")))  # HU-A is in professional qualifications
    # widening an authority it covers into areas it does not coordinate
    s1 = _record("HU-S1", "HU", "services")
    refused(upd(hub, ac, {**_record("HU-S1", "HU", "services;professional-qualifications")}))
    ok(upd(hub, ac, {**s1, "email": "s1@example.hu"}))


def test_administrator_acts_only_for_its_authority(hub, world):
    admin, handler = world["admin"], world["handler"]
    ok(reg_user(hub, admin, _user("hu-a.two", "HU-A")))
    refused(reg_user(hub, admin, _user("hu-b.two", "HU-B")))
    refused(reg(hub, admin, _record("HU-X", "HU")))
    a = json.loads(hub.store.query("SELECT record FROM authorities WHERE id='HU-A'")[0][0])
    ok(upd(hub, admin, {**a, "email": "a@example.hu"}))
    a = json.loads(hub.store.query("SELECT record FROM authorities WHERE id='HU-A'")[0][0])
    b = json.loads(hub.store.query("SELECT record FROM authorities WHERE id='HU-B'")[0][0])
    refused(upd(hub, admin, {**b, "email": "b@example.hu"}))
    # no self-promotion: kind, country and areas are the coordinator's business
    refused(upd(hub, admin, {**a, "kind": "national_coordinator"}))
    refused(upd(hub, admin, {**_record("HU-A", "HU", "professional-qualifications;services"),
                             "email": a["email"]}))
    # moving a user of another authority into its own
    refused(reg_user(hub, admin, _user("hu-b.u", "HU-A"), "user.updated"))
    # a request handler administers nothing
    refused(reg_user(hub, handler, _user("hu-a.three", "HU-A")))
    refused(upd(hub, handler, {**a, "email": "h@example.hu"}))
    # nobody enrols users but the hub
    result = refused(push(hub, admin, "user.enrolled", {"user": "hu.admin", "authority": "HU-A", "public_key": "x"},
                          "principal/hu.admin/x"))
    assert result["message"] == "only the hub enrols users"


def test_two_updates_from_the_same_version_one_wins_the_other_is_stale(hub, net):
    hu = net.coordinator("HU")
    net.authority(hu, "HU-A", "HU")
    a1 = net.user(hu, "hu.a1", "HU-A", roles="administrator")
    a2 = net.user(hu, "hu.a2", "HU-A", roles="administrator")
    for store in (a1, a2):
        sync(store)
    record = Directory(a1).get("HU-A")
    Directory(a1).register_authorities([("t", {**record, "email": "winner@example.hu"})])
    Directory(a2).register_authorities([("t", {**record, "email": "loser@example.hu"})])
    assert sync(a1).accepted == 1
    report = sync(a2)
    assert report.accepted == 0 and [r["reason"] for r in report.rejected] == ["stale"]
    rows = outbox(a2, "rejected")
    assert len(rows) == 1 and rows[0]["reason"] == "stale" and "version" in rows[0]["detail"]
    # the loser's projection now matches the winner's
    for store in (a1, a2, hu):
        sync(store)
    assert Directory(a2).get("HU-A")["email"] == "winner@example.hu"
    assert Directory(a2).get("HU-A") == Directory(a1).get("HU-A") == Directory(hu).get("HU-A")
    # registering an existing authority again is an illegal transition
    refused(reg(hub, hu, _record("HU-A", "HU")), "illegal_transition")
    refused(upd(hub, hu, _record("HU-NOPE", "HU")), "illegal_transition")


def test_stale_rejection_is_visible_in_imi_outbox(hub, net, tmp_path, monkeypatch, imi):
    hu = net.coordinator("HU")
    net.authority(hu, "HU-A", "HU")
    a1 = net.user(hu, "hu.a1", "HU-A", roles="administrator")
    a2 = net.user(hu, "hu.a2", "HU-A", roles="administrator")
    record = Directory(a1).get("HU-A")
    Directory(a1).register_authorities([("t", {**record, "email": "winner@example.hu"})])
    Directory(a2).register_authorities([("t", {**record, "email": "loser@example.hu"})])
    sync(a1)
    path = a2.path
    from imi_cli.log.store import derive_key, read_salt
    from imi_cli.log.unlock import cache_key

    from .conftest import PASSPHRASE

    cache_key(path, derive_key(PASSPHRASE, read_salt(path)), 600)
    monkeypatch.setenv("IMI_STORE", str(path))
    result = imi("sync")
    assert result.code == 10 and "stale" in result.err + result.out
    result = imi("--json", "outbox", "--state", "rejected")
    assert result.code == 0, result.err
    rows = json.loads(result.out)
    assert [r["reason"] for r in rows] == ["stale"]
