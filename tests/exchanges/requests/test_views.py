"""What officials and coordinators see: lists, the inbox, the published figures, exports;
with the settable clock so days and percentages are exact."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from imi_cli.cli.output import to_json
from imi_cli.exchanges.requests.render import as_markdown, request_view
from imi_cli.exchanges.requests.service import Requests
from imi_cli.exchanges.requests.views import inbox, list_requests, stats
from imi_cli.log import clock

SET = "cit-licence-check"  # this area is used only here: the figures are this module's alone
AREA = "euro-cash-in-transit"
T0 = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)
DEADLINE = "2027-03-20"


def at(monkeypatch, days: float) -> None:
    monkeypatch.setenv("IMI_NOW", clock.iso(T0 + dt.timedelta(days=days)))


@pytest.fixture(scope="module")
def cases(network):
    """MT-AUTH asks DE-AUTH three times at T0: A accepted on day 2, answered on day 5 and closed
    (4, 5); B accepted on day 9, answered on day 20 (after the deadline) and closed (2, 3); C
    still unanswered. D is a draft."""
    net = network
    with pytest.MonkeyPatch.context() as mp:
        mt, de = Requests(net.stores["mt.handler"]), Requests(net.stores["de.handler"])
        at(mp, 0)

        def ask(subject):
            rid = mt.new(area=AREA, to="DE-AUTH", questionnaire=SET, questions=["licence_held", "licence_status"],
                         deadline=DEADLINE, subject=subject, person={})
            return rid

        a, b, c, d = ask("A"), ask("B"), ask("C"), ask("D")
        for rid in (a, b, c):
            mt.send(rid)
        net.sync("mt.handler", "de.handler")
        for rid, accept_day, answer_day, rating in ((a, 2, 5, (4, 5)), (b, 9, 20, (2, 3))):
            at(mp, accept_day)
            de.accept(rid)
            net.sync("de.handler")
            at(mp, answer_day)
            de.answer(rid, {"licence_held": "yes", "licence_status": "valid"}, "de")
            net.sync("de.handler", "mt.handler")
            mt.close(rid, *rating)
            net.sync("mt.handler")
        net.sync("de.handler", "de.nco", "mt.nco")
    return {"A": a, "B": b, "C": c, "D": d}


def ids(rows, cases):
    mine = {v: k for k, v in cases.items()}
    return sorted(mine[r["id"]] for r in rows if r["id"] in mine)


def test_list_by_direction_state_and_overdue(network, cases, monkeypatch):
    mt, de = network.stores["mt.handler"].conn, network.stores["de.handler"].conn
    at(monkeypatch, 10)
    assert ids(list_requests(mt, "MT-AUTH", direction="outgoing"), cases) == ["A", "B", "C", "D"]
    assert ids(list_requests(mt, "MT-AUTH", direction="incoming"), cases) == []
    assert ids(list_requests(de, "DE-AUTH", direction="incoming"), cases) == ["A", "B", "C"]  # never the draft
    assert ids(list_requests(de, "DE-AUTH", direction="outgoing"), cases) == []
    assert ids(list_requests(mt, "MT-AUTH", state="closed"), cases) == ["A", "B"]
    assert ids(list_requests(mt, "MT-AUTH", state="sent"), cases) == ["C"]
    assert ids(list_requests(mt, "MT-AUTH", overdue=True), cases) == []
    rows = {r["id"]: r for r in list_requests(mt, "MT-AUTH")}
    assert rows[cases["C"]]["days_left"] == 9 and rows[cases["A"]]["days_left"] is None
    assert {rows[cases[k]]["direction"] for k in "ABCD"} == {"outgoing"}
    at(monkeypatch, 21)  # 2027-03-22: the deadline has passed
    overdue = list_requests(de, "DE-AUTH", overdue=True)
    assert ids(overdue, cases) == ["C"]
    assert [r["days_left"] for r in overdue if r["id"] == cases["C"]] == [-2]
    # a coordinator lists those of the authorities it coordinates; a stranger's store holds none
    assert ids(list_requests(network.stores["de.nco"].conn, "DE-NCO", coordinated=["DE-AUTH"]), cases) == \
        ["A", "B", "C"]
    assert ids(list_requests(network.stores["hu.handler"].conn, "HU-AUTH"), cases) == []


def test_inbox_actions_and_flags(network, cases, monkeypatch):
    mt, de = network.stores["mt.handler"].conn, network.stores["de.handler"].conn
    at(monkeypatch, 22)  # 2027-03-23, after the deadline: the hub has reminded both sides of C
    mine = {i["id"]: i for i in inbox(mt, "MT-AUTH")}
    assert ids(mine.values(), cases) == ["C", "D"]  # closed ones need nothing more
    assert (mine[cases["D"]]["action"], mine[cases["D"]]["flag"], mine[cases["D"]]["reminders"]) == \
        ("send the draft", "", [])
    assert (mine[cases["C"]]["action"], mine[cases["C"]]["flag"], mine[cases["C"]]["reminders"]) == \
        ("follow up: deadline passed", "overdue", ["deadline_passed"])
    theirs = {i["id"]: i for i in inbox(de, "DE-AUTH")}
    assert ids(theirs.values(), cases) == ["C"]
    c = theirs[cases["C"]]
    assert (c["action"], c["flag"], c["days_left"], c["reminders"], c["direction"]) == \
        ("accept or forward", "overdue", -3, ["deadline_passed"], "incoming")


def test_inbox_flags_a_deadline_near(network, monkeypatch):
    net = network
    ie = Requests(net.stores["ie.handler"])
    at(monkeypatch, 0)
    rid = ie.new(area="services", to="HU-AUTH", questionnaire="services-verify-provider",
                 questions=["legally_established"], deadline="2027-03-11", subject="flags", person={})
    ie.send(rid)
    net.sync("ie.handler", "hu.handler")
    hu = net.stores["hu.handler"].conn
    for day, flag, left in ((6, "", 4), (7, "due soon", 3), (10, "due soon", 0), (11, "overdue", -1)):
        at(monkeypatch, day)
        assert [(i["action"], i["flag"], i["days_left"]) for i in inbox(hu, "HU-AUTH") if i["id"] == rid] == \
            [("accept or forward", flag, left)], day


def test_inbox_puts_the_most_urgent_first(network, monkeypatch):
    net = network
    ie = Requests(net.stores["ie.handler"])
    at(monkeypatch, 0)
    made = []
    for deadline in ("2027-03-30", "2027-03-05", "2027-03-15"):
        rid = ie.new(area="services", to="HU-AUTH", questionnaire="services-verify-provider",
                     questions=["legally_established"], deadline=deadline, subject=f"due {deadline}", person={})
        ie.send(rid)
        made.append(rid)
    net.sync("ie.handler", "hu.handler")
    order = [i["id"] for i in inbox(net.stores["hu.handler"].conn, "HU-AUTH") if i["id"] in made]
    assert order == [made[1], made[2], made[0]]


def test_stats_figures(network, cases):
    expected = {"area": AREA, "authority": "DE-AUTH", "received": 3, "accepted_within_7_days_pct": 50.0,
                "average_days_to_answer": 12.5, "answered_by_deadline_pct": 50.0,
                "rating_timeliness": 3.0, "rating_quality": 4.0}
    for name in ("de.nco", "de.handler", "mt.handler", "mt.nco"):  # every store that holds them agrees
        figures = [f for f in stats(network.stores[name].conn) if f["area"] == AREA and f["authority"] == "DE-AUTH"]
        assert figures == [expected], name
    assert [f for f in stats(network.stores["hu.handler"].conn) if f["area"] == AREA] == []


def test_export_json_and_markdown(network, cases, monkeypatch):
    at(monkeypatch, 30)
    mt = Requests(network.stores["mt.handler"])
    rid = cases["A"]
    view = request_view(mt.get(rid), mt.history(rid), "de")
    data = json.loads(to_json(view))
    assert (data["id"], data["state"], data["subject"], data["lang"]) == (rid, "closed", "A", "de")
    assert [q["id"] for q in data["questions"]] == ["licence_held", "licence_status"]
    assert data["questions"][0]["answer"] == "Ja"
    assert data["rating"] == {"timeliness": 4, "quality": 5}
    assert [h["type"] for h in data["history"]] == ["request.drafted", "request.sent", "request.accepted",
                                                    "request.answered", "request.closed"]
    text = as_markdown(request_view(mt.get(rid), mt.history(rid), "en"))
    assert text.startswith("# A\n")
    assert f"- Request: `{rid}`" in text and "- State: closed" in text and "- From MT-AUTH to DE-AUTH" in text
    assert "   - **Yes**" in text
    assert "request.closed by MT-AUTH mt.handler" in text


def test_list_filters_that_do_not_exist_are_usage_errors(network):
    from imi_cli.errors import UsageError
    from imi_cli.exchanges.requests.views import list_requests

    conn = network.stores["ie.handler"].conn
    with pytest.raises(UsageError, match=r"--direction 'up': use incoming or outgoing"):
        list_requests(conn, "IE-AUTH", direction="up")
    with pytest.raises(UsageError, match=r"--state 'bogus' is not a request state"):
        list_requests(conn, "IE-AUTH", state="bogus")
