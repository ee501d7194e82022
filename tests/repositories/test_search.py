"""Finding a licence in a CIT authority's store: by company name in any spelling (case and
diacritics folded), by registration number, by number, by home state."""

from __future__ import annotations

import pytest

from imi_cli.repositories.licences.views import check, find
from tests.repositories.conftest import issued, number

_MADE: dict[str, str] = {}


@pytest.fixture
def sud(net):
    """"Geldtransport Süd" (registration KVK 88 Süd-7), pulled by the Belgian police; built once."""
    if "num" not in _MADE:
        _MADE["num"] = issued(net, host="BE", company="Geldtransport Süd", registration="KVK 88 Süd-7",
                              sync=("be.dupont",))
        _MADE["other"] = issued(net, host=None, company="Waardevervoer Noord", sync=("be.dupont",))
    return _MADE["num"]


@pytest.mark.parametrize("spelled", ["sud", "SÜD", "Süd", "geldtransport sud", "GELDTRANSPORT SÜD", "  süd  "])
def test_a_company_is_found_by_its_name_with_or_without_diacritics(net, sud, spelled):
    found = [x["number"] for x in find(net.stores["be.dupont"].conn, company=spelled)]
    assert sud in found and _MADE["other"] not in found


def test_a_name_it_does_not_hold_finds_nothing(net, sud):
    assert find(net.stores["be.dupont"].conn, company="Geldtransport Nord") == []


@pytest.mark.parametrize("spelled", ["KVK 88 Süd-7", "kvk 88 sud-7"])
def test_a_licence_is_found_by_its_registration_number(net, sud, spelled):
    assert [x["number"] for x in find(net.stores["be.dupont"].conn, registration=spelled)] == [sud]
    assert find(net.stores["be.dupont"].conn, registration="KVK 88") == []  # the whole number, not a part


def test_a_licence_is_found_by_number_and_by_home_state(net, sud):
    conn = net.stores["be.dupont"].conn
    assert [x["company_name"] for x in find(conn, number=sud)] == ["Geldtransport Süd"]
    assert find(conn, number=number()) == []
    assert {x["country"] for x in find(conn, country="nl")} == {"NL"} and sud in [
        x["number"] for x in find(conn, country="NL")]
    assert find(conn, country="FR") == []


def test_the_check_finds_by_company_and_answers_for_each(net, sud):
    (answer,) = [a for a in check(net.stores["be.dupont"].conn, "2026-03-31", "BE", company="SUD")
                 if a["number"] == sud]
    assert (answer["company"], answer["valid"], answer["reason"]) == \
        ("Geldtransport Süd", False, "may operate in BE from 2026-04-01")
