"""A closed PQ alert's personal data is erased 3 days after the restriction ended — on the hub
by its housekeeping, on every node by the erasure event — and not a day before; a withdrawn
alert's at once. Every log, the hub's and each node's, still verifies afterwards."""

from __future__ import annotations

from imi_cli.hub.housekeeping import run_once
from imi_cli.log.redaction import verify_log
from tests.exchanges.alerts.conftest import A, alert_in, everything_in, forwarded, person
from tests.exchanges.alerts.network import CLOCK
from tests.speak import word

HOLDERS = ("ie.byrne", "hu.szabo", "hu.toth", "fi.nco", "de.nco")
IDENTITY = ("professional_name", "date_of_birth", "place_of_birth")


def held_on_hub(net, aid: str) -> tuple[int, int]:
    """(disclosures kept, disclosures erased) of the alert on the hub."""
    rows = net.hub.store.query("SELECT disclosure IS NULL, count(*) FROM disclosures WHERE entity = ? "
                               "GROUP BY 1", (f"alert/{aid}",))
    counts = dict(rows)
    return counts.get(0, 0), counts.get(1, 0)


def housekeeping_and_sync(net) -> None:
    assert run_once(net.hub, None)["alerts_erased"] >= 0
    net.sync(*HOLDERS)


def assert_erased_everywhere(net, aid: str, who: dict[str, str]) -> None:
    kept, erased = held_on_hub(net, aid)
    assert kept == 0 and erased > 0, (kept, erased)
    for name in HOLDERS:
        answers = alert_in(net, name, aid)["record"]["content"]["answers"]
        assert "_erased" in answers and not set(IDENTITY) & set(answers), (name, answers)
        held = everything_in(net.stores[name])
        assert [who[k] for k in IDENTITY if who[k] in held] == [], name
    assert who["professional_name"] not in everything_in(net.hub.store)
    logs_verify(net)


def logs_verify(net) -> None:
    for name, store in [("hub", net.hub.store), *((n, net.stores[n]) for n in HOLDERS)]:
        report = verify_log(store.conn, net.hub.operator_public_key)
        assert report["problems"] == [] and report["events"] > 0, (name, report["problems"])


def test_a_closed_alerts_personal_data_goes_three_days_after_the_restriction_ended(net, monkeypatch, cli):
    who = person()
    aid = forwarded(net, who)
    ended = CLOCK.today(-1)
    A(net, "ie.byrne").close(aid, ended)
    net.sync(*HOLDERS)
    assert alert_in(net, "hu.toth", aid)["erase_after"] == CLOCK.today(2)
    for _ in range(2):  # the day of closing, then the day before erase_after: nothing goes
        housekeeping_and_sync(net)
        assert held_on_hub(net, aid)[0] > 0 and held_on_hub(net, aid)[1] == 0
        assert who["professional_name"] in everything_in(net.stores["hu.toth"])
        CLOCK.set(monkeypatch, days=1)
    assert CLOCK.today() == alert_in(net, "hu.toth", aid)["erase_after"]
    housekeeping_and_sync(net)
    assert_erased_everywhere(net, aid, who)
    shown = cli("hu.toth", "alert", "show", aid, "--lang", "hu")
    assert f"A szakember neve: {word('hu', '[erased]')}" in shown.out.splitlines()
    assert "A korlátozás vagy tilalom terjedelme: Felfüggesztés" in shown.out.splitlines()


def test_a_withdrawn_alerts_personal_data_goes_at_once(net):
    who = person()
    aid = forwarded(net, who)
    A(net, "ie.byrne").withdraw(aid, "sent in error")
    net.sync("ie.byrne")
    live, erased = held_on_hub(net, aid)  # the pull that followed the push erased them on the hub
    assert (live, erased > 0) == (0, True)
    housekeeping_and_sync(net)
    assert_erased_everywhere(net, aid, who)
