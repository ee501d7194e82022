"""The access log and the data subjects' rights (Regulation (EU) No 1024/2012, Art. 14-19), on a
real hub: every read of personal data is a signed entry that reaches the authority's
coordinator; a data-protection officer finds a person (diacritics folded) in requests and
alerts and exports them with the 30-day due date; rectification and early erasure reach the
other party; an area's longer blocking period is honoured.

The tests read the module's ``held`` exchanges (made at START) or make their own; the
clock only moves forward, the last test by a year."""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest

from imi_cli.exchanges.alerts.service import Alerts
from imi_cli.exchanges.notifications.service import Notifications
from imi_cli.exchanges.requests.labels import state_label as request_state
from imi_cli.privacy import clock as privacy_clock
from imi_cli.privacy.clock import STATE_LABELS, add_months
from tests.privacy.network import at
from tests.privacy.pages import found_in_pages, tables_holding
from tests.privacy.steps import R, access_log, closed_request, count, hub_run, ok, person_in
from tests.speak import label, said, word

START = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)
NAGY = {"applicant_name": "Nagy Béla", "date_of_birth": "1980-04-12"}
OTHER_NAGY = {"applicant_name": "NAGY BÉLA", "date_of_birth": "1975-02-03"}  # same name, born another day
KOVACS = {"applicant_name": "Kovács Anna", "date_of_birth": "1990-09-09"}
PROVIDER = "Nagy Béla egyéni vállalkozó, Debrecen"  # a sole trader: a services alert names a person
HU_SIDE = ("hu.handler", "hu.dpo", "hu.late", "hu.nco")
IE_SIDE = ("ie.handler", "ie.dpo", "ie.nco")


def services_alert(net, provider: str) -> str:
    today = net.clock.today()
    answers = {"provider_identity": provider, "established_here": "no", "establishment_member_state": "HU",
               "service_activity": "gas boiler installation", "risk_nature": ["safety"],
               "risk_description": "Boilers installed without flue checks.", "measures": "Licence suspended.",
               "member_states_concerned": "HU", "urgency": "high", "awareness_date": today}
    aid = Alerts(net.stores["ie.handler"]).new(kind="services", countries=["HU"], lang="en", answers=answers)
    Alerts(net.stores["ie.handler"]).send(aid)
    net.sync("ie.handler", *HU_SIDE)
    return aid


def notification_draft(net) -> str:
    answers = {"requirement_type": ["quantitative_territorial"], "service_activity": "Tour guides",
               "measure_title": "Maximum number of tour guides per county", "non_discriminatory": "yes",
               "justification": "Cultural heritage", "proportionality": "Limited in time",
               "entry_into_force": "2027-09-01", "draft_text": "draft.pdf"}
    return Notifications(net.stores["ie.handler"]).new(kind="services-notification", answers=answers, lang="en")


@pytest.fixture(scope="module")
def held(net):
    """At START: two closed requests about Nagy Béla (born 1980 and 1975), one about Kovács
    Anna, a services alert from IE naming Nagy Béla as the provider, and a notification draft
    of IE; every store of both sides has pulled them."""
    with at(net.clock):
        out = {"nagy": closed_request(net, NAGY), "other_nagy": closed_request(net, OTHER_NAGY),
               "kovacs": closed_request(net, KOVACS), "alert": services_alert(net, PROVIDER),
               "notification": notification_draft(net)}
        net.sync(*HU_SIDE, *IE_SIDE)
    return out


def rows(result) -> list[dict]:
    return json.loads(ok(result).out)


def test_every_read_of_personal_data_is_logged_and_reaches_the_coordinators(net, held, cli, clock, monkeypatch):
    clock.tick(monkeypatch)
    handler = net.stores["hu.handler"]
    before = count(handler, "access_log")
    shown = ok(cli("hu.handler", "request", "show", held["nagy"])).out
    assert "Nagy Béla" in shown
    ok(cli("hu.handler", "request", "export", held["nagy"], "--format", "md"))
    assert "Nagy Béla" in ok(cli("hu.handler", "alert", "show", held["alert"])).out
    assert "Nagy Béla" in ok(cli("hu.handler", "alert", "export")).out
    ok(cli("ie.handler", "notification", "show", held["notification"]))
    ok(cli("hu.dpo", "privacy", "subject", "--name", "Nagy Béla", "--reason", "Letter of the data subject"))
    entity = {k: f"{'alert' if k == 'alert' else 'request'}/{v}" for k, v in held.items()}
    assert sorted(access_log(handler)[before:], key=str) == [("hu.handler", "alert.export", None),
                                                             ("hu.handler", "alert.show", entity["alert"]),
                                                             ("hu.handler", "request.export", entity["nagy"]),
                                                             ("hu.handler", "request.show", entity["nagy"])]
    assert ("ie.handler", "notification.show", f"notification/{held['notification']}") in \
        access_log(net.stores["ie.handler"])

    # each reaches the reader's own authority and its coordinator, and nobody else
    net.sync("hu.handler", "hu.dpo", "ie.handler", "hu.nco", "ie.nco", "ie.dpo", "hu.late")
    hu_log = rows(cli("hu.nco", "privacy", "log", "--json", "--since", clock.today()))
    assert {(r["user"], r["action"]) for r in hu_log} == {
        ("hu.handler", "request.show"), ("hu.handler", "request.export"), ("hu.handler", "alert.show"),
        ("hu.handler", "alert.export"), ("hu.dpo", "subject.search")}
    export = next(r for r in hu_log if r["action"] == "alert.export")
    assert entity["alert"] in export["entity"]
    search = next(r for r in hu_log if r["action"] == "subject.search")
    assert (search["reason"], search["due"]) == ("Letter of the data subject", "2027-03-31")
    assert {(r["user"], r["action"]) for r in rows(cli("ie.nco", "privacy", "log", "--json"))} == \
        {("ie.handler", "notification.show")}
    assert {a for _, a, _ in access_log(net.stores["hu.late"])} == {"request.show", "request.export", "alert.show",
                                                                     "alert.export", "subject.search"}
    assert access_log(net.stores["ie.dpo"]) == [("ie.handler", "notification.show",
                                                  f"notification/{held['notification']}")]
    # the log is signed like everything else: every store's log verifies
    for name in ("hu.nco", "ie.nco", "hu.dpo"):
        assert rows(cli(name, "store", "verify", "--json"))["problems"] == [], name


def test_the_access_log_by_person_and_day_for_officers_and_coordinators_only(net, held, cli, clock, monkeypatch):
    clock.to(START + dt.timedelta(days=3), monkeypatch)
    for rid in (held["kovacs"], held["nagy"]):
        ok(cli("hu.handler", "request", "show", rid))
    clock.to(START + dt.timedelta(days=5), monkeypatch)
    day = clock.today()
    for rid in (held["other_nagy"], held["kovacs"]):
        ok(cli("hu.handler", "request", "show", rid))
    net.sync("hu.handler", "hu.nco", "hu.dpo")

    def shown(name, *args):
        return [(r["action"], r["entity"], r["at"][:10]) for r in rows(cli(name, "privacy", "log", "--json", *args))
                if r["user"] == "hu.handler" and r["action"] == "request.show"]

    nagy = [("request.show", f"request/{held['other_nagy']}", day)]
    for reader in ("hu.nco", "hu.dpo"):
        assert shown(reader, "--person", "nagy bela", "--since", day) == nagy, reader
        assert shown(reader, "--person", "NAGY Béla", "--since", clock.today()) == nagy, reader
        earlier = shown(reader, "--person", "nagy bela")
        assert ("request.show", f"request/{held['nagy']}", "2027-03-04") in earlier
        assert not any(e == f"request/{held['kovacs']}" for _, e, _ in earlier)
        assert shown(reader, "--person", "nagy bela", "--born", "1975-02-03") == nagy
    text = ok(cli("hu.nco", "privacy", "log", "--person", "kovacs anna", "--since", day)).out
    assert held["kovacs"] in text and held["other_nagy"] not in text

    refused = cli("hu.handler", "privacy", "log")
    assert refused.code == 10 and "needs the data_protection or the coordinator role" in refused.err
    assert refused.out == ""


def test_a_data_subjects_search_finds_the_person_in_requests_and_alerts(net, held, cli, clock, monkeypatch,
                                                                         tmp_path):
    clock.tick(monkeypatch, days=1)
    logged_before = count(net.stores["hu.dpo"], "access_log")
    data = rows(cli("hu.dpo", "privacy", "subject", "--name", "NAGY Bela", "--format", "json"))
    found = {(f["kind"], f["id"]) for f in data["found"]}
    assert found == {("request", held["nagy"]), ("request", held["other_nagy"]), ("alert", held["alert"])}
    assert data["subject"] == {"name": "NAGY Bela"}
    logged = dt.date.fromisoformat(data["logged_at"][:10])
    assert data["due"] == (logged + dt.timedelta(days=30)).isoformat() == "2027-04-06"
    views = {f["id"]: f["view"] for f in data["found"]}
    assert views[held["nagy"]]["person"]["applicant_name"] == "Nagy Béla"
    assert PROVIDER in json.dumps(views[held["alert"]], ensure_ascii=False)
    entry = net.stores["hu.dpo"].query("SELECT action, record FROM access_log ORDER BY at DESC, id DESC LIMIT 1")[0]
    assert entry[0] == "subject.search" and json.loads(entry[1])["due"] == data["due"]
    assert count(net.stores["hu.dpo"], "access_log") == logged_before + 1

    born = rows(cli("hu.dpo", "privacy", "subject", "--name", "nagy béla", "--born", "1980-04-12", "--format", "json"))
    assert [(f["kind"], f["id"]) for f in born["found"]] == [("request", held["nagy"])]
    [nagy] = born["found"]
    assert (nagy["state"], nagy["blocked"]) == ("closed", False)
    assert rows(cli("hu.dpo", "privacy", "subject", "--name", "Nagy Anna", "--format", "json"))["found"] == []
    assert rows(cli("hu.dpo", "privacy", "subject", "--name", "Béla Kovács", "--format", "json"))["found"] == []

    report = tmp_path / "nagy.md"
    done = ok(cli("hu.dpo", "privacy", "subject", "--name", "Nagy Béla", "--born", "1980-04-12", "-o", report,
                  "--lang", "hu"))
    from imi_cli import i18n
    from imi_cli.i18n import formats, language

    with language("hu"):  # --lang hu: the interface's language, its days as Hungarian writes them
        due, born = formats.date("2027-04-06"), formats.date("1980-04-12")
        found_one = i18n.nt("Found {n} exchange; the answer is due by {due} (logged in the access log)",
                            "Found {n} exchanges; the answer is due by {due} (logged in the access log)", 1, due=due)
    assert found_one in done.err
    text = report.read_text(encoding="utf-8")
    who = ", ".join(said("hu", "{label}: {value}", label=word("hu", label), value=value)
                    for label, value in (("name", "Nagy Béla"), ("born", born)))
    assert text.startswith("# " + said("hu", "Personal data held about {who}", who=who) + "\n")
    heading = said("hu", "request {id} ({state}, {area}, {holding})", id=held["nagy"],
                   state=label("hu", request_state, nagy["state"]),
                   area=nagy["area"], holding=word("hu", STATE_LABELS["held"]))
    assert "- " + said("hu", "Answer due by: {day}", day=due) in text.splitlines()
    assert "## " + heading in text.splitlines()
    assert "Nagy Béla" in text.split("## " + heading)[1]
    assert os.stat(report).st_mode & 0o077 == 0  # a report on a person: readable by its owner only

    refused = cli("hu.handler", "privacy", "subject", "--name", "Nagy Béla")
    assert refused.code == 10 and "a data subject's search needs the data_protection role" in refused.err
    assert "Nagy" not in refused.out


def test_rectification_reaches_the_other_party(net, held, cli, clock, monkeypatch):
    clock.tick(monkeypatch)
    entity = f"request/{held['nagy']}"
    refused = cli("hu.handler", "privacy", "rectify", entity, "--field", "applicant_name=Nagy Béla János")
    assert refused.code == 10 and "rectifying personal data needs the data_protection role" in refused.err
    ok(cli("hu.dpo", "privacy", "rectify", entity, "--field", "applicant_name=Nagy Béla János",
           "--reason", "The data subject's request of 2027-03-05"))
    assert person_in(net.stores["hu.dpo"], held["nagy"]) == {**NAGY, "applicant_name": "Nagy Béla János"}
    assert person_in(net.stores["ie.handler"], held["nagy"]) == NAGY  # not before the sync
    net.sync("hu.dpo", *IE_SIDE, "hu.handler", "hu.nco")
    for name in (*IE_SIDE, "hu.handler", "hu.nco"):
        assert person_in(net.stores[name], held["nagy"]) == {**NAGY, "applicant_name": "Nagy Béla János"}, name
    assert "Nagy Béla János" in ok(cli("ie.handler", "request", "show", held["nagy"])).out
    record = R(net, "ie.handler").get(held["nagy"])["record"]
    assert [(r["by"], r["fields"]) for r in record["rectifications"]] == [("HU-AUTH", ["applicant_name"])]


def test_early_erasure_here_at_once_and_everywhere_after_sync(net, held, cli, clock, monkeypatch):
    clock.tick(monkeypatch)
    with at(net.clock):
        rid = closed_request(net, {"applicant_name": "Fekete Ödön", "date_of_birth": "1966-06-06"},
                             holders=(*HU_SIDE, *IE_SIDE))
    entity, gone = f"request/{rid}", {"_erased": 2}
    refused = cli("ie.handler", "privacy", "erase", entity, "--consent", "Consent given in writing on 2027-03-07")
    assert refused.code == 10 and "early erasure needs the data_protection role" in refused.err
    ok(cli("ie.dpo", "privacy", "erase", entity, "--consent", "Consent given in writing on 2027-03-07"))
    assert person_in(net.stores["ie.dpo"], rid) == gone
    assert person_in(net.stores["hu.handler"], rid) == person_in(net.hub.store, rid) != gone
    net.sync("ie.dpo")  # the request reaches the hub, which erases at once (and on its timer)
    assert person_in(net.hub.store, rid) == gone
    assert hub_run(net)["early_erasures"] == 0  # already done: not twice
    net.sync(*HU_SIDE, *IE_SIDE)
    for name, store in net.everyone.items():
        assert person_in(store, rid) == gone, name
        assert tables_holding(store, "Fekete Ödön", "1966-06-06") == set(), name
        assert found_in_pages(store.path, net.key(store.path), "Fekete Ödön", "1966-06-06") == [], name
    for name in ("hu.handler", "ie.dpo", "hub"):
        assert rows(cli(name, "store", "verify", "--json"))["problems"] == [], name
    again = cli("hu.dpo", "privacy", "rectify", entity, "--field", "applicant_name=Fekete Ödön")
    assert again.code == 10 and f"the personal data of {entity} was erased" in again.err


def push(net, name: str, type_: str, payload: dict, entity: str) -> dict:
    """Build, sign and push one event from ``name``'s store by hand, past the node's own checks:
    from the version the hub holds, to the audience the hub expects."""
    from imi_cli.log import redaction
    from imi_cli.log.crypto import Signer
    from imi_cli.log.event import make_event
    from imi_cli.log.journal import entity_version
    from imi_cli.protocol.pipeline import audience_of
    from imi_cli.protocol.view import RulesView

    store = net.stores[name]
    me = {"user": store.meta("user_id"), "authority": store.meta("authority_id")}
    event = make_event(type_, actor=me, payload=payload, subject={"entity": entity})
    with net.hub.lock:
        event["subject"]["version"] = entity_version(net.hub.store.conn, entity)
        event["audience"] = audience_of(RulesView(net.hub.store.conn, at_hub=False), event)
    event, disclosed = redaction.conceal_for(store.conn, event)
    event = redaction.wire(Signer(me["user"], store.meta("private_key")).sign_event(event), disclosed)
    if name not in net.clients:
        from imi_cli.sync.enrolment import client_for

        net.clients[name] = client_for(store)
    return net.clients[name].push([event])[0]


def test_the_hub_holds_the_same_rules_for_what_a_node_pushes_past_its_own_checks(net, held, clock, monkeypatch):
    import uuid

    clock.tick(monkeypatch)
    entity = f"request/{held['kovacs']}"

    def read(name, **extra):
        ident = str(uuid.uuid4())
        return push(net, name, "privacy.accessed", {"id": ident, "action": "blocked.read", "entity": entity,
                                                    **extra}, f"access/{ident}")

    def refused(result, reason, message):
        assert (result["status"], result["reason"], result["message"]) == ("rejected", reason, message), result

    refused(read("hu.handler", reason="Curiosity, nothing more"), "not_allowed",
            "reading blocked data needs the data_protection role")
    refused(read("hu.dpo"), "invalid", "reading blocked data needs a reason")
    assert read("hu.dpo", reason="Audit of the file")["status"] == "accepted"
    refused(push(net, "hu.handler", "personal_data.rectified", {"entity": entity, "fields": {
        "applicant_name": "Kovács Anna Mária"}}, entity), "not_allowed",
        "rectifying personal data needs the data_protection role")
    refused(push(net, "hu.dpo", "personal_data.erased", {"entity": entity, "digests": {}}, f"erasure/{entity}"),
            "not_allowed", "only the hub erases personal data for the network")
    assert person_in(net.hub.store, held["kovacs"]) == KOVACS


def test_an_area_declaring_twelve_months_blocks_at_twelve_not_six(net, held, cli, clock, monkeypatch):
    """Services declare 12 months here (an areas.yaml entry would say ``blocking_months: 12``);
    a professional-qualifications request closed at the same time blocks at 6."""
    clock.tick(monkeypatch)
    monkeypatch.setattr(privacy_clock, "blocking_months", lambda area: 12 if area == "services" else 6)
    with at(net.clock):
        closed = net.clock.now
        services = closed_request(net, {"provider_name": "Kertész Ödön"}, services=True, holders=HU_SIDE)
        pq = closed_request(net, {"applicant_name": "Tóth Gábor", "date_of_birth": "1970-01-01"}, holders=HU_SIDE)
    status = {s["entity"]: s for s in rows(cli("hu.dpo", "privacy", "status", "--json"))}
    assert status[f"request/{services}"]["block_at"][:10] == add_months(closed, 12).date().isoformat()
    assert status[f"request/{pq}"]["block_at"][:10] == add_months(closed, 6).date().isoformat()

    clock.to(add_months(closed, 6) + dt.timedelta(minutes=1), monkeypatch)
    hub_run(net)
    net.sync(*HU_SIDE)
    for name, store in (*((n, net.stores[n]) for n in HU_SIDE), ("hub", net.hub.store)):
        assert person_in(store, pq) == {"_blocked": 2}, name
        assert person_in(store, services) == {"provider_name": "Kertész Ödön"}, name
    # a blocked exchange is kept as it was: no rectification (early erasure is still possible)
    refused = cli("hu.dpo", "privacy", "rectify", f"request/{pq}", "--field", "applicant_name=Tóth Gábor Péter")
    assert refused.code == 10 and f"the personal data of request/{pq} is blocked" in refused.err
    assert "Kertész Ödön" in ok(cli("hu.handler", "request", "show", services)).out

    clock.to(add_months(closed, 12) - dt.timedelta(minutes=1), monkeypatch)
    assert hub_run(net)["privacy_blocked"] == 0 and privacy_clock.due(net.stores["hu.handler"].conn) == []
    clock.to(add_months(closed, 12) + dt.timedelta(minutes=1), monkeypatch)
    assert hub_run(net)["privacy_blocked"] >= 1
    net.sync(*HU_SIDE)
    for name, store in (*((n, net.stores[n]) for n in HU_SIDE), ("hub", net.hub.store)):
        assert person_in(store, services) == {"_blocked": 1}, name
    assert "Kertész Ödön" not in ok(cli("hu.handler", "request", "show", services)).out
