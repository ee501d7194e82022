"""Who gets a notification: a national coordinator disseminates it only to authorities of its
own country competent in the area; a comment reaches every holder (the notifier, the
Commission, every national coordinator, the authorities it was disseminated to, even one
reached after the comment) and nobody else."""

from __future__ import annotations

from imi_cli.directory.invitations import coordinator_records
from imi_cli.errors import NotFound
from tests.exchanges.notifications.conftest import (
    EVERYONE,
    N,
    broadcast,
    disseminated,
    events_of,
    held,
    hub_refuses,
    last_state,
    push,
    refused,
)
from tests.exchanges.notifications.network import CLOCK
from tests.exchanges.requests.network import PASSPHRASE, _new_store

NOT_A_COORDINATOR = "a national coordinator that received the notification disseminates it"
COORDINATORS = ("it.nco", "at.nco", "fi.nco", "de.nco")


def outside(target: str, country: str = "AT") -> str:
    return f"{target}: a notification is disseminated to authorities of {country} competent in services"


def test_a_notification_is_disseminated_within_the_coordinators_country_and_area(net):
    nid = broadcast(net)
    coordinator = N(net, "at.nco")
    # another country's authority, its coordinator, one not in services, one unknown
    for target in ("FI-TEM", "DE-NCO", "AT-AERZTE", "AT-NIX"):
        refused(lambda t=target: coordinator.disseminate(nid, [t]), outside(target))
        hub_refuses(push(net, "at.nco", "notification.disseminated", {"to": [target]}, nid), "invalid",
                    outside(target))
    refused(lambda: coordinator.disseminate(nid, ["AT-BMAW", "FI-TEM"]), outside("FI-TEM"))
    refused(lambda: N(net, "fi.nco").disseminate(nid, ["AT-BMAW"]), outside("AT-BMAW", "FI"))
    assert held(net, "at.nco", nid)["record"]["disseminated"] == []
    coordinator.disseminate(nid, ["AT-BMAW"])
    net.sync("at.nco", "at.huber", "fi.koski")
    assert last_state(net, "at.nco") == "accepted"
    assert held(net, "at.huber", nid)["state"] == "broadcast"
    assert held(net, "fi.koski", nid) is None
    refused(lambda: coordinator.disseminate(nid, ["AT-BMAW"]), "AT-BMAW has the notification already")
    hub_refuses(push(net, "at.nco", "notification.disseminated", {"to": ["AT-BMAW"]}, nid), "illegal_transition",
                "AT-BMAW has the notification already")
    # the coordinator itself received the broadcast
    refused(lambda: coordinator.disseminate(nid, ["AT-NCO"]), "AT-NCO has the notification already")


def test_only_a_national_coordinator_that_received_it_disseminates(net):
    nid = disseminated(net)
    net.sync("at.assist")
    # an authority it was disseminated to, and a user of the coordinator without the coordinator role
    for name in ("at.huber", "at.assist"):
        refused(lambda n=name: N(net, n).disseminate(nid, ["AT-WKO"]), NOT_A_COORDINATOR)
        hub_refuses(push(net, name, "notification.disseminated", {"to": ["AT-WKO"]}, nid), "not_allowed",
                    NOT_A_COORDINATOR)
    # the notifier (not a coordinator) and its coordinator (it received it: within Italy only)
    refused(lambda: N(net, "it.rossi").disseminate(nid, ["AT-WKO"]), NOT_A_COORDINATOR)
    refused(lambda: N(net, "it.nco").disseminate(nid, ["AT-WKO"]), outside("AT-WKO", "IT"))
    # a national coordinator that joined after the broadcast was not sent it
    record, user = coordinator_records("SE-NCO", "SE", "Coordinator SE", "sv", "sv;en", "services",
                                       "nco@example.se", "se.nco", "Coordinator SE", "c@example.se")
    net.stores["se.nco"] = _new_store(net.folder, "se.nco", net.url, net.hub.invite_coordinator(record, user),
                                      PASSPHRASE)
    net.sync("se.nco")
    refused(lambda: N(net, "se.nco").disseminate(nid, ["SE-NCO"]), f"no notification {nid!r} here", NotFound)
    hub_refuses(push(net, "se.nco", "notification.disseminated", {"to": ["SE-NCO"]}, nid), "not_allowed",
                f"notification/{nid} is not a notification your authority has")
    assert held(net, "se.nco", nid) is None
    N(net, "at.nco").disseminate(nid, ["AT-WKO"])
    net.sync("at.nco", "at.gruber")
    assert held(net, "at.gruber", nid)["record"]["disseminated"] == ["AT-BMAW", "AT-WKO"]


def test_a_comment_reaches_every_holder_and_nobody_else(net, monkeypatch):
    nid = disseminated(net)  # to AT-BMAW
    N(net, "eu.com").comment(nid, "Please explain why a numerical limit is needed.", "en")
    net.sync("eu.com")
    CLOCK.set(monkeypatch)
    N(net, "at.huber").comment(nid, "Wir haben ähnliche Regeln geprüft.", "de")
    net.sync("at.huber")
    # AT-WKO is reached after both comments: its delivery carries them
    N(net, "at.nco").disseminate(nid, ["AT-WKO"])
    net.sync("at.nco")
    CLOCK.set(monkeypatch)
    # FI-NCO comments before it pulls the others' comments: it reads them in the same order as all
    N(net, "fi.nco").comment(nid, "Suomessa ei ole vastaavaa sääntöä.", "fi")
    net.sync("fi.nco", *EVERYONE)
    expected = [("EU-COM", "en", "Please explain why a numerical limit is needed."),
                ("AT-BMAW", "de", "Wir haben ähnliche Regeln geprüft."),
                ("FI-NCO", "fi", "Suomessa ei ole vastaavaa sääntöä.")]
    holders = ("it.rossi", "it.clerk", "eu.com", *COORDINATORS, "at.assist", "at.huber", "at.gruber")
    for name in holders:
        n = held(net, name, nid)
        assert n is not None, name
        assert [(c["authority"], c["lang"], c["text"]) for c in n["record"]["comments"]] == expected, name
    assert "notification.delivered" in events_of(net, "at.gruber", nid)
    assert "notification.commented" not in events_of(net, "at.gruber", nid)[:1]
    for name in ("fi.koski", "de.weber"):  # competent in services, never disseminated to
        assert held(net, name, nid) is None, name
        assert events_of(net, name, nid) == [], name
        assert net.stores[name].query("SELECT count(*) FROM events WHERE body LIKE ?",
                                      ("%numerical limit%",))[0][0] == 0, name
    # the hub sent each comment to every holder
    rows = net.hub.store.conn.execute("SELECT body FROM events WHERE type = 'notification.commented' "
                                      "AND json_extract(body, '$.subject.entity') = ?", (f"notification/{nid}",))
    assert len(rows.fetchall()) == 3
