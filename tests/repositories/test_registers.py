"""The directory of registers: a country's coordinators record its registers (another
country's are refused, at the node and at the hub), in bulk all or nothing with file:line,
idempotent; every store receives the directory; search in any IMI language, names shown in
the viewer's language."""

from __future__ import annotations

import itertools

import pytest

from imi_cli.errors import InvalidInput, RefusedRecords
from imi_cli.repositories.registers.projection import load
from imi_cli.repositories.registers.service import Registers, search
from tests.repositories.conftest import hub_accepts, hub_refuses, push

HEAD = "id,country,holder,area,covers,access,url,fee,terms,languages,legal_basis,name:hu,name:en,name:fi\n"
_SERIAL = itertools.count(1)
HU_ONLY = ("the registers of HU in professional-qualifications are recorded by its national coordinator or the "
           "area's coordinator")


def ident() -> str:
    return f"HU-REG-{next(_SERIAL):03d}"


def row(rid: str, covers: str = "architect", fee: str = "free", country: str = "HU", holder: str = "HU-MEK") -> str:
    return (f"{rid},{country},{holder},professional-qualifications,{covers},online,https://example.hu/{rid},{fee},"
            "on the same terms as Hungarian authorities,hu,Act LVIII of 1996,Építészek névjegyzéke,"
            f"Register of architects {rid},Arkkitehtirekisteri {rid}\n")


def record(rid: str) -> dict:
    return {"id": rid, "country": "HU", "holder": "HU-MEK", "area": "professional-qualifications",
            "names": {"hu": "Építészek névjegyzéke"}, "covers": ["architect"], "access": {"how": "on_request"},
            "languages": ["hu"]}


def R(net, name: str) -> Registers:
    return Registers(net.stores[name])


def test_the_countrys_coordinator_records_idempotently_and_every_store_receives_it(net, tmp_path):
    rid, other = ident(), ident()
    path = tmp_path / "registers.csv"
    path.write_text(HEAD + row(rid) + row(other, covers="architect;urban planning"), encoding="utf-8")
    assert R(net, "hu.nco").record_file(path) == {"recorded": 2, "unchanged": 0, "dry_run": 0}
    assert R(net, "hu.nco").record_file(path) == {"recorded": 0, "unchanged": 2, "dry_run": 0}
    path.write_text(HEAD + row(rid, fee="EUR 10 a copy") + row(other, covers="architect;urban planning"),
                    encoding="utf-8")
    assert R(net, "hu.nco").record_file(path) == {"recorded": 1, "unchanged": 1, "dry_run": 0}
    net.sync("hu.nco")
    for name, store in net.stores.items():  # every store, competent in PQ or not, of any country
        net.sync(name)
        held = load(store.conn, rid)
        assert held is not None and held["access"]["fee"] == "EUR 10 a copy", name
        assert held["access"]["terms"] == "on the same terms as Hungarian authorities"


def test_another_countrys_coordinator_and_a_plain_user_are_refused(net, tmp_path):
    rid = ident()
    path = tmp_path / "registers.csv"
    path.write_text(HEAD + row(rid), encoding="utf-8")
    for name in ("fr.nco", "hu.kovacs"):
        with pytest.raises(RefusedRecords) as error:
            R(net, name).record_file(path)
        assert [str(p) for p in error.value.problems] == [f"{path}:2: not_allowed: {HU_ONLY}"], name
        hub_refuses(push(net, name, "register.recorded", {"register": record(rid)}, f"register/{rid}"),
                    "not_allowed", HU_ONLY)
    hub_accepts(push(net, "hu.nco", "register.recorded", {"register": record(rid)}, f"register/{rid}"))
    # a French coordinator records a French register, not one held by a Hungarian authority
    french = {**record("FR-REG-1"), "country": "FR"}
    hub_refuses(push(net, "fr.nco", "register.recorded", {"register": french}, "register/FR-REG-1"), "invalid",
                "the register's holder is an authority of FR in the directory")


def test_one_bad_row_and_nothing_is_recorded_every_problem_named(net, tmp_path):
    good, bad = ident(), ident()
    path = tmp_path / "registers.csv"
    path.write_text(HEAD + row(good) + row(bad, country="XX").replace(",hu,Act", ",hu;zz,Act")
                    + row(good), encoding="utf-8")
    with pytest.raises(InvalidInput) as error:
        R(net, "hu.nco").record_file(path)
    assert error.value.message == f"{path}: 3 problems; nothing was recorded"
    assert [str(p) for p in error.value.problems] == [
        f"{path}:3: [country] 'XX' is not an IMI country",
        f"{path}:3: [languages] IMI language codes, separated by ';' or ',': not zz",
        f"{path}:4: [id] duplicate id {good!r} (first at {path}:2)",
    ]
    with pytest.raises(RefusedRecords) as refused:  # rows the hub would refuse: named too, nothing recorded
        path.write_text(HEAD + row(good) + row(bad, holder="FR-BDF"), encoding="utf-8")
        R(net, "hu.nco").record_file(path)
    assert [str(p) for p in refused.value.problems] == \
        [f"{path}:3: [holder] invalid: the register's holder is an authority of HU in the directory"]
    conn = net.stores["hu.nco"].conn
    assert conn.execute("SELECT count(*) FROM registers WHERE id IN (?, ?)", (good, bad)).fetchone() == (0,)


@pytest.fixture
def architects(net, tmp_path_factory):
    rid = "HU-REG-ARCH"
    if load(net.stores["be.dupont"].conn, rid) is None:
        path = tmp_path_factory.mktemp("registers") / "architects.csv"
        path.write_text(HEAD + row(rid).replace(f"Register of architects {rid}", "Register of architects")
                        .replace(f"Arkkitehtirekisteri {rid}", "Arkkitehtirekisteri"), encoding="utf-8")
        R(net, "hu.nco").record_file(path)
        net.sync("hu.nco", "be.dupont")
    return rid


@pytest.mark.parametrize(("words", "lang", "name", "covers"), [
    ("arkkitehti", "fi", "Arkkitehtirekisteri", "arkkitehti"),  # a Finnish word for architect
    ("architecte", "fr", "Register of architects", "architecte"),  # no French name: English
    ("epitesz", "hu", "Építészek névjegyzéke", "építész"),  # no diacritics
    ("ÉPÍTÉSZEK", "en", "Register of architects", "architect"),  # the register's own name, upper case
    ("Architekt", "de", "Register of architects", "Architekt"),
])
def test_a_register_is_found_in_any_language_and_named_in_the_viewers(net, architects, words, lang, name, covers):
    found = search(net.stores["be.dupont"].conn, words, country="HU", lang=lang)
    assert [(r["id"], r["name"], r["covers"]) for r in found if r["id"] == architects] == [(architects, name, covers)]


def test_a_search_narrows_by_country_and_finds_nothing_for_an_unknown_word(net, architects):
    conn = net.stores["be.dupont"].conn
    assert search(conn, "arkkitehti", country="FR", lang="fi") == []
    assert search(conn, "lentäjä", country="HU", lang="fi") == []
    assert architects in [r["id"] for r in search(conn, "arkkitehti", area="professional-qualifications", lang="fi")]
