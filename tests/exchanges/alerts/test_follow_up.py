"""A recipient follows an alert up with an ordinary information request to the alert's sender
(`imi request new --about-alert ID`)."""

from __future__ import annotations

from imi_cli.errors import NotFound, UsageError
from imi_cli.exchanges.requests.projection import load as load_request
from imi_cli.exchanges.requests.service import Requests
from tests.exchanges.alerts.conftest import refused, sent
from tests.exchanges.alerts.network import CLOCK

PQ = "professional-qualifications"


def ask(net, name: str, aid: str, to: str | None = None) -> str:
    return Requests(net.stores[name]).new(area=PQ, to=to, questionnaire="pq-verify-qualification", questions=None,
                                          deadline=CLOCK.today(30), subject="About the alert", about_alert=aid)


def test_a_recipient_asks_the_alerts_sender_and_the_request_names_the_alert(net):
    aid = sent(net)
    net.sync("hu.kiss")  # HU-RIASZT routes the alert; hu.kiss handles its requests
    rid = ask(net, "hu.kiss", aid)  # no --to: the request goes to the alert's sender
    Requests(net.stores["hu.kiss"]).send(rid)
    net.sync("hu.kiss", "ie.clerk")
    received = load_request(net.stores["ie.clerk"].conn, rid)
    assert received is not None
    assert (received["requester"], received["responder"], received["record"]["about_alert"]) == \
        ("HU-RIASZT", "IE-NMBI", aid)


def test_a_request_about_an_alert_goes_to_its_sender_and_needs_the_alert(net):
    aid = sent(net)
    net.sync("hu.kiss")
    refused(lambda: ask(net, "hu.kiss", aid, to="FI-VALVIRA"),
            f"a request about alert {aid} goes to its sender, IE-NMBI, not FI-VALVIRA", UsageError)
    # a store the alert never reached cannot name it
    refused(lambda: ask(net, "fi.virtanen", aid), f"no alert {aid!r} here", NotFound)
