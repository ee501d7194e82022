"""`imi registers ...` on the repository network of tests/repositories: the Hungarian
coordinator adds and imports its registers (idempotent, all or nothing with file:line), the
French coordinator is refused; anyone searches in any language and reads names in its own."""

from __future__ import annotations

import itertools
import json

import pytest

from tests.repositories.network import CLOCK, cli_runner, repository_network
from tests.speak import said, word

_SERIAL = itertools.count(1)
HEAD = "id,country,holder,area,covers,access,url,languages,name:hu,name:fi,name:en\n"


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


def ident() -> str:
    return f"HU-CLI-REG-{next(_SERIAL):03d}-{CLOCK.now:%H%M}"


def add(cli, name: str, rid: str, *extra: str):
    return cli(name, "registers", "add", "--id", rid, "--country", "HU", "--name", "hu=Építészek névjegyzéke",
               "--name", f"fi=Arkkitehtien rekisteri {rid}", "--holder", "HU-MEK", "--area",
               "professional-qualifications", "--covers", "architect", "--access", "on_request", "--languages", "hu",
               "--terms", "as for Hungarian authorities", *extra)


def test_a_coordinator_adds_a_register_everyone_finds_it_in_their_language(cli):
    rid = ident()
    first = ok(add(cli, "hu.nco", rid))
    assert first.err == f"Recorded register {rid} (queued: `imi sync` takes it to the hub)\n"
    assert ok(add(cli, "hu.nco", rid)).err == f"Recorded register {rid}: it was recorded so already\n"
    ok(cli("hu.nco", "sync"))
    ok(cli("be.dupont", "sync"))
    rows = json.loads(ok(cli("be.dupont", "--json", "--lang", "fi", "registers", "search", "arkkitehti",
                             "--country", "HU")).out)
    assert [(r["name"], r["covers"]) for r in rows if r["id"] == rid] == [(f"Arkkitehtien rekisteri {rid}",
                                                                         "arkkitehti")]
    text = ok(cli("be.dupont", "--lang", "hu", "registers", "show", rid)).out
    assert text.splitlines()[0] == f"Építészek névjegyzéke  ({rid}, HU, professional-qualifications)"
    assert said("hu", "covers: {covers}", covers="építész") in text.splitlines()
    assert said("hu", "access: {how}", how=word("hu", "on request")) + "; " + \
        said("hu", "terms: {value}", value="as for Hungarian authorities") in text.splitlines()
    assert json.loads(ok(cli("be.dupont", "--json", "registers", "search", "arkkitehti", "--country", "FR")).out) == []
    assert cli("be.dupont", "registers", "show", "HU-CLI-NONE").code == 4


def test_another_countrys_coordinator_is_refused(cli):
    result = add(cli, "fr.nco", ident())
    assert result.code == 10
    assert ("the registers of HU in professional-qualifications are recorded by its national coordinator or the "
            "area's coordinator") in result.err


def test_import_is_all_or_nothing_and_idempotent_and_exports(cli, tmp_path):
    good, bad = ident(), ident()
    path = tmp_path / "registers.csv"
    line = "{},HU,HU-MEK,professional-qualifications,architect;urban planner,online,https://example.hu/r,hu,Név,Nimi,Name\n"
    path.write_text(HEAD + line.format(good) + line.format(bad).replace(",online,", ",by post,"), encoding="utf-8")
    refused = cli("hu.nco", "registers", "import", path)
    assert refused.code == 5
    assert f"{path}:3: [access] one of online, on_request, online_and_on_request" in refused.err
    assert cli("hu.nco", "registers", "show", good).code == 4
    path.write_text(HEAD + line.format(good) + line.format(bad), encoding="utf-8")
    assert ok(cli("hu.nco", "registers", "import", path)).err == "Recorded 2; 0 unchanged\n"
    assert json.loads(ok(cli("hu.nco", "--json", "registers", "import", path)).out) == \
        {"recorded": 0, "unchanged": 2, "dry_run": 0}
    exported = tmp_path / "export.json"
    ok(cli("hu.nco", "registers", "export", "--country", "hu", "-o", exported))
    mine = [r for r in json.loads(exported.read_text(encoding="utf-8"))["registers"] if r["id"] in (good, bad)]
    assert [r["covers"] for r in mine] == [["architect", "urban planner"]] * 2
    again = tmp_path / "again.json"
    again.write_text(json.dumps({"registers": mine}, ensure_ascii=False), encoding="utf-8")
    assert json.loads(ok(cli("hu.nco", "--json", "registers", "import", again)).out)["unchanged"] == 2


def test_import_reads_excels_semicolon_csv_in_cp1250(cli, tmp_path):
    rid = ident()
    path = tmp_path / "nyilvantartasok.csv"
    text = (HEAD.replace(",", ";").replace("\n", "\r\n")
            + f"{rid};HU;HU-MEK;professional-qualifications;architect,urban planner;online;https://example.hu/r;hu;"
              "Építészek névjegyzéke;Nimi;Name\r\n")
    path.write_bytes(text.encode("cp1250"))
    refused = cli("hu.nco", "registers", "import", path)
    assert refused.code == 5 and "run again with --encoding cp1250" in refused.err
    assert cli("hu.nco", "registers", "show", rid).code == 4
    assert ok(cli("hu.nco", "registers", "import", path, "--encoding", "cp1250")).err == "Recorded 1; 0 unchanged\n"
    shown = ok(cli("hu.nco", "--json", "registers", "show", rid)).out
    record = json.loads(shown)
    assert record["names"]["hu"] == "Építészek névjegyzéke" and record["covers"] == ["architect", "urban planner"]
