"""Every step of an alert, allowed and refused, between real stores and a real hub: the node
refuses at once with the reason the hub gives, and the hub refuses the same step pushed by
hand past the node's checks. Each refusal sits next to the allowed step it guards."""

from __future__ import annotations

from imi_cli.errors import NotFound, Rejected, UsageError
from imi_cli.log.event import uuid7
from imi_cli.sync.session import outbox
from tests.exchanges.alerts.conftest import (
    A,
    alert_in,
    drafted,
    forwarded,
    hub_refuses,
    push,
    refused,
    sent,
)
from tests.exchanges.alerts.network import CLOCK

PQ = "professional-qualifications"
NOT_SENDER = "only the sending authority (IE-NMBI) may do that"
def wrong_target(target: str) -> str:
    return f"{target}: an alert is forwarded to an authority of HU competent in professional-qualifications"


def net_today(days: int = 0) -> str:
    return CLOCK.today(days)


def last_state(net, name: str) -> str:
    return outbox(net.stores[name])[-1]["state"]


def test_a_draft_is_sent_once(net):
    aid = drafted(net)
    content = alert_in(net, "ie.byrne", aid)["record"]["content"]
    event = A(net, "ie.byrne").send(aid)
    net.sync("ie.byrne")
    assert last_state(net, "ie.byrne") == "accepted"
    assert event["payload"]["routing"] == {"coordinators": ["DE-NCO", "FI-NCO", "HU-RIASZT"], "direct": []}
    refused(lambda: A(net, "ie.byrne").send(aid), f"alert {aid} is sent, not a draft; nothing was sent", UsageError)
    hub_refuses(push(net, "ie.byrne", "alert.sent", {"alert": content, "routing": event["payload"]["routing"]}, aid),
                "illegal_transition", "the alert is sent: it cannot be sent now")


def test_only_the_incoming_alert_coordinator_forwards(net):
    aid = sent(net)
    net.sync("hu.toth", "hu.kiss")
    # the sender, and a user of the coordinator's authority without the role
    refused(lambda: A(net, "ie.byrne").forward(aid, ["HU-MESZK"]),
            "only the incoming-alert coordinators it was sent to forward an alert")
    refused(lambda: A(net, "hu.kiss").forward(aid, ["HU-MESZK"]),
            f"that needs the alert_coordinator role in {PQ}")
    # the nursing chamber was not sent it: to it, the alert does not exist
    refused(lambda: A(net, "hu.toth").forward(aid, ["HU-MESZK"]), f"no alert {aid!r} here", NotFound)
    hub_refuses(push(net, "hu.toth", "alert.forwarded", {"to": ["HU-MESZK"]}, aid), "not_allowed",
                f"alert/{aid} is not an alert your authority takes part in")
    hub_refuses(push(net, "hu.kiss", "alert.forwarded", {"to": ["HU-MESZK"]}, aid), "not_allowed",
                f"that needs the alert_coordinator role in {PQ}")
    A(net, "hu.szabo").forward(aid, ["HU-MESZK"])
    net.sync("hu.szabo", "hu.toth")
    assert last_state(net, "hu.szabo") == "accepted"
    # a handler does not pass it on in turn
    refused(lambda: A(net, "hu.toth").forward(aid, ["HU-MESZK"]),
            "only the incoming-alert coordinators it was sent to forward an alert")


def test_an_alert_is_forwarded_within_the_coordinators_country_and_area(net):
    aid = sent(net)
    coordinator = A(net, "hu.szabo")
    for target in ("IE-NMBI", "FI-VALVIRA", "HU-SZOLG", "HU-NINCS"):  # another country, not in PQ, unknown
        refused(lambda t=target: coordinator.forward(aid, [t]), wrong_target(target))
        hub_refuses(push(net, "hu.szabo", "alert.forwarded", {"to": [target]}, aid), "invalid", wrong_target(target))
    refused(lambda: coordinator.forward(aid, ["HU-MESZK", "DE-NCO"]), wrong_target("DE-NCO"))
    assert alert_in(net, "hu.szabo", aid)["record"]["handlers"] == []
    coordinator.forward(aid, ["HU-MESZK"])
    net.sync("hu.szabo")
    assert last_state(net, "hu.szabo") == "accepted"
    refused(lambda: coordinator.forward(aid, ["HU-MESZK"]), "the alert was forwarded to HU-MESZK already")
    # a national coordinator routing for its country (FI has no incoming-alert coordinator)
    refused(lambda: A(net, "fi.nco").forward(aid, ["HU-MESZK"]),
            "HU-MESZK: an alert is forwarded to an authority of FI competent in professional-qualifications")
    A(net, "fi.nco").forward(aid, ["FI-VALVIRA"])
    net.sync("fi.nco", "fi.virtanen")
    assert last_state(net, "fi.nco") == "accepted"
    assert alert_in(net, "fi.virtanen", aid)["state"] == "sent"


def test_only_a_handler_acknowledges_and_only_once(net):
    aid = forwarded(net)
    refused(lambda: A(net, "hu.szabo").acknowledge(aid), "an alert is acknowledged by an authority that handles it")
    refused(lambda: A(net, "fi.nco").acknowledge(aid), "an alert is acknowledged by an authority that handles it")
    hub_refuses(push(net, "hu.szabo", "alert.acknowledged", {}, aid), "not_allowed",
                "an alert is acknowledged by an authority that handles it")
    A(net, "hu.toth").acknowledge(aid)
    net.sync("hu.toth", "ie.byrne", "hu.szabo")
    assert last_state(net, "hu.toth") == "accepted"
    for name in ("ie.byrne", "hu.szabo", "hu.toth"):
        assert list(alert_in(net, name, aid)["record"]["acks"]) == ["HU-MESZK"], name
    refused(lambda: A(net, "hu.toth").acknowledge(aid), "HU-MESZK acknowledged the alert already")
    hub_refuses(push(net, "hu.toth", "alert.acknowledged", {}, aid), "illegal_transition",
                "HU-MESZK acknowledged the alert already")


def test_only_the_sender_modifies_withdraws_or_closes(net):
    aid = forwarded(net)
    net.sync("ie.clerk")
    handler = A(net, "hu.toth")
    today = net_today()
    steps = {"modify": lambda a: a.modify(aid, answers={}, lang="hu", under_appeal=True),
             "withdraw": lambda a: a.withdraw(aid, "tévedés"),
             "close": lambda a: a.close(aid, today)}
    for step in steps.values():
        refused(lambda s=step: s(handler), NOT_SENDER)
        refused(lambda s=step: s(A(net, "hu.szabo")), NOT_SENDER)
        # the sending authority's user without the alert_handler role
        refused(lambda s=step: s(A(net, "ie.clerk")), f"that needs the alert_handler role in {PQ}")
    hub_refuses(push(net, "hu.toth", "alert.modified", {"lang": "hu", "under_appeal": True}, aid), "not_allowed",
                NOT_SENDER)
    hub_refuses(push(net, "hu.toth", "alert.withdrawn", {"reason": "x"}, aid), "not_allowed", NOT_SENDER)
    hub_refuses(push(net, "hu.toth", "alert.closed", {"ended_on": today}, aid), "not_allowed", NOT_SENDER)
    assert alert_in(net, "ie.byrne", aid)["state"] == "sent"
    A(net, "ie.byrne").modify(aid, answers={}, lang="en", under_appeal=True)
    net.sync("ie.byrne")
    assert last_state(net, "ie.byrne") == "accepted"


def test_a_draft_is_not_closed_and_a_closed_alert_not_changed(net):
    aid = drafted(net)
    today = net_today()
    refused(lambda: A(net, "ie.byrne").close(aid, today), "the alert is draft: it cannot be closed now")
    refused(lambda: A(net, "ie.byrne").modify(aid, answers={}, lang="en", under_appeal=True),
            "the alert is draft: it cannot be modified now")
    A(net, "ie.byrne").send(aid)
    refused(lambda: A(net, "ie.byrne").close(aid, net_today(1)),
            "an alert is closed once the restriction has ended: ended_on is not past")
    A(net, "ie.byrne").close(aid, today)
    net.sync("ie.byrne")
    assert [o["state"] for o in outbox(net.stores["ie.byrne"])[-2:]] == ["accepted", "accepted"]
    refused(lambda: A(net, "ie.byrne").modify(aid, answers={"period_end": today}, lang="en"),
            "the alert is closed: it cannot be modified now")
    refused(lambda: A(net, "ie.byrne").withdraw(aid, "late"), "the alert is closed: it cannot be withdrawn now")
    refused(lambda: A(net, "ie.byrne").close(aid, today), "the alert is closed: it cannot be closed now")
    hub_refuses(push(net, "ie.byrne", "alert.modified", {"lang": "en", "under_appeal": True}, aid),
                "illegal_transition", "the alert is closed: it cannot be modified now")


def test_a_withdrawn_draft_stays_with_its_sender(net):
    aid = drafted(net)
    A(net, "ie.byrne").withdraw(aid, "drafted in error")
    net.sync("ie.byrne", "hu.szabo", "ie.nco")
    assert last_state(net, "ie.byrne") == "accepted"
    assert alert_in(net, "ie.byrne", aid)["state"] == "withdrawn"
    assert alert_in(net, "hu.szabo", aid) is None
    refused(lambda: A(net, "ie.byrne").send(aid), f"alert {aid} is withdrawn, not a draft; nothing was sent",
            UsageError)


def test_an_outsider_is_told_the_same_whether_the_alert_exists_or_not(net):
    aid, missing = sent(net), uuid7()
    net.sync("fi.virtanen")
    outsider = A(net, "fi.virtanen")
    for ident in (aid, missing):
        refused(lambda i=ident: outsider.acknowledge(i), f"no alert {ident!r} here", NotFound)
    steps = [("alert.acknowledged", {}), ("alert.forwarded", {"to": ["FI-VALVIRA"]}),
             ("alert.modified", {"lang": "fi", "under_appeal": True}), ("alert.withdrawn", {"reason": "x"}),
             ("alert.closed", {"ended_on": net_today()})]
    for type_, payload in steps:
        told = {ident: push(net, "fi.virtanen", type_, payload, ident) for ident in (aid, missing)}
        for ident, result in told.items():
            hub_refuses(result, "not_allowed", f"alert/{ident} is not an alert your authority takes part in")
        assert told[aid]["message"].replace(aid, "ID") == told[missing]["message"].replace(missing, "ID")
    # the national coordinator that routes it for Finland does take part
    A(net, "fi.nco").forward(aid, ["FI-VALVIRA"])
    net.sync("fi.nco")
    assert last_state(net, "fi.nco") == "accepted"


def test_the_node_refuses_a_step_on_an_alert_it_does_not_hold(net):
    missing = uuid7()
    refused(lambda: A(net, "ie.byrne").close(missing), f"no alert {missing!r} here", NotFound)
    assert isinstance(refused(lambda: A(net, "hu.szabo").acknowledge(sent(net)),
                              "an alert is acknowledged by an authority that handles it"), Rejected)


def test_a_modification_does_not_contradict_the_alerts_kind(net):
    aid = sent(net)
    refused(lambda: A(net, "ie.byrne").modify(aid, answers={"falsified_evidence": "yes"}, lang="en"),
            "a pq-restriction alert answers falsified_evidence with 'no'")
    hub_refuses(push(net, "ie.byrne", "alert.modified", {"lang": "en", "answers": {"falsified_evidence": "yes"}},
                     aid), "invalid", "a pq-restriction alert answers falsified_evidence with 'no'")
    A(net, "ie.byrne").modify(aid, answers={"comments": "Appeal lodged on Monday."}, lang="en")
    net.sync("ie.byrne")
    assert last_state(net, "ie.byrne") == "accepted"
    assert alert_in(net, "ie.byrne", aid)["record"]["content"]["answers"]["falsified_evidence"] == "no"
