"""The data-protection clock (Regulation (EU) No 1024/2012, Art. 14), by the settable clock on a
real hub: a closed request shows its person until 6 months after its closure, is blocked on
every store after it (a store that was offline blocks at its next open), is read then only
by a data-protection officer with a logged reason, and is erased 3 years after its closure
from every table and every page of every store, while every log still verifies.

The tests are one timeline, in order: each moves the module's clock forward."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from imi_cli.exchanges.alerts.service import Alerts
from imi_cli.log.redaction import verify_log
from imi_cli.privacy import access
from imi_cli.privacy import clock as privacy_clock
from imi_cli.privacy.clock import add_months
from tests.privacy.network import at
from tests.privacy.pages import found_in_pages, plaintext_files, tables_holding
from tests.privacy.steps import access_log, closed_request, count, hub_run, ok, person_in

START = dt.datetime(2027, 1, 10, 9, 0, tzinfo=dt.UTC)
NAME, BORN = "Nagy Béla", "1980-04-12"
DIPLOMA = f"Építész oklevél: {NAME}, született 1980. április 12."  # an attachment's content
PERSON = {"applicant_name": NAME, "date_of_birth": BORN}
PROVIDER = f"{NAME} egyéni vállalkozó, Debrecen"  # a services alert about a sole trader
BLOCKED, ERASED = {"_blocked": 2}, {"_erased": 2}
# ie.dpo stays offline from the closure until after the erasure date; hu.late until after
# the blocking date; every other store syncs at each step
ONLINE = ("ie.handler", "hu.handler", "hu.dpo", "ie.nco", "hu.nco")
MINUTE = dt.timedelta(minutes=1)


@pytest.fixture(scope="module")
def rid(net, tmp_path_factory):
    """A request about Nagy Béla, closed at START, held by both authorities' five users and
    both coordinators; the answer carries an attachment that names him."""
    diploma = tmp_path_factory.mktemp("files") / "oklevel.txt"
    diploma.write_text(DIPLOMA, encoding="utf-8")
    with at(net.clock):
        return closed_request(net, PERSON, attachment=diploma, holders=(*ONLINE, "ie.dpo", "hu.late"))


@pytest.fixture(scope="module")
def aid(net, rid):
    """A services alert from IE to HU naming Nagy Béla as the provider, closed at START."""
    answers = {"provider_identity": PROVIDER, "established_here": "no", "establishment_member_state": "HU",
               "service_activity": "architectural services", "risk_nature": ["safety"],
               "risk_description": "Plans signed without a licence.", "measures": "Licence withdrawn.",
               "member_states_concerned": "HU", "urgency": "high", "awareness_date": "2027-01-09"}
    with at(net.clock):
        sender = Alerts(net.stores["ie.handler"])
        alert_id = sender.new(kind="services", countries=["HU"], lang="en", answers=answers)
        sender.send(alert_id)
        sender.close(alert_id)
        net.sync("ie.handler", *ONLINE, "ie.dpo", "hu.late")
    return alert_id


def provider_in(store, alert_id):
    """The provider's identity as ``store``'s alert projection holds it, or the marker that
    stands for the alert's personal answers (provider, risk described, measures)."""
    row = store.conn.execute("SELECT record FROM alerts WHERE id = ?", (alert_id,)).fetchone()
    answers = json.loads(row[0])["content"]["answers"]
    return answers.get("provider_identity") or {k: v for k, v in answers.items() if k.startswith("_")}


ALERT_HOLDERS = ("ie.handler", "ie.dpo", "ie.nco", "hu.handler", "hu.dpo", "hu.late", "hub")


def test_a_closed_exchange_shows_its_person_until_six_months_after_closure(net, rid, aid, cli, clock,
                                                                            monkeypatch):
    closed = net.stores["hu.handler"].query("SELECT closed_at FROM requests WHERE id = ?", (rid,))[0][0]
    assert closed == "2027-01-10T09:00:00.000Z"
    for name, store in net.everyone.items():
        assert person_in(store, rid) == PERSON, name
        # what the erasure test looks for can be found: the page scan is not blind
        assert {needle for *_, needle in found_in_pages(store.path, net.key(store.path), NAME, DIPLOMA)} == \
            {NAME, DIPLOMA}, name
    for name in ALERT_HOLDERS:
        assert provider_in(net.everyone[name], aid) == {"lang": "en", "text": PROVIDER}, name
    status = json.loads(ok(cli("hu.handler", "privacy", "status", "--json")).out)
    assert [(s["entity"], s["state"], s["block_at"], s["erase_at"]) for s in status] == [
        (f"request/{rid}", "held", "2027-07-10T09:00:00.000Z", "2030-01-10T09:00:00.000Z"),
        (f"alert/{aid}", "held", "2027-07-10T09:00:00.000Z", "2030-01-10T09:00:00.000Z")]

    clock.to(add_months(START, 6) - MINUTE, monkeypatch)  # a minute before the blocking date
    assert hub_run(net)["privacy_blocked"] == 0
    for report in net.sync(*ONLINE):
        assert report.privacy == {"blocked": 0, "erased": 0}
    for name, store in net.everyone.items():
        assert person_in(store, rid) == PERSON, name
    shown = ok(cli("ie.handler", "request", "show", rid)).out
    assert NAME in shown and BORN in shown and "[blocked]" not in shown
    assert PROVIDER in ok(cli("hu.handler", "alert", "show", aid)).out


def test_blocked_six_months_after_closure_on_every_store(net, rid, aid, cli, clock, monkeypatch):
    clock.to(add_months(START, 6) + MINUTE, monkeypatch)
    assert hub_run(net)["privacy_blocked"] == 2
    assert person_in(net.hub.store, rid) == BLOCKED
    for name, report in zip(ONLINE, net.sync(*ONLINE), strict=True):
        assert report.privacy == {"blocked": 2 if name in ALERT_HOLDERS else 1, "erased": 0}, name
        assert person_in(net.stores[name], rid) == BLOCKED, name
    for name in (*ONLINE, "hub"):
        if name in ALERT_HOLDERS:
            assert provider_in(net.everyone[name], aid) == {"_blocked": 3}, name
    # every view: shown, exported, listed
    shown = ok(cli("hu.handler", "request", "show", rid)).out
    assert "[blocked]" in shown and NAME not in shown and BORN not in shown
    for fmt in ("json", "md"):
        exported = ok(cli("ie.handler", "request", "export", rid, "--format", fmt)).out
        assert "blocked" in exported and NAME not in exported and BORN not in exported, fmt
    assert "Nagy" not in ok(cli("ie.handler", "request", "list", "--json")).out
    assert net.stores["hu.handler"].query("SELECT count(*) FROM request_attachments")[0][0] == 0
    shown = ok(cli("hu.handler", "alert", "show", aid)).out
    assert "[blocked]" in shown and "Nagy" not in shown
    for fmt in ("json", "csv"):
        assert "Nagy" not in ok(cli("ie.handler", "alert", "export", "--format", fmt)).out, fmt
    assert "Nagy" not in ok(cli("ie.handler", "alert", "list", "--json")).out

    # hu.late was offline through the date: its store still holds the person, until it is opened
    late = net.stores["hu.late"]
    assert person_in(late, rid) == PERSON
    assert sorted((d.entity, d.action) for d in privacy_clock.due(late.conn)) == \
        [(f"alert/{aid}", "block"), (f"request/{rid}", "block")]
    shown = ok(cli("hu.late", "request", "show", rid)).out
    assert "[blocked]" in shown and NAME not in shown
    assert person_in(late, rid) == BLOCKED and privacy_clock.due(late.conn) == []
    assert provider_in(late, aid) == {"_blocked": 3}
    # ie.dpo is still offline and not opened: nothing ran there yet
    assert person_in(net.stores["ie.dpo"], rid) == PERSON

    status = json.loads(ok(cli("hu.handler", "privacy", "status", "--json")).out)
    assert [(s["state"], s["next"]) for s in status] == [("blocked", "2030-01-10T09:00:00.000Z")] * 2


def test_blocked_data_is_read_only_by_a_data_protection_officer_with_a_reason(net, rid, aid, cli, clock,
                                                                              monkeypatch):
    clock.tick(monkeypatch)
    entity = f"request/{rid}"
    reason = "Court of Budapest, case 7.P.1234/2027: proof of the check"
    handler, officer = net.stores["hu.handler"], net.stores["hu.dpo"]
    before = {name: (count(s, "access_log"), count(s, "events")) for name, s in net.stores.items()}

    refused = cli("hu.handler", "privacy", "read", entity, "--reason", reason)
    assert refused.code == 10 and "reading blocked data needs the data_protection role" in refused.err
    assert NAME not in refused.out + refused.err
    no_reason = cli("hu.dpo", "privacy", "read", entity)
    assert no_reason.code == 2 and "--reason" in no_reason.err
    too_short = cli("hu.dpo", "privacy", "read", entity, "--reason", " x ")
    assert too_short.code == 2 and "say why the data is needed" in too_short.err
    assert {name: (count(s, "access_log"), count(s, "events")) for name, s in net.stores.items()} == before

    read = ok(cli("hu.dpo", "privacy", "read", entity, "--reason", reason))
    assert NAME in read.out and BORN in read.out and "[blocked]" not in read.out
    assert "logged with its reason" in read.err
    logged = access.entries(officer.conn)[0]
    assert (logged["user"], logged["action"], logged["entity"], logged["reason"]) == \
        ("hu.dpo", "blocked.read", entity, reason)
    assert PROVIDER in ok(cli("hu.dpo", "privacy", "read", f"alert/{aid}", "--reason", reason)).out
    # the reads were rolled back: the tables keep [blocked], the name only in the blocked disclosures
    assert person_in(officer, rid) == BLOCKED and provider_in(officer, aid) == {"_blocked": 3}
    assert tables_holding(officer, NAME, BORN) == {"disclosures"}
    assert count(handler, "access_log") == before["hu.handler"][0]

    # the reads reach the authority's coordinator, with their reason
    net.sync("hu.dpo", "hu.nco")
    rows = json.loads(ok(cli("hu.nco", "privacy", "log", "--json")).out)
    assert sorted((r["user"], r["entity"], r["reason"]) for r in rows if r["action"] == "blocked.read") == \
        [("hu.dpo", f"alert/{aid}", reason), ("hu.dpo", entity, reason)]
    assert ("hu.dpo", "blocked.read", entity) not in access_log(net.stores["ie.nco"])


def test_erased_three_years_after_closure_from_every_table_and_page(net, rid, aid, cli, clock, monkeypatch):
    clock.to(add_months(START, 36) + MINUTE, monkeypatch)
    assert hub_run(net)["privacy_erased"] == 2
    for name, report in zip((*ONLINE, "hu.late"), net.sync(*ONLINE, "hu.late"), strict=True):
        assert report.privacy["blocked"] == 0, name
        assert person_in(net.stores[name], rid) == ERASED, name
    # ie.dpo was offline through both dates: at its next open its own clock erases
    offline = net.stores["ie.dpo"]
    assert person_in(offline, rid) == PERSON
    assert privacy_clock.run_if_due(offline) == {"blocked": 0, "erased": 2}
    net.sync("ie.dpo")  # and the hub's erasure reaches it too, without harm

    for name, store in net.everyone.items():
        assert person_in(store, rid) == ERASED, name
        if name in ALERT_HOLDERS:
            assert provider_in(store, aid) == {"_erased": 3}, name
        assert tables_holding(store, NAME, BORN, DIPLOMA, PROVIDER) == set(), name
        assert found_in_pages(store.path, net.key(store.path), NAME, BORN, DIPLOMA, PROVIDER) == [], name
        assert count(store, "request_attachments") == 0, name
    assert plaintext_files(net.folder, NAME, DIPLOMA) == []

    # every log still verifies, and says what was erased and when
    for name in net.everyone:
        report = json.loads(ok(cli(name, "store", "verify", "--json")).out)
        assert report["problems"] == [] and report["erased"] > 0, name
        erased = {e["entity"]: e["erased_at"][:10] for e in report["erased_fields"]}
        assert erased[f"request/{rid}"] == "2030-01-10", name
        assert erased.get(f"alert/{aid}") == ("2030-01-10" if name in ALERT_HOLDERS else None), name
    hub = net.hub.store
    assert verify_log(hub.conn, hub.meta("operator_key"))["problems"] == []
    text = ok(cli("ie.handler", "store", "verify")).err
    assert f"request/{rid}" in text and f"alert/{aid}" in text
    shown = ok(cli("ie.handler", "request", "show", rid)).out
    assert "[erased]" in shown and NAME not in shown
    assert "[erased]" in ok(cli("hu.handler", "alert", "show", aid)).out
