"""Who reads what of a PQ alert (Reg. 2015/983 Art. 24): an incoming-alert coordinator routes
it without ever holding the professional's identity (its whole SQLCipher store is searched);
the authority it is forwarded to reads it whole, in its own language; an authority outside
the routing gets nothing at all."""

from __future__ import annotations

from imi_cli.exchanges.alerts.labels import kind_label, state_label
from tests.exchanges.alerts.conftest import A, alert_in, everything_in, forwarded, person, sent
from tests.speak import label, said, word

WITHHELD = word("hu", "[withheld]")

IDENTITY = ("professional_name", "date_of_birth", "place_of_birth")


def alert_rows(net, name: str, aid: str) -> tuple[int, int]:
    """(rows of the alerts table, events) about the alert in a store."""
    conn = net.stores[name].conn
    return (conn.execute("SELECT count(*) FROM alerts WHERE id = ?", (aid,)).fetchone()[0],
            conn.execute("SELECT count(*) FROM events WHERE type LIKE 'alert.%' AND body LIKE ?",
                         (f"%{aid}%",)).fetchone()[0])


def test_the_coordinators_store_never_holds_who_the_alert_is_about(net, cli):
    who = person()
    aid = forwarded(net, who)
    net.sync("hu.szabo", "fi.nco", "de.nco")
    # the search finds the identity where it is: the sender's and the handler's stores
    for name in ("ie.byrne", "hu.toth"):
        held = everything_in(net.stores[name])
        assert all(who[k] in held for k in IDENTITY), name
    for name in ("hu.szabo", "fi.nco", "de.nco"):  # every routing coordinator, HU's after it forwarded
        assert alert_in(net, name, aid)["state"] == "sent", name
        held = everything_in(net.stores[name])
        assert [who[k] for k in IDENTITY if who[k] in held] == [], name
        assert aid in held
    shown = cli("hu.szabo", "alert", "show", aid, "--lang", "hu")
    assert shown.code == 0, shown.err
    for line in ("Érintett szakma: általános ápoló", "A korlátozás vagy tilalom terjedelme: Felfüggesztés",
                 f"A szakember neve: {WITHHELD}", f"Születési idő: {WITHHELD}", f"Születési hely: {WITHHELD}",
                 "A határozatot hozó hatóság vagy bíróság: [en] Fitness to Practise Committee",
                 said("hu", "forwarded to: {authorities}", authorities="HU-MESZK")):
        assert line in shown.out.splitlines(), (line, shown.out)
    assert who["professional_name"] not in shown.out


def test_the_handler_reads_the_alert_whole_in_its_own_language(net, cli):
    who = person()
    aid = forwarded(net, who)
    alert = alert_in(net, "hu.toth", aid)
    assert {k: alert["record"]["content"]["answers"][k] for k in IDENTITY} == {
        "professional_name": {"lang": "en", "text": who["professional_name"]},
        "date_of_birth": who["date_of_birth"], "place_of_birth": {"lang": "en", "text": who["place_of_birth"]}}
    shown = cli("hu.toth", "alert", "show", aid, "--lang", "hu")
    assert shown.code == 0, shown.err
    lines = shown.out.splitlines()
    for line in (f"A szakember neve: [en] {who['professional_name']}", f"Születési idő: {who['date_of_birth']}",
                 f"Születési hely: [en] {who['place_of_birth']}", "Érintett szakma: általános ápoló",
                 "A korlátozás vagy tilalom terjedelme: Felfüggesztés",
                 said("hu", "to do: {action}", action=word("hu", "read and acknowledge it"))):
        assert line in lines, (line, shown.out)
    kind, sent = label("hu", kind_label, "pq-restriction"), label("hu", state_label, "sent")
    assert lines[0].startswith(said("hu", "{kind} alert", kind=kind) + f" — általános ápoló  [{sent}]")
    assert WITHHELD not in shown.out


def test_a_coordinator_that_forwards_to_itself_then_reads_the_alert_whole(net):
    who = person()
    aid = sent(net, who)
    assert alert_in(net, "hu.szabo", aid)["record"]["content"]["answers"]["_withheld"] == 4
    A(net, "hu.szabo").forward(aid, ["HU-RIASZT"])
    net.sync("hu.szabo", "hu.szabo")
    answers = alert_in(net, "hu.szabo", aid)["record"]["content"]["answers"]
    assert "_withheld" not in answers and answers["professional_name"]["text"] == who["professional_name"]
    assert who["place_of_birth"] in everything_in(net.stores["hu.szabo"])


def test_authorities_outside_the_routing_get_nothing(net):
    aid = forwarded(net)
    A(net, "hu.toth").acknowledge(aid)
    A(net, "ie.byrne").modify(aid, answers={}, lang="en", under_appeal=True)
    net.sync("hu.toth", "ie.byrne")
    net.sync()  # every store, twice
    # FI-VALVIRA is competent for doctors only, the Commission takes no PQ alert, HU-NCO is not
    # Hungary's incoming-alert coordinator, DE-GEWERBE is in services only
    for name in ("fi.virtanen", "eu.com", "hu.nco", "de.weber"):
        assert alert_rows(net, name, aid) == (0, 0), name
    for name in ("ie.byrne", "ie.nco", "hu.szabo", "hu.toth", "fi.nco", "de.nco"):
        assert alert_rows(net, name, aid)[0] == 1, name
