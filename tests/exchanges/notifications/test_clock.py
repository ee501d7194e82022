"""The examination clock (Services Directive Art. 15(7)): the deadline is the day of broadcast
plus the kind's examination_months; every view counts the days left; the hub reminds the
Commission (and the notifier) reminder_days_before it, once, by its own clock: from
housekeeping or on any pull. A kind without an examination period has no deadline and no
reminder. The clock only moves forward: these tests jump months ahead."""

from __future__ import annotations

import datetime as dt

from imi_cli.exchanges.notifications.kinds import deadline
from imi_cli.exchanges.notifications.render import notification_view
from imi_cli.exchanges.notifications.views import inbox_items, search
from imi_cli.hub.housekeeping import run_once
from tests.exchanges.notifications.conftest import N, broadcast, events_of, held, hub_refuses, push
from tests.exchanges.notifications.network import CLOCK

ENDS_SOON = "notification: the examination period ends soon: close it with a decision"


def three_months_after(day: dt.date) -> dt.date:
    import calendar

    year, month = day.year + (day.month + 2) // 12, (day.month + 2) % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def reminders(net, name: str, nid: str) -> list[str]:
    return [r["key"] for r in held(net, name, nid)["record"].get("reminders", [])]


def hub_reminders(net, nid: str) -> int:
    return net.hub.store.conn.execute(
        "SELECT count(*) FROM events WHERE type = 'notification.reminder' "
        "AND json_extract(body, '$.subject.entity') = ?", (f"notification/{nid}",)).fetchone()[0]


def test_the_deadline_is_the_day_of_broadcast_plus_the_examination_months():
    assert deadline("2026-03-02T08:00:00Z", 3) == "2026-06-02"
    assert deadline("2026-11-30T23:59:00Z", 3) == "2027-02-28"  # no 30 February: the month's last day
    assert deadline("2027-11-30T10:00:00Z", 3) == "2028-02-29"
    assert deadline("2026-10-15T10:00:00Z", 3) == "2027-01-15"
    assert deadline("2026-10-15T10:00:00Z", None) is None


def test_every_holder_sees_the_deadline_and_the_days_left(net, monkeypatch):
    nid = broadcast(net)
    due = three_months_after(CLOCK.now.date()).isoformat()
    for name in ("it.rossi", "eu.com", "de.nco"):
        assert held(net, name, nid)["deadline"] == due, name
    CLOCK.set(monkeypatch, days=10)
    left = (dt.date.fromisoformat(due) - CLOCK.now.date()).days
    conn = net.stores["de.nco"].conn
    [row] = [r for r in search(conn, "DE-NCO", "de") if r["id"] == nid]
    assert (row["deadline"], row["days_left"]) == (due, left)
    assert notification_view(held(net, "de.nco", nid), "de", "DE-NCO", "DE")["days_left"] == left
    other = broadcast(net, kind="services-notification-39-5")
    n = held(net, "eu.com", other)
    assert (n["deadline"], notification_view(n, "en")["days_left"]) == (None, None)


def test_the_commission_is_reminded_once_fourteen_days_before_the_deadline(net, monkeypatch):
    first = broadcast(net)
    without = broadcast(net, kind="services-notification-39-5")
    CLOCK.set(monkeypatch, days=1)
    second = broadcast(net)
    due = dt.date.fromisoformat(held(net, "eu.com", first)["deadline"])
    CLOCK.to(monkeypatch, due - dt.timedelta(days=15))
    run_once(net.hub, None)
    assert hub_reminders(net, first) == 0
    CLOCK.to(monkeypatch, due - dt.timedelta(days=14))
    run_once(net.hub, None)
    assert (hub_reminders(net, first), hub_reminders(net, second)) == (1, 0)
    run_once(net.hub, None)  # not again
    net.sync("eu.com", "it.rossi", "de.nco", "at.nco", "eu.com")
    assert hub_reminders(net, first) == 1
    assert reminders(net, "eu.com", first) == [due.isoformat()]
    assert reminders(net, "it.rossi", first) == [due.isoformat()]  # the notifier too
    for name in ("de.nco", "at.nco"):  # not a third state
        assert reminders(net, name, first) == [], name
        assert "notification.reminder" not in events_of(net, name, first), name
    [item] = [i for i in inbox_items(net.stores["eu.com"].conn, "EU-COM", "en") if i["id"] == first]
    assert (item["action"], item["flag"], item["days_left"]) == (ENDS_SOON, "due soon", 14)
    assert not [i for i in inbox_items(net.stores["eu.com"].conn, "EU-COM", "en") if i["id"] == second]
    # a day later, a pull alone makes the second one's reminder
    CLOCK.set(monkeypatch, days=1)
    net.sync("eu.com", "eu.com")
    assert hub_reminders(net, second) == 1
    assert reminders(net, "eu.com", second) == [held(net, "eu.com", second)["deadline"]]
    CLOCK.set(monkeypatch, days=5)
    run_once(net.hub, None)
    net.sync("eu.com")
    assert (hub_reminders(net, first), hub_reminders(net, second), hub_reminders(net, without)) == (1, 1, 0)
    assert held(net, "eu.com", without).get("reminders") is None
    # closing it takes it out of the Commission's inbox
    N(net, "eu.com").close(first, "no_objection", "en")
    net.sync("eu.com")
    assert not [i for i in inbox_items(net.stores["eu.com"].conn, "EU-COM", "en") if i["id"] == first]


def test_only_the_hub_makes_a_reminder(net):
    nid = broadcast(net)
    hub_refuses(push(net, "eu.com", "notification.reminder", {"kind": "examination_ending",
                                                               "key": held(net, "eu.com", nid)["deadline"]}, nid),
                "not_allowed", "only the hub makes notification.reminder events")
