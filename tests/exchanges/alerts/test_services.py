"""A services alert (Directive 2006/123/EC Art. 29(3), 32) goes to the countries its sender
picks and to the European Commission (country EU), to no one else, and names no profession."""

from __future__ import annotations

from imi_cli.errors import InvalidInput
from imi_cli.sync.session import outbox
from tests.exchanges.alerts.conftest import A, alert_in, refused
from tests.exchanges.alerts.network import CLOCK

PROVIDER = "Gyorsjavító Kft., Budapest, cégjegyzékszám 01-09-999999"


def services_answers() -> dict[str, object]:
    return {"provider_identity": PROVIDER, "established_here": "no", "establishment_member_state": "HU",
            "service_activity": "gas boiler installation", "risk_nature": ["safety", "health"],
            "risk_description": "Boilers installed without flue checks.", "measures": "Licence suspended.",
            "member_states_concerned": "DE", "urgency": "high", "awareness_date": CLOCK.today(-1)}


def test_a_services_alert_reaches_the_commission_and_the_picked_countries_only(net):
    aid = A(net, "ie.byrne").new(kind="services", countries=["DE"], lang="en", answers=services_answers())
    event = A(net, "ie.byrne").send(aid)
    assert event["payload"]["routing"] == {"coordinators": [], "direct": ["DE-GEWERBE", "EU-COM"]}
    net.sync()
    assert outbox(net.stores["ie.byrne"])[-1]["state"] == "accepted"
    for name in ("de.weber", "eu.com", "ie.byrne"):
        alert = alert_in(net, name, aid)
        assert (alert["kind"], alert["area"], alert["profession"], alert["record"]["content"]["countries"]) == \
            ("services", "services", None, ["DE"]), name
    # the competent German authority and the Commission read it whole
    for name in ("de.weber", "eu.com"):
        assert alert_in(net, name, aid)["record"]["content"]["answers"]["provider_identity"] == \
            {"lang": "en", "text": PROVIDER}, name
    for name in ("hu.nco", "hu.szabo", "hu.toth", "fi.nco", "fi.virtanen", "de.nco"):
        assert alert_in(net, name, aid) is None, name
    A(net, "de.weber").acknowledge(aid)
    A(net, "eu.com").acknowledge(aid)
    net.sync("de.weber", "eu.com", "ie.byrne")
    assert sorted(alert_in(net, "ie.byrne", aid)["record"]["acks"]) == ["DE-GEWERBE", "EU-COM"]


def test_a_services_alert_names_no_profession_and_needs_its_countries(net):
    sender = A(net, "ie.byrne")
    before = net.stores["ie.byrne"].query("SELECT count(*) FROM alerts")[0][0]
    error = refused(lambda: sender.new(kind="services", countries=["DE"], profession="nurse", lang="en",
                                       answers=services_answers()),
                    "the alert is not right; nothing was drafted", InvalidInput)
    assert [(p.field, p.message) for p in error.problems] == [("profession", "a services alert names no profession")]
    error = refused(lambda: sender.new(kind="services", lang="en", answers=services_answers()),
                    "the alert is not right; nothing was drafted", InvalidInput)
    assert [p.field for p in error.problems] == ["countries"]
    assert net.stores["ie.byrne"].query("SELECT count(*) FROM alerts")[0][0] == before
