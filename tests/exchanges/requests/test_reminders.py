"""Reminders the hub makes by itself with the settable clock (IMI_NOW): a deadline near (3 days
before), a deadline passed, a month without activity; once each, to both parties (and the
coordinators above them), arriving with sync and shown in the inbox."""

from __future__ import annotations

import datetime as dt

from imi_cli.exchanges.requests.service import Requests
from imi_cli.exchanges.requests.views import inbox
from imi_cli.log import clock

SET = "services-verify-provider"
PARTIES = ("ie.handler", "hu.handler", "ie.nco", "hu.nco")


def at(monkeypatch, when: dt.datetime) -> None:
    monkeypatch.setenv("IMI_NOW", clock.iso(when))


def reminders_at_hub(net, rid):
    with net.hub.lock:
        rows = net.hub.store.query("SELECT body FROM events WHERE type = 'request.reminder' AND body LIKE ? "
                                   "ORDER BY seq", (f"%{rid}%",))
    import json

    return [json.loads(b)["payload"]["kind"] for (b,) in rows]


def reminders_in(net, name, rid):
    return [k for (k,) in net.stores[name].query(
        "SELECT json_extract(body, '$.payload.kind') FROM events WHERE type = 'request.reminder' AND body LIKE ? "
        "ORDER BY seq", (f"%{rid}%",))]


def mine(items, rid):
    found = [i for i in items if i["id"] == rid]
    assert len(found) <= 1
    return found[0] if found else None


def test_deadline_near_passed_and_inactive(network, monkeypatch):
    net = network
    start = clock.now().replace(hour=9, minute=0, second=0, microsecond=0)
    at(monkeypatch, start)
    deadline = (start + dt.timedelta(days=10)).date()
    ie, hu = Requests(net.stores["ie.handler"]), Requests(net.stores["hu.handler"])
    rid = ie.new(area="services", to="HU-AUTH", questionnaire=SET, questions=["legally_established"],
                 deadline=deadline.isoformat(), subject="Reminder check", person={"provider_name": "Kovács Bt."})
    ie.send(rid)
    net.sync("ie.handler", "hu.handler")
    hu.accept(rid)
    net.sync("hu.handler", "ie.handler")
    assert reminders_at_hub(net, rid) == []

    # 4 days before: nothing yet
    at(monkeypatch, start + dt.timedelta(days=6))
    net.sync("ie.handler")
    assert reminders_at_hub(net, rid) == []

    # 3 days before: the hub makes it when any node pulls, so it waits for those offline
    at(monkeypatch, start + dt.timedelta(days=7))
    net.sync("ie.handler")
    net.sync("ie.handler")
    assert reminders_at_hub(net, rid) == ["deadline_near"]
    assert reminders_in(net, "ie.handler", rid) == ["deadline_near"]
    assert reminders_in(net, "hu.handler", rid) == []  # offline so far
    net.sync(*PARTIES)
    for name in PARTIES:
        assert reminders_in(net, name, rid) == ["deadline_near"], name
    assert reminders_in(net, "de.handler", rid) == reminders_in(net, "de.nco", rid) == []
    item = mine(inbox(net.stores["hu.handler"].conn, "HU-AUTH"), rid)
    assert (item["action"], item["flag"], item["days_left"], item["reminders"]) == \
        ("answer", "due soon", 3, ["deadline_near"])
    item = mine(inbox(net.stores["ie.handler"].conn, "IE-AUTH"), rid)  # the requester is reminded too
    assert (item["action"], item["flag"], item["reminders"]) == \
        ("follow up: deadline near", "due soon", ["deadline_near"])

    # the day after the deadline
    at(monkeypatch, start + dt.timedelta(days=11))
    net.sync(*PARTIES)
    net.sync(*PARTIES)
    assert reminders_at_hub(net, rid) == ["deadline_near", "deadline_passed"]
    for name in ("ie.handler", "hu.handler"):
        assert reminders_in(net, name, rid) == ["deadline_near", "deadline_passed"], name
    item = mine(inbox(net.stores["hu.handler"].conn, "HU-AUTH"), rid)
    assert (item["action"], item["flag"], item["days_left"]) == ("answer", "overdue", -1)
    assert item["reminders"] == ["deadline_passed"]  # near is no longer news
    assert mine(inbox(net.stores["hu.nco"].conn, "HU-NCO", ["HU-AUTH"]), rid) is None  # not escalated yet

    # a month after the last activity (accepting it): escalation to the coordinators
    last = clock.parse_instant(hu.get(rid)["last_activity"])
    at(monkeypatch, last + dt.timedelta(days=30, minutes=1))
    net.sync(*PARTIES)
    net.sync(*PARTIES)
    assert reminders_at_hub(net, rid) == ["deadline_near", "deadline_passed", "inactive"]
    for name in PARTIES:
        assert reminders_in(net, name, rid) == ["deadline_near", "deadline_passed", "inactive"], name
    for name, me, coordinated in (("hu.nco", "HU-NCO", ["HU-AUTH"]), ("ie.nco", "IE-NCO", ["IE-AUTH"])):
        item = mine(inbox(net.stores[name].conn, me, coordinated), rid)
        assert item["action"] == "follow up: deadline passed, inactive for a month", name
        assert item["direction"] == "coordinated"
    assert "inactive" in mine(inbox(net.stores["hu.handler"].conn, "HU-AUTH"), rid)["reminders"]
    # reminders do not count as activity: the request stays inactive, and is not reminded again
    assert hu.get(rid)["last_activity"] == clock.iso(last)

    # acting on it ends the reminders in force; a closed request is reminded of nothing
    hu.answer(rid, {"legally_established": "yes"}, "hu")
    net.sync("hu.handler", "ie.handler", "hu.nco")
    assert mine(inbox(net.stores["hu.handler"].conn, "HU-AUTH"), rid) is None
    item = mine(inbox(net.stores["ie.handler"].conn, "IE-AUTH"), rid)
    assert (item["action"], item["reminders"]) == ("read the answer; close or ask for more", [])
    assert mine(inbox(net.stores["hu.nco"].conn, "HU-NCO", ["HU-AUTH"]), rid) is None
    at(monkeypatch, last + dt.timedelta(days=90))
    net.sync("ie.handler", "ie.handler")
    assert reminders_at_hub(net, rid) == ["deadline_near", "deadline_passed", "inactive"]
