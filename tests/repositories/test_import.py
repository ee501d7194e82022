"""`Licences.import_file`: CSV, YAML and JSON; all or nothing (one bad row and nothing is
written, every problem named by file:line and field); idempotent (the same file twice
changes nothing; one changed row is one change); an export imports again unchanged."""

from __future__ import annotations

import json

import pytest

from imi_cli.errors import InvalidInput, RefusedRecords
from imi_cli.repositories.licences.exports import export_licences
from imi_cli.repositories.licences.views import find
from tests.repositories.conftest import L, in_store, issued, number

HEAD = ("number,company_name,registration_number,address,valid_from,valid_to,national_licence,"
        "cit_activity_24_months,good_repute,insurance,staff_vehicles_procedures,contact\n")


def csv_row(num: str, company: str = "Geldtransport Süd B.V.", valid_to: str = "2030-12-31", repute: str = "yes",
            contact: str = "desk@example.nl") -> str:
    return f"{num},{company},KVK {num},Utrecht,2026-01-01,{valid_to},yes,no,{repute},yes,yes,{contact}\n"


def structured(nums: list[str], contacts: dict[str, str]) -> list[dict]:
    return [{"number": n, "company": {"name": f"Transport {n}", "registration_number": f"KVK {n}",
                                      "address": "Utrecht"},
             "valid_from": "2026-01-01", "valid_to": "2030-12-31",
             "conditions": {"national_licence": True, "good_repute": True, "insurance": True,
                            "staff_vehicles_procedures": True}, "contact": contacts.get(n, "desk@example.nl")}
            for n in nums]


def outbox(net, name: str) -> int:
    return net.stores[name].conn.execute("SELECT count(*) FROM outbox").fetchone()[0]


def held(net, name: str, nums: list[str]) -> list[str]:
    return [n for n in nums if in_store(net, name, n) is not None]


def write(path, fmt: str, nums: list[str], contacts: dict[str, str] | None = None):
    """Licences ``nums`` in ``fmt`` (YAML and JSON nest the company and the conditions);
    ``contacts``: a contact other than the usual one, by number."""
    contacts = contacts or {}
    if fmt == "csv":
        path.write_text(HEAD + "".join(csv_row(n, contact=contacts.get(n, "desk@example.nl")) for n in nums),
                        encoding="utf-8")
    elif fmt == "json":
        path.write_text(json.dumps({"licences": structured(nums, contacts)}, ensure_ascii=False), encoding="utf-8")
    else:
        import yaml

        path.write_text(yaml.safe_dump({"licences": structured(nums, contacts)}, allow_unicode=True),
                        encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt", ["csv", "yaml", "json"])
def test_an_import_is_idempotent_and_a_changed_row_is_one_change(net, tmp_path, fmt):
    nums = [number() for _ in range(3)]
    path = write(tmp_path / f"licences.{fmt}", fmt, nums)
    jansen = L(net, "nl.jansen")
    assert jansen.import_file(path) == {"issued": 3, "changed": 0, "unchanged": 0, "dry_run": False}
    queued = outbox(net, "nl.jansen")
    assert jansen.import_file(path) == {"issued": 0, "changed": 0, "unchanged": 3, "dry_run": False}
    assert outbox(net, "nl.jansen") == queued
    write(path, fmt, nums, {nums[1]: "night-desk@example.nl"})
    assert jansen.import_file(path) == {"issued": 0, "changed": 1, "unchanged": 2, "dry_run": False}
    net.sync("nl.jansen", "be.dupont")
    assert in_store(net, "be.dupont", nums[1])["record"]["licence"]["contact"] == "night-desk@example.nl"
    assert [h["type"] for h in in_store(net, "be.dupont", nums[1])["record"]["history"]] == \
        ["licence.issued", "licence.changed"]


def test_one_bad_row_and_nothing_is_written_every_problem_named(net, tmp_path):
    good, bad_day, bad_flag = number(), number(), number()
    path = tmp_path / "licences.csv"
    path.write_text(HEAD + csv_row(good) + csv_row(bad_day, valid_to="2030-02-30")
                    + csv_row(bad_flag, company="", repute="maybe"), encoding="utf-8")
    before = outbox(net, "nl.jansen")
    with pytest.raises(InvalidInput) as error:
        L(net, "nl.jansen").import_file(path)
    assert error.value.message == f"{path}: 3 problems; nothing was imported"
    assert [str(p) for p in error.value.problems] == [
        f"{path}:3: [valid_to] '2030-02-30' is not a date as YYYY-MM-DD",
        f"{path}:4: [company_name] required",
        f"{path}:4: [good_repute] 'maybe' is not yes or no",
    ]
    assert held(net, "nl.jansen", [good, bad_day, bad_flag]) == [] and outbox(net, "nl.jansen") == before


def test_rows_the_hub_would_refuse_are_named_and_nothing_is_written(net, tmp_path):
    good, long_, unmet, twice = number(), number(), number(), number()
    path = tmp_path / "licences.csv"
    path.write_text(HEAD + csv_row(good) + csv_row(long_, valid_to="2031-06-30") + csv_row(unmet, repute="no")
                    + csv_row(twice) + csv_row(twice), encoding="utf-8")
    before = outbox(net, "nl.jansen")
    with pytest.raises(InvalidInput) as error:  # a duplicate is found before the rules run
        L(net, "nl.jansen").import_file(path)
    assert [str(p) for p in error.value.problems] == \
        [f"{path}:6: [number] duplicate number {twice!r} (first at {path}:5)"]
    path.write_text(HEAD + csv_row(good) + csv_row(long_, valid_to="2031-06-30") + csv_row(unmet, repute="no"),
                    encoding="utf-8")
    with pytest.raises(RefusedRecords) as refused:
        L(net, "nl.jansen").import_file(path)
    assert [str(p) for p in refused.value.problems] == [
        f"{path}:3: [valid_to] invalid: a licence is valid for at most 5 years: valid_to must be after valid_from "
        "and no later than 2030-12-31",
        f"{path}:4: [conditions] invalid: a licence is issued only when every condition is met; not met: good_repute",
    ]
    assert held(net, "nl.jansen", [good, long_, unmet]) == [] and outbox(net, "nl.jansen") == before


def test_a_dry_run_checks_everything_and_writes_nothing(net, tmp_path):
    nums = [number(), number()]
    path = write(tmp_path / "licences.csv", "csv", nums)
    before = outbox(net, "nl.jansen")
    assert L(net, "nl.jansen").import_file(path, dry_run=True) == \
        {"issued": 2, "changed": 0, "unchanged": 0, "dry_run": True}
    assert held(net, "nl.jansen", nums) == [] and outbox(net, "nl.jansen") == before


@pytest.mark.parametrize("fmt", ["csv", "yaml", "json"])
def test_an_export_imports_again_unchanged(net, tmp_path, fmt):
    mine = [issued(net, host=None, sync=()), issued(net, host=None, sync=(), contact="ops@example.nl")]
    conn = net.stores["nl.jansen"].conn
    licences = [x for x in find(conn, country="NL") if x["number"] in mine]
    path = tmp_path / f"export.{fmt}"
    path.write_text(export_licences(licences, fmt), encoding="utf-8")
    assert L(net, "nl.jansen").import_file(path) == {"issued": 0, "changed": 0, "unchanged": 2, "dry_run": False}
