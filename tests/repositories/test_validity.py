"""Was the licence valid on day D, in country C? One licence's life on fixed dates, asked from
the Belgian police's store: not yet valid, valid at home, not yet in a host state, suspended
at home, suspended in a host state (and lifted early there), not notified for a country,
withdrawn, expired. "Today" is IMI_NOW."""

from __future__ import annotations

import pytest

from imi_cli.repositories.licences.views import check, find, row, view
from tests.repositories.conftest import L, issued
from tests.repositories.network import CLOCK

_LIFE: dict[str, str] = {}


@pytest.fixture
def life(net):
    """A Dutch licence 2026-01-01..2030-12-31, notified for BE from 2026-05-04; suspended at home
    2026-12-01..2027-01-15; suspended by BE 2027-02-01..2027-03-31, lifted on 2027-03-10;
    withdrawn on 2029-06-01. Built once, read by every test here."""
    if "num" not in _LIFE:
        num = issued(net, host="BE", start="2026-05-04", sync=())
        L(net, "nl.jansen").suspend(num, start="2026-12-01", end="2027-01-15", reason="insurance lapsed")
        net.sync("nl.jansen", "be.dupont")
        L(net, "be.dupont").suspend(num, start="2027-02-01", end="2027-03-31", reason="contrôle routier")
        net.sync("be.dupont")
        L(net, "be.dupont").resume(num, on="2027-03-10")
        net.sync("be.dupont", "nl.jansen")
        L(net, "nl.jansen").withdraw(num, "repeated infringements", on="2029-06-01")
        net.sync("nl.jansen", "be.dupont")
        _LIFE["num"] = num
    return _LIFE["num"]


VALID = "(licence valid from 2026-01-01 to 2030-12-31)"


@pytest.mark.parametrize(("day", "country", "valid", "reason"), [
    ("2025-12-31", "NL", False, "not yet valid on 2025-12-31: valid from 2026-01-01"),
    ("2026-01-01", None, True, f"valid on 2026-01-01 {VALID}"),
    ("2026-03-01", "NL", True, f"valid in NL on 2026-03-01 {VALID}"),
    ("2026-05-03", "BE", False, "may operate in BE from 2026-05-04"),
    ("2026-05-04", "BE", True, f"valid in BE on 2026-05-04 {VALID}"),
    ("2026-05-04", "FR", False, "valid in NL, but not notified to operate in FR"),
    ("2026-11-30", "NL", True, f"valid in NL on 2026-11-30 {VALID}"),
    ("2026-12-01", "NL", False, "suspended from 2026-12-01 to 2027-01-15 by NL-DNB"),
    ("2027-01-15", "BE", False, "suspended from 2026-12-01 to 2027-01-15 by NL-DNB"),  # home binds everywhere
    ("2027-01-16", "BE", True, f"valid in BE on 2027-01-16 {VALID}"),
    ("2027-02-01", "BE", False, "suspended in BE from 2027-02-01 to 2027-03-09 by the host state (BE-POL)"),
    ("2027-02-01", "NL", True, f"valid in NL on 2027-02-01 {VALID}"),  # a host's suspension binds its territory
    ("2027-03-09", "BE", False, "suspended in BE from 2027-02-01 to 2027-03-09 by the host state (BE-POL)"),
    ("2027-03-10", "BE", True, f"valid in BE on 2027-03-10 {VALID}"),  # lifted early
    ("2029-05-31", "BE", True, f"valid in BE on 2029-05-31 {VALID}"),
    ("2029-06-01", "NL", False, "withdrawn on 2029-06-01"),
    ("2029-06-01", "BE", False, "withdrawn on 2029-06-01"),
    ("2031-01-01", "NL", False, "expired on 2030-12-31"),
])
def test_validity_on_fixed_dates(net, life, day, country, valid, reason):
    answer = check(net.stores["be.dupont"].conn, day, country, number=life)
    assert [(a["valid"], a["reason"]) for a in answer] == [(valid, reason)]


def test_an_expired_licence_is_expired_before_anything_else(net):
    num = issued(net, host="BE", start="2026-05-04", valid_to="2026-12-31")
    assert check(net.stores["be.dupont"].conn, "2027-01-01", "BE", number=num)[0]["reason"] == "expired on 2026-12-31"
    assert check(net.stores["be.dupont"].conn, "2026-12-31", "BE", number=num)[0]["valid"] is True


def test_the_start_in_a_host_state_is_its_earliest_notice(net):
    num = issued(net, host="BE", start="2026-09-01")
    L(net, "nl.jansen").notify_host(num, host="BE", start="2026-06-01", transport_types=["coins"], staff=[],
                                    weapons="", notice_date="2026-03-02", override_reason="coins only, agreed")
    net.sync("nl.jansen", "be.dupont")
    conn = net.stores["be.dupont"].conn
    assert [check(conn, d, "BE", number=num)[0]["valid"] for d in ("2026-05-31", "2026-06-01")] == [False, True]


def test_today_is_the_settable_clock(net, life, monkeypatch):
    conn = net.stores["be.dupont"].conn
    (licence,) = find(conn, number=life)
    assert row(licence, CLOCK.today())["status"] == "valid"
    # the same store asked on other days: the list's status and the view's "today" follow IMI_NOW
    for now, status, why in (("2026-12-10T09:00:00Z", "not valid", "suspended from 2026-12-01 to 2027-01-15 by NL-DNB"),
                             ("2031-02-01T09:00:00Z", "not valid", "expired on 2030-12-31")):
        monkeypatch.setenv("IMI_NOW", now)
        from imi_cli.log import clock

        today = clock.now().date().isoformat()
        assert (row(licence, today)["status"], row(licence, today)["why"]) == (status, why)
        assert view(licence, today)["today"] == {"on": now[:10], "valid": False, "reason": why}


def test_the_home_state_reads_the_host_states_suspension_as_the_host_does(net, life):
    conn = net.stores["nl.jansen"].conn
    assert check(conn, "2027-02-01", "BE", number=life)[0]["reason"] == \
        "suspended in BE from 2027-02-01 to 2027-03-09 by the host state (BE-POL)"
