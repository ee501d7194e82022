"""`imi cit ...` on the repository network of tests/repositories (a hub on loopback, real
encrypted stores): a Dutch licence issued, notified for Belgium, suspended; the Belgian police
check it (exit 0 valid, 1 not valid, 4 no such licence, with the reason); its history; an
export that imports again unchanged; refusals with their reasons, never a traceback."""

from __future__ import annotations

import itertools
import json

import pytest

from tests.repositories.network import CLOCK, cli_runner, repository_network

_SERIAL = itertools.count(1)
CONDITIONS = [a for c in ("national_licence", "good_repute", "insurance", "staff_vehicles_procedures")
              for a in ("--condition", c)]


@pytest.fixture(scope="module")
def repo_net(tmp_path_factory):
    return repository_network(tmp_path_factory)


@pytest.fixture(autouse=True)
def now(isolate, monkeypatch):
    return CLOCK.set(monkeypatch)


@pytest.fixture
def cli(repo_net, imi):
    return cli_runner(repo_net, imi)


def ok(result):
    assert result.code == 0, (result.out, result.err)
    return result


def sync(cli, *names: str) -> None:
    for name in names:
        ok(cli(name, "sync"))


@pytest.fixture(scope="module")
def made(repo_net):
    return {}


def issue(cli, company: str, *extra: str) -> str:
    num = f"NL-CLI-{next(_SERIAL):03d}-{CLOCK.now:%H%M}"
    ok(cli("nl.jansen", "cit", "issue", "--number", num, "--company", company, "--registration", f"KVK {num}",
           "--address", "Utrecht", "--valid-from", "2026-01-01", *CONDITIONS, *extra))
    return num


@pytest.fixture
def muller(cli, made):
    """A Dutch licence of "Werttransport Müller-Süd {n}", issued on the command line, notified for
    BE from 2026-06-01, suspended at home 2026-12-01..2026-12-31, pulled by BE, FR and HU (once)."""
    if not made:
        company = f"Werttransport Müller-Süd {next(_SERIAL)}"
        num = issue(cli, company)
        ok(cli("nl.jansen", "cit", "notify-host", num, "--host", "BE", "--start", "2026-06-01", "--transport",
               "euro banknotes by road", "--staff", "Piet de Vries", "--weapons", "none", "--notice-date",
               "2026-03-02"))
        ok(cli("nl.jansen", "cit", "suspend", num, "--from", "2026-12-01", "--to", "2026-12-31", "--reason",
               "insurance lapsed"))
        sync(cli, "nl.jansen", "be.dupont", "fr.martin", "hu.kovacs")
        made.update(num=num, company=company)
    return made


@pytest.mark.parametrize(("criteria", "day", "where", "code", "reason"), [
    (("--company", "werttransport muller-sud"), "2026-07-01", "BE", 0, "valid in BE on 2026-07-01"),
    (("--company", "WERTTRANSPORT MÜLLER"), "2026-05-31", "BE", 1, "may operate in BE from 2026-06-01"),
    (("--company", "werttransport muller"), "2026-12-10", "BE", 1, "suspended from 2026-12-01 to 2026-12-31 by NL-DNB"),
    (("--company", "werttransport muller"), "2026-07-01", "FR", 1, "valid in NL, but not notified to operate in FR"),
    (("--company", "werttransport muller"), "2031-01-01", "NL", 1, "expired on 2030-12-31"),
])
def test_check_answers_with_its_exit_code_and_the_reason(cli, muller, criteria, day, where, code, reason):
    result = cli("be.dupont", "cit", "check", *criteria, "--on", day, "--in", where)
    assert result.code == code, (result.out, result.err)
    assert reason in result.out
    rows = json.loads(cli("be.dupont", "--json", "cit", "check", *criteria, "--on", day, "--in", where).out)
    assert [(r["number"], r["valid"], r["reason"].startswith(reason)) for r in rows] == \
        [(muller["num"], code == 0, True)]


def test_check_by_number_and_registration_and_no_such_licence(cli, muller):
    num = muller["num"]
    assert cli("be.dupont", "cit", "check", "--number", num, "--on", "2026-07-01", "--in", "be").code == 0
    assert cli("be.dupont", "cit", "check", "--registration", f"kvk {num.lower()}", "--on", "2026-07-01").code == 0
    missing = cli("be.dupont", "cit", "check", "--number", "NL-CLI-NONE", "--on", "2026-07-01")
    assert missing.code == 4 and "no licence matches" in missing.err
    # a store not competent in cash-in-transit holds no licence: it cannot tell one exists
    outsider = cli("hu.kovacs", "cit", "check", "--number", num, "--on", "2026-07-01")
    assert (outsider.code, outsider.err) == (missing.code, missing.err)


def test_check_says_what_is_wrong_with_the_question(cli, muller):
    for args, message in ((("--on", "2026-07-01"), "say which licence: --number, --company or --registration"),
                          (("--number", muller["num"], "--on", "1 July"), "--on '1 July' is not a date as YYYY-MM-DD"),
                          (("--number", muller["num"], "--in", "Atlantis"), "--in 'Atlantis' is not an IMI country")):
        result = cli("be.dupont", "cit", "check", *args)
        assert result.code == 2 and message in result.err, (args, result.err)


def test_history_shows_every_change_with_its_author(cli, muller):
    rows = json.loads(ok(cli("be.dupont", "--json", "cit", "history", muller["num"])).out)
    assert [(r["what"], r["authority"], r["user"]) for r in rows] == [
        ("issued", "NL-DNB", "nl.jansen"), ("host_notified", "NL-DNB", "nl.jansen"),
        ("suspended", "NL-DNB", "nl.jansen")]
    assert rows[2]["detail"] == {"scope": "NL", "from": "2026-12-01", "to": "2026-12-31", "reason": "insurance lapsed"}
    text = ok(cli("be.dupont", "cit", "history", muller["num"])).out
    assert "host_notified" in text and "nl.jansen" in text
    assert "Piet de Vries" not in text  # staff are listed by the view, not spread through the history
    assert cli("be.dupont", "cit", "history", "NL-CLI-NONE").code == 4


def test_show_and_list_read_today_from_the_settable_clock(cli, muller, monkeypatch):
    shown = ok(cli("be.dupont", "cit", "show", muller["num"])).out
    assert f"licence {muller['num']} (NL, issued by NL-DNB)" in shown
    assert "may operate in BE from Jun 1, 2026 (notified Mar 2, 2026): euro banknotes by road; weapons: none; " \
        "staff: 1" in shown
    monkeypatch.setenv("IMI_NOW", "2026-12-10T09:00:00.000Z")  # reading only: no event is made at this time
    shown = ok(cli("be.dupont", "cit", "show", muller["num"])).out
    assert "today (Dec 10, 2026): NOT VALID — suspended from 2026-12-01 to 2026-12-31 by NL-DNB" in shown
    rows = json.loads(ok(cli("be.dupont", "--json", "cit", "list", "--company", "muller-sud")).out)
    assert [(r["number"], r["status"], r["hosts"]) for r in rows if r["number"] == muller["num"]] == \
        [(muller["num"], "not valid", "BE")]


def test_refusals_name_the_rule_and_change_nothing(cli, muller):
    num = muller["num"]
    french = cli("fr.martin", "cit", "suspend", num, "--from", "2027-02-01", "--to", "2027-02-28", "--reason", "r")
    assert french.code == 10 and "FR is not a state the company was notified to operate in" in french.err
    short = cli("nl.jansen", "cit", "notify-host", num, "--host", "FR", "--start", "2026-04-01", "--transport", "road",
                "--notice-date", "2026-03-02")
    assert short.code == 10 and "is less than 2 months after the notice (2026-03-02)" in short.err
    long_ = cli("nl.jansen", "cit", "issue", "--number", "NL-CLI-LONG", "--company", "X", "--registration", "1",
                "--address", "A", "--valid-from", "2026-01-01", "--valid-to", "2031-01-02", *CONDITIONS)
    assert long_.code == 10 and "a licence is valid for at most 5 years" in long_.err
    bogus = cli("nl.jansen", "cit", "issue", "--number", "NL-CLI-X", "--company", "X", "--registration", "1",
                "--address", "A", "--valid-from", "2026-01-01", "--condition", "cheap")
    assert bogus.code == 2 and "--condition 'cheap' is not one of" in bogus.err
    rows = json.loads(ok(cli("nl.jansen", "--json", "cit", "history", num)).out)
    assert [r["what"] for r in rows] == ["issued", "host_notified", "suspended"]
    assert cli("nl.jansen", "cit", "show", "NL-CLI-LONG").code == 4


@pytest.mark.parametrize("fmt", ["csv", "yaml", "json"])
def test_an_export_imports_again_unchanged_and_a_changed_row_is_one_change(cli, tmp_path, fmt):
    serial = next(_SERIAL)
    company, contact = f"Export Süd {serial}", f"ops-{serial}@example.nl"
    nums = [issue(cli, company), issue(cli, company, "--contact", contact)]
    path = tmp_path / f"licences.{fmt}"
    ok(cli("nl.jansen", "cit", "export", "--format", fmt, "--country", "NL", "-o", path))
    imported = ok(cli("nl.jansen", "cit", "import", path))
    assert imported.err.startswith("Imported: 0 issued, 0 changed, ")
    text = path.read_text(encoding="utf-8")
    assert contact in text and all(n in text for n in nums)
    path.write_text(text.replace(contact, "night@example.nl"), encoding="utf-8")
    assert json.loads(ok(cli("nl.jansen", "--json", "cit", "import", path)).out)["changed"] == 1
    assert json.loads(ok(cli("nl.jansen", "--json", "cit", "import", path)).out)["changed"] == 0


def test_an_import_with_a_bad_row_names_it_and_imports_nothing(cli, tmp_path):
    good, bad = f"NL-CLI-IMP-{next(_SERIAL)}", f"NL-CLI-IMP-{next(_SERIAL)}"
    path = tmp_path / "licences.csv"
    path.write_text("number,company_name,registration_number,address,valid_from,valid_to,national_licence,"
                    "good_repute,insurance,staff_vehicles_procedures\n"
                    f"{good},A,1,Utrecht,2026-01-01,2030-12-31,yes,yes,yes,yes\n"
                    f"{bad},B,2,Utrecht,2026-01-01,someday,yes,yes,yes,yes\n", encoding="utf-8")
    result = cli("nl.jansen", "cit", "import", path)
    assert result.code == 5 and f"{path}:3: [valid_to] 'someday' is not a date as YYYY-MM-DD" in result.err
    assert cli("nl.jansen", "cit", "show", good).code == 4


def test_an_import_reads_excels_semicolon_csv_and_caps_problems(cli, tmp_path):
    number = f"NL-CLI-SEMI-{next(_SERIAL)}"
    path = tmp_path / "vergunningen.csv"
    head = ("number;company_name;registration_number;address;valid_from;valid_to;national_licence;good_repute;"
            "insurance;staff_vehicles_procedures\r\n")
    path.write_bytes((head + f"{number};Geldtransport Zuid;1;Den Haag;2026-01-01;2030-12-31;yes;yes;yes;yes\r\n")
                     .encode("cp1252"))
    ok(cli("nl.jansen", "cit", "import", path))
    assert "Geldtransport Zuid" in ok(cli("nl.jansen", "--json", "cit", "show", number)).out
    rows = "".join(f"NL-CLI-BAD-{n};B;{n};Utrecht;2026-01-01;someday;yes;yes;yes;yes\r\n" for n in range(60))
    path.write_bytes((head + rows).encode("cp1252"))
    result = cli("nl.jansen", "cit", "import", path)
    assert result.code == 5 and result.err.splitlines()[-1] == "  … and 10 more (--all-problems to list them all)"
    assert len(cli("nl.jansen", "cit", "import", path, "--all-problems").err.splitlines()) == 61
