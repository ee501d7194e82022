"""The sender's later steps — modify, withdraw, close — reach everyone who has the alert when
the hub takes them: the routing coordinators and every handler, also one the sender's store
had not heard of yet (a coordinator forwarded the alert since the sender last synced)."""

from __future__ import annotations

from tests.exchanges.alerts.conftest import A, alert_in, sent
from tests.exchanges.alerts.network import CLOCK

EVERYONE = ("ie.byrne", "hu.szabo", "hu.toth", "fi.nco", "de.nco")


def forwarded_behind_the_senders_back(net) -> str:
    """Sent, then forwarded to HU-MESZK while the sender's store does not sync."""
    aid = sent(net)
    A(net, "hu.szabo").forward(aid, ["HU-MESZK"])
    net.sync("hu.szabo", "hu.toth")
    assert alert_in(net, "ie.byrne", aid)["record"]["handlers"] == []
    assert alert_in(net, "hu.toth", aid)["state"] == "sent"
    return aid


def everyone_syncs(net) -> None:
    net.sync(*EVERYONE)


def test_a_modification_reaches_every_recipient(net):
    aid = forwarded_behind_the_senders_back(net)
    end = CLOCK.today(180)
    A(net, "ie.byrne").modify(aid, answers={"period_end": end}, lang="en", under_appeal=True)
    everyone_syncs(net)
    for name in EVERYONE:
        alert = alert_in(net, name, aid)
        assert (alert["under_appeal"], alert["record"]["content"]["answers"]["period_end"]) == (1, end), name
    assert alert_in(net, "ie.byrne", aid)["record"]["handlers"] == ["HU-MESZK"]
    A(net, "ie.byrne").modify(aid, answers={}, lang="en", under_appeal=False)
    everyone_syncs(net)
    for name in EVERYONE:
        alert = alert_in(net, name, aid)
        assert (alert["under_appeal"], alert["record"]["content"].get("under_appeal")) == (0, False), name
        assert [m["fields"] for m in alert["record"]["modifications"]] == [["period_end", "under_appeal"],
                                                                           ["under_appeal"]], name
    # the coordinator still reads the change without the person
    assert "_withheld" in alert_in(net, "hu.szabo", aid)["record"]["content"]["answers"]


def test_a_withdrawal_reaches_every_recipient(net):
    aid = forwarded_behind_the_senders_back(net)
    A(net, "ie.byrne").withdraw(aid, "Sent in error: wrong professional.")
    everyone_syncs(net)
    for name in EVERYONE:
        alert = alert_in(net, name, aid)
        assert (alert["state"], alert["record"]["withdraw_reason"], alert["erase_after"]) == \
            ("withdrawn", "Sent in error: wrong professional.", CLOCK.today()), name


def test_closing_reaches_every_recipient(net):
    aid = forwarded_behind_the_senders_back(net)
    ended = CLOCK.today(-1)
    A(net, "ie.byrne").close(aid, ended)
    everyone_syncs(net)
    for name in EVERYONE:
        alert = alert_in(net, name, aid)
        assert (alert["state"], alert["ended_on"], alert["erase_after"]) == ("closed", ended, CLOCK.today(2)), name
    # a handler still acknowledges a closed alert it had not read
    A(net, "hu.toth").acknowledge(aid)
    net.sync("hu.toth", "ie.byrne")
    assert list(alert_in(net, "ie.byrne", aid)["record"]["acks"]) == ["HU-MESZK"]
