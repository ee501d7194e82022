"""The 3-day rule (Directive 2005/36/EC Art. 56a(1)): a PQ alert sent more than 3 days after
the decision says why; every recipient reads how late it is and the reason."""

from __future__ import annotations

import datetime as dt

from imi_cli import i18n
from imi_cli.exchanges.alerts.kinds import KINDS, routing
from imi_cli.log import clock
from imi_cli.sync.session import outbox
from tests.exchanges.alerts.conftest import A, alert_in, drafted, hub_refuses, push, refused
from tests.exchanges.alerts.network import CLOCK
from tests.speak import said

LATE = "the decision was more than 3 days ago: say why the alert is late (--late-reason)"
REASON = "The committee's decision reached us only on Friday."


def test_an_alert_three_days_after_the_decision_is_in_time(net):
    aid = drafted(net, decided=CLOCK.today(-3))
    A(net, "ie.byrne").send(aid)
    net.sync("ie.byrne", "hu.szabo")
    assert outbox(net.stores["ie.byrne"])[-1]["state"] == "accepted"
    assert alert_in(net, "hu.szabo", aid)["late_days"] is None


def test_a_late_alert_needs_a_reason_and_its_recipients_see_it(net, cli):
    aid = drafted(net, decided=CLOCK.today(-5))
    refused(lambda: A(net, "ie.byrne").send(aid), LATE)
    assert alert_in(net, "ie.byrne", aid)["state"] == "draft"
    # the hub refuses it too, when a node's check is skipped
    net.sync("ie.byrne")  # the draft
    alert = alert_in(net, "ie.byrne", aid)
    expected = routing(net.stores["ie.byrne"].conn, KINDS["pq-restriction"], "nurse", "IE", None)
    hub_refuses(push(net, "ie.byrne", "alert.sent", {"alert": alert["record"]["content"], "routing": expected},
                     aid), "invalid", LATE)
    A(net, "ie.byrne").send(aid, late_reason=REASON)
    net.sync("ie.byrne", "hu.szabo")
    assert outbox(net.stores["ie.byrne"])[-1]["state"] == "accepted"
    A(net, "hu.szabo").forward(aid, ["HU-MESZK"])
    net.sync("hu.szabo", "hu.toth")
    for name in ("ie.byrne", "hu.szabo", "hu.toth"):
        alert = alert_in(net, name, aid)
        assert (alert["late_days"], alert["record"].get("late_reason")) == (2, REASON), name
    shown = cli("hu.toth", "alert", "show", aid, "--lang", "hu")
    with i18n.language("hu"):
        late = i18n.nt("sent {n} day late", "sent {n} days late", 2)
    assert late in shown.out.splitlines()[0]
    assert said("hu", "why late: {reason}", reason=REASON) in shown.out.splitlines()


def test_a_backdated_send_does_not_escape_the_rule(net):
    """The hub judges the 3 days by its own clock, not by the time the event claims."""
    aid = drafted(net, decided=CLOCK.today(-5))
    net.sync("ie.byrne")
    content = alert_in(net, "ie.byrne", aid)["record"]["content"]
    expected = routing(net.stores["ie.byrne"].conn, KINDS["pq-restriction"], "nurse", "IE", None)
    two_days_ago = clock.iso(CLOCK.now - dt.timedelta(days=2))
    hub_refuses(push(net, "ie.byrne", "alert.sent", {"alert": content, "routing": expected}, aid, at=two_days_ago),
                "invalid", LATE)
    accepted = push(net, "ie.byrne", "alert.sent", {"alert": content, "routing": expected, "late_reason": REASON},
                    aid, at=two_days_ago)
    assert accepted["status"] == "accepted", accepted
