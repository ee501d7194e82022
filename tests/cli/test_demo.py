"""`imi demo`: the README's first command, end to end, as a newcomer runs it."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest

from tests.speak import said

NURSE = "Aoife Example"


def _demo(workdir, *options):
    return subprocess.run([sys.executable, "-m", "imi_cli", *options, "demo", "--dir", str(workdir)],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One run of `imi --json demo` for the tests of what it found (a run takes seconds)."""
    workdir = tmp_path_factory.mktemp("demo")
    result = _demo(workdir, "--json")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return workdir, json.loads(result.stdout)


def test_demo_runs_the_whole_story_without_prompts(run):
    data = run[1]
    assert data["found"]["epitesz"] == ["HU-MEK"]
    assert "HU-MEK" in data["found"]["architect"]
    assert data["found"]["zamowienia"] == ["PL-UZP"]
    assert data["network"]["received"] == ["Architect's diploma"]
    assert data["network"]["third_party_saw"] == []
    request = data["network"]["request"]
    assert request["third_party_events"] == 0
    assert "Yes" in request["answers_en"]  # answered in Hungarian ("Igen"), read in English


def test_demo_tells_the_nurse_alert_story(run):
    alert = run[1]["network"]["alert"]
    # Ireland warns every other member state; Hungary's incoming-alert coordinator and, Finland
    # having no authority competent for nurses, its national coordinator receive it
    assert alert["routing"] == {"coordinators": ["FI-NCO", "HU-RIASZT"], "direct": []}
    assert alert["coordinator"] == {"professional_name": "[withheld]", "profession": "általános ápoló",
                                    "restriction_scope": "Felfüggesztés"}
    assert alert["coordinator_tables_with_name"] == []
    assert alert["finland"] == {"FI-VALVIRA": 0, "FI-NCO": "[withheld]"}
    # forwarded to the nursing chamber: the whole alert, in Hungarian, the name as written
    assert alert["handler"] == {"professional_name": f"[en] {NURSE}", "profession": "általános ápoló",
                                "restriction_scope": "Felfüggesztés"}
    assert alert["acknowledged_by"] == ["HU-MESZK"]
    assert alert["under_appeal_at_handler"] is True
    lifted = dt.date.fromisoformat(alert["lifted_on"])
    assert alert["erase_after"] == (lifted + dt.timedelta(days=3)).isoformat()
    assert alert["erased_on_hub"] == 1 and alert["personal_values_left_on_hub"] == 0
    assert alert["names_after_erasure"] == {"IE-NMBI": "[erased]", "HU-MESZK": "[erased]"}
    assert alert["tables_with_name_after_erasure"] == {"hub": [], "IE-NMBI": [], "HU-MESZK": []}
    assert set(alert["verify_problems"]) == {"hub", "FI-NCO", "IE-NMBI", "HU-RIASZT", "HU-MESZK", "FI-VALVIRA"}
    assert all(problems == [] for problems in alert["verify_problems"].values())
    assert alert["clock_restored"] is True


def test_demo_tells_the_cash_in_transit_licence_story(run):
    cit = run[1]["network"]["cit"]
    # the Belgian police check the Dutch licence for the day of the suspension, in Belgium
    [answer] = cit["check_in_be"]
    suspension = cit["suspension"]
    assert answer["number"] == cit["number"] == "NL-CIT-0417" and answer["home"] == "NL"
    assert (answer["in"], answer["valid"]) == ("BE", False)
    assert answer["on"] == suspension["from"]
    # be.dubois checks in French (`imi --lang fr cit check`)
    assert answer["reason"] == said("fr", "suspended from {start} to {end} by {authority}",
                                    start=suspension["from"], end=suspension["to"], authority="NL-DNB")
    # a home-state suspension of 30 days (2 weeks to 2 months), the reason as the Dutch side wrote it
    days = dt.date.fromisoformat(suspension["to"]) - dt.date.fromisoformat(suspension["from"])
    assert days == dt.timedelta(days=29) and (suspension["scope"], suspension["by"]) == ("NL", "NL-DNB")
    assert suspension["reason"].startswith("Assurance de responsabilité civile expirée")
    assert cit["issuer"] == "NL-DNB" and cit["reader_name_fr"] == "Police fédérale"
    assert cit["suspended_by_name"] == ["De Nederlandsche Bank", "nl"]  # no French name: its own
    # an authority outside cash-in-transit holds nothing of it
    assert cit["non_cit_licence_events"] == 0 and cit["non_cit_has_licence"] is False


def test_demo_finds_the_hungarian_register_of_architects_in_finnish(run):
    register = run[1]["network"]["cit"]["register"]
    assert (register["recorded"], register["unchanged_again"]) == (1, 1)
    assert register["found_fi"] == ["HU-REG-ARCH"]
    [shown] = register["shown_fi"]
    assert (shown["covers"], shown["name"]) == ("arkkitehti", "Register of architects")


def test_demo_tells_the_notification_story(run):
    n = run[1]["network"]["notification"]
    assert n["kind"] == "services-notification"
    # broadcast to the Commission and every national coordinator, Italy's own included
    assert n["recipients"] == ["AT-NCO", "EU-COM", "FI-NCO", "HU-NCO", "IE-NCO", "IT-NCO"]
    # the Commission examines it for 3 months from the day of broadcast
    broadcast, deadline = dt.date.fromisoformat(n["broadcast_at"][:10]), dt.date.fromisoformat(n["deadline"])
    assert (deadline.year * 12 + deadline.month) - (broadcast.year * 12 + broadcast.month) == 3
    assert 89 <= (deadline - broadcast).days <= 92 and n["days_left"] == (deadline - broadcast).days
    assert n["disseminated"] == ["AT-BMAW"]
    # written in Italian: options read in Italian by the notifier, in German in Vienna; the
    # title, free text, keeps its language
    assert n["notifier_fields_it"] == {
        "requirement_type": "Restrizioni quantitative o territoriali",
        "measure_title": "[it] Decreto sul numero massimo di guide turistiche per provincia",
        "non_discriminatory": "Sì", "entry_into_force": "2027-06-01"}
    assert n["austria_fields_de"] == {
        "requirement_type": "Mengenmäßige oder territoriale Beschränkungen",
        "measure_title": "[it] Decreto sul numero massimo di guide turistiche per provincia",
        "non_discriminatory": "Ja", "entry_into_force": "2027-06-01"}
    assert [(c["authority"], c["lang"]) for c in n["comments"]] == [("EU-COM", "en"), ("AT-BMAW", "de")]
    assert n["comments"][1]["text"].startswith("Österreich hat")
    assert n["decision"] == "no_objection"
    assert n["decision_labels"] == {"IT-MIMIT": "Esame concluso: nessuna obiezione",
                                    "AT-BMAW": "Geprüft: keine Einwände"}


def test_demo_tells_the_data_protection_story(run):
    from imi_cli.privacy.clock import add_months

    network = run[1]["network"]
    p = network["privacy"]
    entity = f"request/{network['request']['request']}"
    assert p["entity"] == entity and p["closed_at"]
    # hu.kovacs, registered again with one more role, is HU-MEK's data-protection officer
    assert p["officer_roles"] == ["administrator", "request_handler", "data_protection"]
    # the reads made earlier: her own authority's in her log, each authority's at its coordinator
    log = p["access_log"]
    assert log["officer"] == [{"user": "hu.kovacs", "action": "request.show", "entity": entity}]
    assert log["officer_reads_of_request"] == 1
    assert log["coordinators"] == {"HU-NCO": [["hu.kovacs", "request.show"], ["hu.szabo", "alert.show"],
                                              ["hu.toth", "alert.show"]],
                                   "IE-NCO": [["ie.murphy", "request.show"]]}
    # a data subject's search finds the request, folded for case and accents; due in 30 days
    subject = p["subject"]
    assert subject["found"] == [entity] and subject["finds_request"] is True
    logged = dt.datetime.fromisoformat(subject["logged_at"].replace("Z", "+00:00"))
    assert subject["due"] == (logged + dt.timedelta(days=30)).date().isoformat()
    closed = dt.datetime.fromisoformat(p["closed_at"].replace("Z", "+00:00"))
    # closure + 7 months: blocked for both handlers; the officer reads it with a logged reason
    blocked = p["blocked"]
    assert dt.datetime.fromisoformat(blocked["on"]) == add_months(closed, 7)
    assert blocked["blocked_on_hub"] == 2 and blocked["blocked_kinds"] == "1 notification, 1 request"
    three = {f"field {n}": "[blocked]" for n in (1, 2, 3)}
    assert blocked["shown"] == {"ie.murphy": three, "hu.kovacs": three}
    assert blocked["officer_reads"] == {"applicant_name": "Nagy Béla", "profession": "architect",
                                        "provider_name": "Nagy Béla"}
    assert blocked["after_officer_read"] == three  # the read was rolled back
    assert blocked["logged_reasons"] == ["Complaint of the data subject: checking what was exchanged about him"]
    # closure + 3 years + 1 day: erased on the hub and in every store; every log verifies
    erased = p["erased"]
    assert dt.datetime.fromisoformat(erased["on"]) == add_months(closed, 36) + dt.timedelta(days=1)
    assert erased["erased_on_hub"] == 2 and erased["erased_kinds"] == "1 notification, 1 request"
    assert erased["personal_values_left_on_hub"] == 0
    gone = {f"field {n}": "[erased]" for n in (1, 2, 3)}
    assert erased["shown"] == {"ie.murphy": gone, "hu.kovacs": gone}
    assert erased["tables_with_name_as_written"] == {"hub": [], "ie.murphy": [], "hu.kovacs": []}
    # the name stays only where the data subject's own request is logged
    assert all(set(tables) <= {"access_log"} for tables in erased["tables_with_name"].values())
    assert erased["tables_with_name"]["ie.murphy"] == []
    assert set(erased["verify"]) == {"hub", "HU-NCO", "IE-NCO", "hu.kovacs", "ie.murphy"}
    for counts in erased["verify"].values():
        assert counts["problems"] == 0 and counts["events"] == counts["signed"] > 0
        assert counts["erased"] >= 3
    assert p["clock_restored"] is True


def test_demo_leaves_only_encrypted_stores(run):
    workdir = run[0]
    files = sorted(p.name for p in workdir.iterdir())
    assert "coordinator.db" in files and "hub.db" in files and "hu.toth.db" in files
    for path in workdir.iterdir():
        raw = path.read_bytes()
        assert not raw.startswith(b"SQLite format 3"), path
        for secret in (b"Magyar", b"example.hu", b"Architect's diploma", "Kovács".encode(), NURSE.encode(),
                       b"Geldtransport", b"Piet de Vries", "Építészek".encode(), b"Guide turistiche",
                       "Österreich".encode()):
            assert secret not in raw, (path, secret)


def test_demo_story_shows_two_languages_side_by_side(tmp_path):
    result = _demo(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "English and Hungarian side by side" in result.stdout
    assert "( ) Igen" in result.stdout and "( ) Yes" in result.stdout
    assert "reads it in Hungarian, answer options included" in result.stdout
    assert "Igen / Nem" in result.stdout
    from tests.speak import word

    # hu.szabo reads the alert in Hungarian, markers included
    assert f"A szakember neve: {word('hu', '[withheld]')}" in result.stdout
    assert f"A szakember neve: [en] {NURSE}" in result.stdout
    assert "roles are administrator, request_handler, data_protection" in result.stdout
    assert "concerned as: field 1: [blocked], field 2: [blocked], field 3: [blocked]" in result.stdout
    assert "applicant_name: Nagy Béla, profession: architect, provider_name: Nagy Béla" in result.stdout
    assert "concerned as: field 1: [erased], field 2: [erased], field 3: [erased]" in result.stdout
    assert result.stdout.count("erased: 0 problems") == 5


@pytest.mark.parametrize("before", [None, "2026-03-01T09:00:00+00:00"])
def test_the_demo_moves_the_clock_for_a_block_only(monkeypatch, before):
    from imi_cli.demo.alert import clock_at
    from imi_cli.log import clock

    if before is None:
        monkeypatch.delenv("IMI_NOW", raising=False)
    else:
        monkeypatch.setenv("IMI_NOW", before)
    later = dt.datetime(2030, 1, 4, 9, tzinfo=dt.UTC)
    with pytest.raises(RuntimeError), clock_at(later):
        assert clock.now() == later
        raise RuntimeError("a step fails")
    assert os.environ.get("IMI_NOW") == before


class _Marked:
    """A catalog that marks every message it translates: "[hu] ..."."""

    def __init__(self, code):
        self.code = code

    def gettext(self, message):
        return f"[{self.code}] {message}"

    def ngettext(self, singular, plural, n):
        return f"[{self.code}] {singular if n == 1 else plural}"

    def pgettext(self, context, message):
        return f"[{self.code}] {message}"


def test_demo_tells_the_story_in_the_language_of_the_run_and_each_actor_reads_in_their_own(
        imi, tmp_path, monkeypatch):
    """`imi --lang hu demo`: the narration in Hungarian; hu.kovacs's steps in Hungarian,
    ie.murphy's in English, as if each ran the command with `--lang` of their own."""
    import gettext

    from imi_cli import i18n
    from imi_cli.exchanges.requests import render

    monkeypatch.setattr(i18n, "catalog", lambda code: gettext.NullTranslations() if code == "en" else _Marked(code))
    seen = []
    view = render.request_view

    def request_view(request, events, lang, *args, **kwargs):
        seen.append((lang, i18n.current()))
        return view(request, events, lang, *args, **kwargs)

    monkeypatch.setattr(render, "request_view", request_view)
    result = imi("--lang", "hu", "--json", "demo", "--dir", tmp_path)
    assert result.code == 0, result.err
    story = json.loads(result.out)["story"]
    assert story[0].startswith("[hu] 1. A coordinator creates an encrypted store")
    assert any(line.startswith("[hu] 12. ie.murphy picks") for line in story)
    assert story[-1] == "[hu] Done. Every store above is encrypted; nothing readable was written beside them."
    # the request: hu.kovacs reads it in Hungarian, ie.murphy the answer in English
    assert seen[:2] == [("hu", "hu"), ("en", "en")]
    # be.dubois reads the licence in French
    assert any(line.startswith("     [fr] NL-CIT-0417  valid in BE on") for line in story)
    assert i18n.current() == "en"  # the run's language ends with the run
