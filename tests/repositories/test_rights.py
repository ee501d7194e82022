"""Who may do what to a euro cash-in-transit licence (Regulation (EU) No 1214/2011 Art. 4, 12,
22), each right allowed and refused at the node (the service) and again at the hub (an event
pushed by hand past the node's checks): the same reason, the same words."""

from __future__ import annotations

import datetime as dt

import pytest

from imi_cli.errors import NotFound
from imi_cli.repositories.licences import rules
from tests.repositories.conftest import (
    ALL_MET,
    L,
    hub_accepts,
    hub_refuses,
    in_store,
    issued,
    licence,
    number,
    push_licence,
    refused,
)
from tests.repositories.network import CLOCK

HOME_ONLY = "only a licensing authority of NL may do that (yours is of FR)"
OUTSIDERS = f"licences are kept by and for the authorities competent in {rules.AREA}"
NO_ROLE = f"that needs the {rules.ROLE} role in {rules.AREA}"


def suspension(start: str, end: str, scope: str = "NL") -> dict[str, str]:
    return {"scope": scope, "from": start, "to": end, "reason": "insurance lapsed"}


# -- the home state ---------------------------------------------------------------------------
def test_a_dutch_licensing_officer_issues_changes_suspends_and_withdraws_a_dutch_licence(net):
    num = issued(net, sync=("be.dupont", "fr.martin"))
    jansen = L(net, "nl.jansen")
    jansen.change(num, {"contact": "licences@example.nl"}, "new contact desk")
    jansen.suspend(num, start="2026-12-01", end="2026-12-31", reason="insurance lapsed")
    jansen.withdraw(num, "repeated infringements", on="2027-06-01")
    net.sync("nl.jansen", "fr.martin")
    held = in_store(net, "fr.martin", num)
    assert held["record"]["licence"]["contact"] == "licences@example.nl"
    assert [(s["scope"], s["from"], s["to"], s["by"]) for s in held["record"]["suspensions"]] == \
        [("NL", "2026-12-01", "2026-12-31", "NL-DNB")]
    assert held["withdrawn_on"] == "2027-06-01"


def test_a_french_licensing_authority_cannot_issue_a_dutch_licence(net):
    num = number()
    dutch = licence(num, country="NL", authority="NL-DNB")
    message = "a licence of NL-DNB is issued by its licensing officers or its coordinators"
    refused(lambda: L(net, "fr.martin").issue(dutch), message)
    hub_refuses(push_licence(net, "fr.martin", "licence.issued", {"licence": dutch}, num), "not_allowed", message)
    # nor in its own name: a Dutch licence names a Dutch authority
    own = licence(num, country="NL", authority="FR-BDF")
    named = f"a licence names a licensing authority of NL competent in {rules.AREA}"
    refused(lambda: L(net, "fr.martin").issue(own), named)
    hub_refuses(push_licence(net, "fr.martin", "licence.issued", {"licence": own}, num), "invalid", named)
    assert net.hub.store.conn.execute("SELECT count(*) FROM licences WHERE number = ?", (num,)).fetchone() == (0,)


@pytest.mark.parametrize("step", ["change", "suspend", "withdraw", "ban", "notify-host", "sanction"])
def test_a_french_licensing_authority_cannot_touch_a_dutch_licence(net, step):
    num = issued(net, sync=("fr.martin",))
    martin = L(net, "fr.martin")
    ban_until = CLOCK.today(365)
    node, (type_, payload) = {
        "change": (lambda: martin.change(num, {"contact": "x@example.fr"}, "typo"),
                   ("licence.changed", {"contact": "x@example.fr", "reason": "typo"})),
        "suspend": (lambda: martin.suspend(num, start="2026-12-01", end="2026-12-31", reason="r", scope="NL"),
                    ("licence.suspended", suspension("2026-12-01", "2026-12-31"))),
        "withdraw": (lambda: martin.withdraw(num, "r", on="2027-01-01"),
                     ("licence.withdrawn", {"on": "2027-01-01", "reason": "r"})),
        "ban": (lambda: martin.ban(num, ban_until, "r"), ("licence.banned", {"until": ban_until, "reason": "r"})),
        "notify-host": (lambda: martin.notify_host(num, host="DE", start="2026-09-01", transport_types=["road"],
                                                   staff=[], weapons="", notice_date="2026-03-01"),
                        ("licence.host_notified", {"host": "DE", "notice_date": "2026-03-01", "start": "2026-09-01",
                                                   "transport_types": ["road"], "staff": [], "weapons": ""})),
        "sanction": (lambda: martin.sanction(num, "fine", "r", 1000), ("licence.sanctioned",
                                                                      {"kind": "fine", "reason": "r",
                                                                       "amount_eur": 1000})),
    }[step]
    refused(node, HOME_ONLY)
    hub_refuses(push_licence(net, "fr.martin", type_, payload, num), "not_allowed", HOME_ONLY)


def test_a_user_without_the_licensing_officer_role_is_refused(net):
    num = issued(net, sync=("nl.clerk",))
    clerk = L(net, "nl.clerk")
    refused(lambda: clerk.suspend(num, start="2026-12-01", end="2026-12-31", reason="r"), NO_ROLE)
    hub_refuses(push_licence(net, "nl.clerk", "licence.suspended", suspension("2026-12-01", "2026-12-31"), num),
                "not_allowed", NO_ROLE)
    other = number()
    message = "a licence of NL-DNB is issued by its licensing officers or its coordinators"
    refused(lambda: clerk.issue(licence(other)), message)
    hub_refuses(push_licence(net, "nl.clerk", "licence.issued",
                             {"licence": licence(other, country="NL", authority="NL-DNB")}, other),
                "not_allowed", message)


# -- outsiders: an authority not competent in cash-in-transit ---------------------------------
def test_a_non_cit_authority_holds_no_licence_and_is_told_the_same_whether_it_exists_or_not(net):
    num = issued(net, sync=())
    net.sync("hu.nco", "hu.kovacs")
    for name in ("hu.kovacs", "hu.nco"):
        conn = net.stores[name].conn
        assert conn.execute("SELECT count(*) FROM licences").fetchone() == (0,), name
        assert conn.execute("SELECT count(*) FROM events WHERE type LIKE 'licence.%' OR body LIKE ?",
                            (f"%{num}%",)).fetchone() == (0,), name
    kovacs, ghost = L(net, "hu.kovacs"), number()
    for n in (num, ghost):  # the node knows of no licence at all
        refused(lambda n=n: kovacs.suspend(n, start="2026-12-01", end="2026-12-31", reason="r"),
                f"no licence {n!r} here", NotFound)
    for n in (num, ghost):  # the hub tells it the same, whether the licence exists or not
        hub_refuses(push_licence(net, "hu.kovacs", "licence.suspended", suspension("2026-12-01", "2026-12-31", "HU"),
                                 n), "not_allowed", OUTSIDERS)
        hub_refuses(push_licence(net, "hu.kovacs", "licence.withdrawn", {"on": "2027-01-01", "reason": "r"}, n),
                    "not_allowed", OUTSIDERS)
    hungarian = licence(number("HU"))
    refused(lambda: kovacs.issue(hungarian), OUTSIDERS)
    hub_refuses(push_licence(net, "hu.kovacs", "licence.issued",
                             {"licence": {**hungarian, "country": "HU", "authority": "HU-MEK"}}, hungarian["number"]),
                "not_allowed", OUTSIDERS)


# -- a host state -------------------------------------------------------------------------------
def test_a_host_state_suspends_on_its_own_territory_for_at_most_two_months(net):
    num = issued(net, host="BE")
    dupont = L(net, "be.dupont")
    longest = "a suspension lasts at most 2 months"
    refused(lambda: dupont.suspend(num, start="2027-02-01", end="2027-04-01", reason="contrôle"), longest)
    hub_refuses(push_licence(net, "be.dupont", "licence.suspended", suspension("2027-02-01", "2027-04-01", "BE"),
                             num), "invalid", longest)
    dupont.suspend(num, start="2027-02-01", end="2027-03-31", reason="contrôle routier")
    net.sync("be.dupont")
    # shorter than 2 weeks is a host state's to decide (the 2-week floor is the home state's)
    hub_accepts(push_licence(net, "be.dupont", "licence.suspended", suspension("2027-05-03", "2027-05-05", "BE"), num))
    net.sync("be.dupont", "nl.jansen")
    suspensions = in_store(net, "nl.jansen", num)["record"]["suspensions"]
    assert [(s["scope"], s["from"], s["to"], s["by"]) for s in suspensions] == \
        [("BE", "2027-02-01", "2027-03-31", "BE-POL"), ("BE", "2027-05-03", "2027-05-05", "BE-POL")]
    # and the home state's licence, or another state's territory, is not its to suspend
    home = "only a licensing authority of NL may do that (yours is of BE)"
    refused(lambda: dupont.suspend(num, start="2027-06-01", end="2027-06-30", reason="r", scope="NL"), home)
    hub_refuses(push_licence(net, "be.dupont", "licence.suspended", suspension("2027-06-01", "2027-06-30"), num),
                "not_allowed", home)
    france = "only a licensing authority of FR may do that (yours is of BE)"
    hub_refuses(push_licence(net, "be.dupont", "licence.suspended", suspension("2027-06-01", "2027-06-30", "FR"), num),
                "not_allowed", france)


def test_a_host_state_the_company_was_not_notified_for_cannot_suspend(net):
    num = issued(net, host="BE", sync=("fr.martin",))
    message = "FR is not a state the company was notified to operate in"
    refused(lambda: L(net, "fr.martin").suspend(num, start="2027-02-01", end="2027-02-28", reason="contrôle"),
            message)
    hub_refuses(push_licence(net, "fr.martin", "licence.suspended", suspension("2027-02-01", "2027-02-28", "FR"), num),
                "not_allowed", message)


def test_a_host_state_lifts_its_own_suspension_only(net):
    num = issued(net, host="BE", sync=("be.dupont", "fr.martin"))
    L(net, "nl.jansen").suspend(num, start="2027-05-03", end="2027-06-02", reason="r")
    net.sync("nl.jansen", "be.dupont")
    L(net, "be.dupont").suspend(num, start="2027-03-01", end="2027-04-30", reason="r")
    net.sync("be.dupont")
    none_here = f"licence {num} has no suspension in BE in force on 2027-05-10"
    refused(lambda: L(net, "be.dupont").resume(num, on="2027-05-10"), none_here)  # NL's suspension is NL's
    L(net, "be.dupont").resume(num, on="2027-03-10")
    net.sync("be.dupont")
    assert in_store(net, "be.dupont", num)["record"]["suspensions"][1]["resumed_on"] == "2027-03-10"


# -- the periods ------------------------------------------------------------------------------
def test_a_home_suspension_lasts_from_two_weeks_to_two_months(net):
    num = issued(net, host=None, sync=())
    jansen = L(net, "nl.jansen")
    for end, message in (("2026-12-13", "a suspension of a licence lasts at least 2 weeks"),
                         ("2027-02-01", "a suspension lasts at most 2 months")):
        refused(lambda end=end: jansen.suspend(num, start="2026-12-01", end=end, reason="r"), message)
        hub_refuses(push_licence(net, "nl.jansen", "licence.suspended", suspension("2026-12-01", end), num),
                    "invalid", message)
    jansen.suspend(num, start="2026-12-01", end="2026-12-14", reason="two weeks")
    jansen.suspend(num, start="2027-03-01", end="2027-04-30", reason="two months")
    net.sync("nl.jansen")
    assert [s["to"] for s in in_store(net, "nl.jansen", num)["record"]["suspensions"]] == ["2026-12-14", "2027-04-30"]


def test_a_licence_is_valid_for_at_most_five_years(net):
    num = number()
    too_long = licence(num, valid_from="2026-01-01", valid_to="2031-01-01")  # 5 years and a day, both ends counted
    message = ("a licence is valid for at most 5 years: valid_to must be after valid_from and no later than "
               "2030-12-31")
    refused(lambda: L(net, "nl.jansen").issue(too_long), message)
    hub_refuses(push_licence(net, "nl.jansen", "licence.issued",
                             {"licence": {**too_long, "country": "NL", "authority": "NL-DNB"}}, num),
                "invalid", message)
    issued(net, num=num, host=None, sync=(), valid_to="2030-12-31")
    refused(lambda: L(net, "nl.jansen").change(num, {"valid_to": "2031-01-01"}, "extended"), message)
    hub_refuses(push_licence(net, "nl.jansen", "licence.changed", {"valid_to": "2031-01-01", "reason": "r"}, num),
                "invalid", message)


@pytest.mark.parametrize(("conditions", "missing"), [
    ({**ALL_MET, "good_repute": False}, "good_repute"),
    ({"good_repute": True, "insurance": True, "staff_vehicles_procedures": True},
     "national_licence or cit_activity_24_months"),
    ({"national_licence": True, "good_repute": True, "insurance": False, "staff_vehicles_procedures": False},
     "insurance, staff_vehicles_procedures"),
])
def test_a_licence_is_issued_only_when_every_condition_is_met(net, conditions, missing):
    num = number()
    bad = {**licence(num), "conditions": conditions}
    message = f"a licence is issued only when every condition is met; not met: {missing}"
    refused(lambda: L(net, "nl.jansen").issue(bad), message)
    hub_refuses(push_licence(net, "nl.jansen", "licence.issued",
                             {"licence": {**bad, "country": "NL", "authority": "NL-DNB"}}, num), "invalid", message)


def test_24_months_of_activity_stand_for_a_national_licence(net):
    num = issued(net, host=None, sync=(), conditions={**ALL_MET, "national_licence": False,
                                                      "cit_activity_24_months": True})
    assert in_store(net, "nl.jansen", num)["record"]["licence"]["conditions"]["cit_activity_24_months"] is True


def test_prior_notice_comes_at_least_two_months_before_the_start_unless_overridden(net):
    num = issued(net, host=None, sync=())
    jansen = L(net, "nl.jansen")
    step = {"host": "FR", "notice_date": "2026-03-02", "transport_types": ["road"], "staff": [], "weapons": ""}
    message = ("the start (2026-05-01) is less than 2 months after the notice (2026-03-02): give the reason it may "
               "start earlier (--override-reason)")
    refused(lambda: jansen.notify_host(num, host="FR", start="2026-05-01", transport_types=["road"], staff=[],
                                       weapons="", notice_date="2026-03-02"), message)
    hub_refuses(push_licence(net, "nl.jansen", "licence.host_notified", {**step, "start": "2026-05-01"}, num),
                "invalid", message)
    jansen.notify_host(num, host="FR", start="2026-05-02", transport_types=["road"], staff=["Anna Bakker"],
                       weapons="", notice_date="2026-03-02")
    jansen.notify_host(num, host="DE", start="2026-03-20", transport_types=["road"], staff=[], weapons="",
                       notice_date="2026-03-02", override_reason="the BE route closes; DE agreed")
    net.sync("nl.jansen")
    hosts = in_store(net, "nl.jansen", num)["record"]["hosts"]
    assert [(h["country"], h["start"], h.get("override_reason")) for h in hosts] == \
        [("FR", "2026-05-02", None), ("DE", "2026-03-20", "the BE route closes; DE agreed")]


def test_a_ban_lasts_up_to_five_years(net):
    num = issued(net, host=None, sync=())
    jansen = L(net, "nl.jansen")
    limit = rules.add_years(CLOCK.now.date(), 5)
    longer = (limit + dt.timedelta(days=1)).isoformat()
    refused(lambda: jansen.ban(num, longer, "fraud"), "a ban lasts up to 5 years")
    hub_refuses(push_licence(net, "nl.jansen", "licence.banned", {"until": longer, "reason": "fraud"}, num),
                "invalid", "a ban lasts up to 5 years")
    jansen.ban(num, limit.isoformat(), "fraud")
    net.sync("nl.jansen")
    assert in_store(net, "nl.jansen", num)["banned_until"] == limit.isoformat()


def test_a_withdrawn_licence_cannot_be_suspended_but_its_holder_can_be_banned(net):
    num = issued(net, sync=("be.dupont",))
    jansen = L(net, "nl.jansen")
    jansen.withdraw(num, "conditions no longer met", on="2026-06-01")
    net.sync("nl.jansen", "be.dupont")
    message = f"licence {num} was withdrawn on 2026-06-01"
    refused(lambda: jansen.suspend(num, start="2026-12-01", end="2026-12-31", reason="r"), message)
    hub_refuses(push_licence(net, "nl.jansen", "licence.suspended", suspension("2026-12-01", "2026-12-31"), num),
                "illegal_transition", message)
    refused(lambda: L(net, "be.dupont").suspend(num, start="2026-12-01", end="2026-12-31", reason="r"), message)
    jansen.ban(num, CLOCK.today(365), "fraud")
    net.sync("nl.jansen")
    assert in_store(net, "nl.jansen", num)["banned_until"] == CLOCK.today(365)


# -- a coordinator's bulk import ------------------------------------------------------------------
def test_a_coordinator_imports_licences_for_its_countrys_licensing_authority(net, tmp_path):
    ok, elsewhere = number(), number()
    path = tmp_path / "licences.csv"
    head = ("number,authority,company_name,registration_number,address,valid_from,valid_to,national_licence,"
            "good_repute,insurance,staff_vehicles_procedures\n")
    path.write_text(head + f"{ok},NL-DNB,Brinks Nederland,KVK 77,Amsterdam,2026-01-01,2030-12-31,yes,yes,yes,yes\n",
                    encoding="utf-8")
    assert L(net, "nl.nco").import_file(path)["issued"] == 1
    net.sync("nl.nco", "nl.jansen")
    held = in_store(net, "nl.jansen", ok)
    assert (held["authority"], held["country"], held["company_name"]) == ("NL-DNB", "NL", "Brinks Nederland")
    assert held["record"]["history"][0]["user"] == "nl.nco"
    # another country's licensing authority is not its to issue for
    path.write_text(head + f"{elsewhere},FR-BDF,Brinks France,RCS 1,Paris,2026-01-01,2030-12-31,yes,yes,yes,yes\n",
                    encoding="utf-8")
    with pytest.raises(Exception) as error:
        L(net, "nl.nco").import_file(path)
    assert [str(p) for p in error.value.problems] == \
        [f"{path}:2: [authority] invalid: a licence names a licensing authority of NL competent in {rules.AREA}"]
    # and a licensing officer issues for its own authority only, a coordinator's users do not change licences
    # they do not cover: the Belgian coordinator is not competent in cash-in-transit at all
    hub_refuses(push_licence(net, "be.nco", "licence.changed", {"contact": "x@example.be", "reason": "r"}, ok),
                "not_allowed", OUTSIDERS)
