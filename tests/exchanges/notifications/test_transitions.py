"""Every step of a notification, allowed and refused, between real stores and a real hub: the
node refuses at once with the reason the hub gives, and the hub refuses the same step pushed
by hand past the node's checks. Each refusal sits next to the allowed step it guards."""

from __future__ import annotations

from imi_cli.errors import NotFound, UsageError
from imi_cli.log.event import uuid7
from tests.exchanges.notifications.conftest import (
    N,
    broadcast,
    disseminated,
    drafted,
    held,
    hub_refuses,
    last_state,
    push,
    refused,
    services_answers,
)

NOT_NOTIFIER = "only the notifying authority (IT-MIMIT) may do that"
NOT_CLOSER = "the Commission or the notifying authority closes a notification"
DECISIONS = "the decision is one of no_objection, decision_to_refrain, decision_to_abolish"


def not_held(nid: str) -> str:
    return f"notification/{nid} is not a notification your authority has"


def test_a_draft_is_broadcast_once_and_only_by_its_notifier(net):
    nid = drafted(net)
    content = held(net, "it.rossi", nid)["record"]["content"]
    net.sync("it.rossi", "it.nco", "it.clerk")
    # a draft stays with its notifier: a user of it without the role holds it, its coordinator not
    refused(lambda: N(net, "it.nco").broadcast(nid), f"no notification {nid!r} here", NotFound)
    refused(lambda: N(net, "it.clerk").broadcast(nid), "that needs the notification_handler role in services")
    hub_refuses(push(net, "it.nco", "notification.broadcast", {"notification": content}, nid), "not_allowed",
                NOT_NOTIFIER)
    # a third state does not even know of it
    refused(lambda: N(net, "de.nco").broadcast(nid), f"no notification {nid!r} here", NotFound)
    hub_refuses(push(net, "de.nco", "notification.broadcast", {"notification": content}, nid), "not_allowed",
                not_held(nid))
    assert held(net, "de.nco", nid) is None
    N(net, "it.rossi").broadcast(nid)
    net.sync("it.rossi", "de.nco")
    assert last_state(net, "it.rossi") == "accepted"
    assert held(net, "de.nco", nid)["state"] == "broadcast"
    refused(lambda: N(net, "it.rossi").broadcast(nid), f"notification {nid} is broadcast, not a draft; nothing "
            "was broadcast", UsageError)
    hub_refuses(push(net, "it.rossi", "notification.broadcast", {"notification": content}, nid),
                "illegal_transition", "the notification is broadcast: it cannot be broadcast now")


def test_the_commission_examines_and_does_not_notify(net):
    refused(lambda: N(net, "eu.com").new(kind="services-notification", lang="en", answers=services_answers()),
            "a member state notifies; the Commission examines")
    refused(lambda: N(net, "it.clerk").new(kind="services-notification", lang="it", answers=services_answers()),
            "that needs the notification_handler role in services")
    refused(lambda: N(net, "it.rossi").new(kind="pq-restriction", lang="it", answers=services_answers()),
            "--kind 'pq-restriction' is not a kind of notification (pq-diploma-notification, "
            "services-notification, services-notification-39-5)", UsageError)
    assert net.stores["eu.com"].query("SELECT count(*) FROM notifications WHERE notifier = 'EU-COM'")[0][0] == 0


def test_only_the_notifier_modifies_or_withdraws(net):
    nid = broadcast(net)
    net.sync("it.clerk")
    steps = {"modify": lambda n: n.modify(nid, {"entry_into_force": "2027-09-01"}, "de"),
             "withdraw": lambda n: n.withdraw(nid, "Irrtum")}
    for step in steps.values():
        for other in ("de.nco", "eu.com", "at.nco", "it.nco"):
            refused(lambda s=step, o=other: s(N(net, o)), NOT_NOTIFIER)
        refused(lambda s=step: s(N(net, "it.clerk")), "that needs the notification_handler role in services")
    hub_refuses(push(net, "eu.com", "notification.modified", {"answers": {"entry_into_force": "2027-09-01"},
                                                                "lang": "en"}, nid), "not_allowed", NOT_NOTIFIER)
    hub_refuses(push(net, "de.nco", "notification.withdrawn", {"reason": "x"}, nid), "not_allowed", NOT_NOTIFIER)
    assert held(net, "it.rossi", nid)["state"] == "broadcast"
    N(net, "it.rossi").modify(nid, {"entry_into_force": "2027-09-01"}, "it")
    net.sync("it.rossi", "de.nco")
    assert last_state(net, "it.rossi") == "accepted"
    assert held(net, "de.nco", nid)["record"]["content"]["answers"]["entry_into_force"] == "2027-09-01"


def test_a_third_state_does_not_close_the_commission_and_the_notifier_do(net):
    by_commission, by_notifier = broadcast(net), broadcast(net)
    refused(lambda: N(net, "de.nco").close(by_commission, "no_objection", "de"), NOT_CLOSER)
    hub_refuses(push(net, "de.nco", "notification.closed", {"decision": "no_objection", "lang": "de"},
                     by_commission), "not_allowed", NOT_CLOSER)
    assert held(net, "eu.com", by_commission)["state"] == "broadcast"
    N(net, "eu.com").close(by_commission, "decision_to_refrain", "en", "Not justified.")
    N(net, "it.rossi").close(by_notifier, "no_objection", "it")
    net.sync("eu.com", "it.rossi", "de.nco", "eu.com")
    assert (last_state(net, "eu.com"), last_state(net, "it.rossi")) == ("accepted", "accepted")
    for name in ("it.rossi", "de.nco", "eu.com"):
        assert held(net, name, by_commission)["record"]["decision"] == {
            "code": "decision_to_refrain", "by": "EU-COM", "text": "Not justified.", "lang": "en"}, name
        assert held(net, name, by_notifier)["state"] == "closed", name
    refused(lambda: N(net, "eu.com").close(by_commission, "no_objection", "en"),
            "the notification is closed: it cannot be closed now")


def test_a_decision_comes_from_the_kinds_list(net):
    nid = broadcast(net)
    for code in ("approved", "noted", "listed_in_annex"):  # unknown; another kind's decisions
        refused(lambda c=code: N(net, "eu.com").close(nid, c, "en"), DECISIONS)
        hub_refuses(push(net, "eu.com", "notification.closed", {"decision": code, "lang": "en"}, nid), "invalid",
                    DECISIONS)
    other = broadcast(net, kind="services-notification-39-5")
    refused(lambda: N(net, "eu.com").close(other, "no_objection", "en"),
            "the decision is one of noted, further_information_requested")
    N(net, "eu.com").close(other, "noted", "en")
    N(net, "eu.com").close(nid, "decision_to_abolish", "en")
    net.sync("eu.com")
    assert held(net, "eu.com", nid)["record"]["decision"]["code"] == "decision_to_abolish"


def test_a_closed_notification_is_still_modified_by_its_notifier(net):
    nid = disseminated(net)
    N(net, "eu.com").close(nid, "no_objection", "en")
    net.sync("eu.com", "it.rossi")
    N(net, "it.rossi").modify(nid, {"entry_into_force": "2027-11-01"}, "it")
    net.sync("it.rossi", "at.huber", "eu.com")
    assert last_state(net, "it.rossi") == "accepted"
    for name in ("at.huber", "eu.com"):
        n = held(net, name, nid)
        assert n["state"] == "closed", name
        assert n["record"]["content"]["answers"]["entry_into_force"] == "2027-11-01", name
        assert [(m["fields"], m["after_closure"]) for m in n["record"]["modifications"]] == \
            [(["entry_into_force"], True)], name
    refused(lambda: N(net, "it.rossi").withdraw(nid, "troppo tardi"),
            "the notification is closed: it cannot be withdrawn now")


def test_a_withdrawn_notification_takes_no_comment(net):
    nid = broadcast(net)
    N(net, "de.nco").comment(nid, "Eine Frage.", "de")
    net.sync("de.nco")
    N(net, "it.rossi").withdraw(nid, "Misura ritirata")
    net.sync("it.rossi", "de.nco", "eu.com")
    assert held(net, "de.nco", nid)["state"] == "withdrawn"
    for name, lang in (("de.nco", "de"), ("eu.com", "en"), ("it.rossi", "it")):
        refused(lambda n=name, g=lang: N(net, n).comment(nid, "Noch eine Frage.", g),
                "the notification is withdrawn: it cannot be commented now")
    hub_refuses(push(net, "eu.com", "notification.commented", {"text": "Why?", "lang": "en"}, nid),
                "illegal_transition", "the notification is withdrawn: it cannot be commented now")
    assert len(held(net, "eu.com", nid)["record"]["comments"]) == 1


def test_a_withdrawn_draft_stays_with_its_notifier(net):
    nid = drafted(net)
    N(net, "it.rossi").withdraw(nid, "bozza sbagliata")
    net.sync("it.rossi", "eu.com", "de.nco")
    assert last_state(net, "it.rossi") == "accepted"
    assert held(net, "it.rossi", nid)["state"] == "withdrawn"
    assert held(net, "eu.com", nid) is None and held(net, "de.nco", nid) is None
    refused(lambda: N(net, "it.rossi").broadcast(nid),
            f"notification {nid} is withdrawn, not a draft; nothing was broadcast", UsageError)


def test_an_outsider_is_told_the_same_whether_the_notification_exists_or_not(net):
    nid, missing = disseminated(net), uuid7()
    net.sync("fi.koski", "de.weber")
    for outsider in ("fi.koski", "de.weber"):
        for ident in (nid, missing):
            refused(lambda o=outsider, i=ident: N(net, o).comment(i, "Hei", "fi"), f"no notification {ident!r} here",
                    NotFound)
    steps = [("notification.commented", {"text": "Hei", "lang": "fi"}), ("notification.disseminated",
             {"to": ["FI-TEM"]}), ("notification.modified", {"answers": {"entry_into_force": "2028-01-01"},
                                                             "lang": "fi"}),
             ("notification.withdrawn", {"reason": "x"}), ("notification.closed", {"decision": "no_objection",
                                                                                   "lang": "fi"})]
    for type_, payload in steps:
        told = {ident: push(net, "fi.koski", type_, payload, ident) for ident in (nid, missing)}
        for ident, result in told.items():
            hub_refuses(result, "not_allowed", not_held(ident))
        assert told[nid]["message"].replace(nid, "ID") == told[missing]["message"].replace(missing, "ID")
    # Finland's national coordinator, a recipient, does take part
    N(net, "fi.nco").comment(nid, "Kiitos.", "fi")
    net.sync("fi.nco")
    assert last_state(net, "fi.nco") == "accepted"
