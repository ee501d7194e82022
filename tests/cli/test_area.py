"""`imi area list` and `imi country list`: reference data in the reader's language, no store."""

from __future__ import annotations

import json

from imi_cli.errors import ExitCode

AREAS = ["professional-qualifications", "services", "euro-cash-in-transit", "public-procurement",
         "posting-of-workers", "patients-rights"]


def test_areas_in_a_pipe_are_tab_separated_lines(imi):
    result = imi("area", "list")
    assert (result.code, result.err) == (0, "")
    header, *lines = result.out.splitlines()
    assert header == "id\tname\tlegal_basis"  # the keys, in every language
    assert [line.split("\t")[0] for line in lines] == AREAS
    assert lines[0] == "professional-qualifications\tProfessional qualifications\tDirective 2005/36/EC"


def test_areas_named_in_the_language_given_after_the_subcommand(imi):
    result = imi("area", "list", "--lang", "ga", "--json")
    assert result.code == 0, result.err
    rows = json.loads(result.out)
    assert rows[1] == {"id": "services", "name": "Seirbhísí", "legal_basis": "Directive 2006/123/EC"}


def test_the_language_after_the_subcommand_wins_over_the_one_before(imi):
    result = imi("--lang", "hu", "area", "list", "--lang", "de")
    assert result.out.splitlines()[1] == "professional-qualifications\tBerufsqualifikationen\tDirective 2005/36/EC"


def test_json_before_the_subcommand_too(imi):
    assert [a["id"] for a in json.loads(imi("--json", "area", "list").out)] == AREAS


def test_an_unknown_language_after_the_subcommand_is_a_usage_error(imi):
    result = imi("area", "list", "--lang", "xx")
    assert result.code == ExitCode.USAGE
    assert result.err == ("imi: error: --lang 'xx' is not an IMI language code\n"
                          "  hint: use one of: bg cs da de el en es et fi fr ga hr hu it lt lv mt nl pl pt ro "
                          "sk sl sv is no\n")
    assert result.out == ""


def test_an_unknown_area_command(imi):
    result = imi("area", "show")
    assert result.code == ExitCode.USAGE
    assert "No such command 'show'." in result.err


def test_lang_shows_in_the_commands_help(imi):
    result = imi("area", "list", "--help")
    assert result.code == 0
    assert "--lang" in result.out and "--json" in result.out


def test_countries_in_irish(imi):
    result = imi("country", "list", "--lang", "ga")
    assert result.code == 0, result.err
    header, *lines = result.out.splitlines()
    assert header == "code\tname"
    assert len(lines) == 30  # EU-27, Iceland, Liechtenstein, Norway
    assert "IE\tÉire" in lines and "HU\tan Ungáir" in lines


def test_countries_as_json(imi):
    rows = json.loads(imi("country", "list", "--json", "--lang", "de").out)
    assert {"code": "AT", "name": "Österreich"} in rows and len(rows) == 30
