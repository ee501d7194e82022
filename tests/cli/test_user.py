"""`imi user import | add | list | show`: users of the directory, roles per area, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

HEADER = "id,name,email,authority,roles\n"


def counts(result) -> tuple[int, int, int]:
    """(created, updated, unchanged) of an import's --json report."""
    assert result.code == 0, result.err
    report = json.loads(result.out)
    return report["created"], report["updated"], report["unchanged"]


@pytest.fixture
def directory(unlocked, imi, examples) -> Path:
    """An unlocked store holding the example authorities (no users yet)."""
    assert imi("authority", "import", examples / "authorities.csv").code == 0
    return unlocked


@pytest.mark.parametrize("name, created", [("users.csv", 3), ("users.yaml", 1), ("users.json", 1)])
def test_import_each_format(directory, imi, examples, name, created, event_count):
    result = imi("--json", "user", "import", examples / name)
    assert result.code == 0, result.err
    assert counts(result) == (created, 0, 0)
    events = event_count(directory)
    again = imi("user", "import", examples / name, "--json")
    assert counts(again) == (0, 0, created)
    assert event_count(directory) == events


def test_dry_run_writes_nothing(directory, imi, examples, event_count):
    events = event_count(directory)
    result = imi("user", "import", examples / "users.csv", "--dry-run")
    assert result.err == ("Would import users: 3 created, 0 updated, 0 unchanged\n"
                          "Would create: hu.kovacs, hu.nagy, ie.murphy\n")
    assert event_count(directory) == events
    assert json.loads(imi("--json", "user", "list").out) == []


def test_roles_per_area(directory, imi, examples):
    imi("user", "import", examples / "users.csv")
    imi("user", "import", examples / "users.yaml")
    show = lambda ident: json.loads(imi("--json", "user", "show", ident).out)  # noqa: E731
    assert show("hu.kovacs") == {"id": "hu.kovacs", "name": "Kovács Anna", "email": "anna.kovacs@example.hu",
                                 "authority": "HU-MEK", "roles": {"*": ["administrator", "request_handler"]}}
    assert show("hu.nagy")["roles"] == {"professional-qualifications": ["allocator"]}
    assert show("de.schmidt")["roles"] == {"professional-qualifications": ["request_handler", "allocator"]}


def test_list(directory, imi, examples):
    imi("user", "import", examples / "users.csv")
    assert [u["id"] for u in json.loads(imi("user", "list", "--json").out)] == \
        ["hu.kovacs", "hu.nagy", "ie.murphy"]
    assert [u["id"] for u in json.loads(imi("user", "list", "--authority", "IE-RIAI", "--json").out)] == \
        ["ie.murphy"]
    table = imi("user", "list", "--authority", "HU-MEK").out
    assert table == ("id\tname\temail\tauthority\troles\n"
                     "hu.kovacs\tKovács Anna\tanna.kovacs@example.hu\tHU-MEK\tadministrator, request_handler\n"
                     "hu.nagy\tNagy Péter\tpeter.nagy@example.hu\tHU-MEK\tprofessional-qualifications:allocator\n")


def test_add_one_and_update_it(directory, imi):
    args = ["user", "add", "--id", "hu.szabo", "--name", "Szabó  Éva", "--email", "Eva.Szabo@example.hu",
            "--authority", "HU-MEK", "--roles", "professional-qualifications:request_handler"]
    assert imi(*args).err == "Imported user: 1 created, 0 updated, 0 unchanged\n"
    user = json.loads(imi("user", "show", "hu.szabo", "--json").out)
    assert user["name"] == "Szabó Éva" and user["email"] == "eva.szabo@example.hu"
    assert imi(*args).err == "Imported user: 0 created, 0 updated, 1 unchanged (nothing to change)\n"
    again = imi(*args[:-1], "administrator")  # a registration would replace the roles: refused
    assert (again.code, again.err) == (6, "imi: error: hu.szabo is registered already; nothing was changed\n"
                                          "  hint: `imi user update hu.szabo` changes only what you give (--name, "
                                          "--email, --roles, --add-role, --remove-role)\n")
    assert imi("user", "update", "hu.szabo", "--roles", "administrator").err == \
        "Updated hu.szabo (queued: `imi sync` takes it to every store)\n"
    assert json.loads(imi("user", "show", "hu.szabo", "--json").out)["roles"] == {"*": ["administrator"]}


def test_show_an_unknown_user(directory, imi):
    result = imi("user", "show", "nobody")
    assert result.code == 4
    assert result.err == "imi: error: no user 'nobody' in this store\n  hint: `imi user list` shows them\n"


BAD_ROWS = [
    ("unknown authority", "u1,Anna,a@example.hu,XX-NONE,administrator\n",
     ["{f}:2: [authority] no authority 'XX-NONE' in this store"]),
    ("unknown role", "u1,Anna,a@example.hu,HU-MEK,boss\n",
     ["{f}:2: [roles] 'boss' is not a role (administrator, request_handler, allocator, alert_handler, "
      "alert_coordinator, notification_handler, licensing_officer, "
      "supervisor, coordinator, data_protection)"]),
    ("unknown area", "u1,Anna,a@example.hu,HU-MEK,nope:allocator\n",
     ["{f}:2: [roles] 'nope' is not a legislative area"]),
    ("area of another authority", "u1,Anna,a@example.hu,HU-MEK,services:allocator\n",
     ["{f}:2: [roles] the authority HU-MEK is not registered in area 'services'"]),
    ("malformed e-mail", "u1,Anna,anna(at)example.hu,HU-MEK,administrator\n",
     ["{f}:2: [email] is not a valid e-mail address"]),
    ("duplicate id", "u1,Anna,a@example.hu,HU-MEK,administrator\nu1,Béla,b@example.hu,HU-MEK,allocator\n",
     ["{f}:3: [id] duplicate id 'u1' (first at {f}:2)"]),
    ("every problem of a row at once", "u1,Anna,a@example.hu,XX-NONE,boss\n",
     ["{f}:2: [roles] 'boss' is not a role (administrator, request_handler, allocator, alert_handler, "
      "alert_coordinator, notification_handler, licensing_officer, "
      "supervisor, coordinator, data_protection)", "{f}:2: [authority] no authority 'XX-NONE' in this store"]),
]


@pytest.mark.parametrize("case, rows, problems", BAD_ROWS, ids=[c[0] for c in BAD_ROWS])
def test_bad_rows(directory, imi, tmp_path, event_count, case, rows, problems):
    events = event_count(directory)
    bad = tmp_path / "users.csv"
    bad.write_text(HEADER + rows, encoding="utf-8")
    result = imi("user", "import", bad)
    assert result.code == 5
    listed = [p.format(f=bad) for p in problems]
    problems = "1 problem" if len(listed) == 1 else f"{len(listed)} problems"
    assert result.err == (f"imi: error: {bad}: {problems}; nothing was imported\n"
                          + "".join(f"  {p}\n" for p in listed))
    assert event_count(directory) == events


HINT = ("  hint: columns: id, name, email, authority, roles, and name:xx for other languages; --delimiter to read with "
        "another delimiter\n")
BAD_FILES = [
    ("missing column", "u.csv", b"id,name,email,authority\nu1,A,a@example.hu,HU-MEK\n",
     "imi: error: {f}: the header is not right (read with ',' between cells)\n"
     "  {f}:1: [roles] missing column\n" + HINT),
    ("unknown column", "u.csv", b"id,name,email,authority,roles,phone\n",
     "imi: error: {f}: the header is not right (read with ',' between cells)\n"
     "  {f}:1: [phone] unknown column\n" + HINT),
    ("empty file", "u.json", b"", "imi: error: {f}: the file is empty\n"),
    ("not UTF-8", "u.csv", HEADER.encode() + "u1,Kovács,a@example.hu,HU-MEK,administrator\n".encode("cp1250"),
     "imi: error: {f}:2: the file is not UTF-8 (byte 37)\n"
     "  hint: it looks like cp1250, in which the word there reads 'Kovács'; if so, run again with --encoding "
     "cp1250\n"),
    ("truncated YAML", "u.yaml", b"users:\n  - id: u1\n    roles: [administrator\n",
     "imi: error: {f}:4:1: not valid YAML: did not find expected ',' or ']'\n"),
    ("malformed JSON", "u.json", b'[{"id": "u1"}, ]',
     "imi: error: {f}:1:16: not valid JSON: Expecting value\n"),
    ("YAML without records", "u.yaml", b"users: []\n", "imi: error: {f}: the file has no records\n"),
]


@pytest.mark.parametrize("case, name, data, expected", BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_bad_files(directory, imi, tmp_path, event_count, case, name, data, expected):
    events = event_count(directory)
    bad = tmp_path / name
    bad.write_bytes(data)
    result = imi("user", "import", bad)
    assert result.code == 5
    assert result.err == expected.format(f=bad)
    assert event_count(directory) == events


def test_yaml_record_problems_name_the_line(directory, imi, tmp_path):
    bad = tmp_path / "users.yaml"
    bad.write_text("users:\n  - id: u1\n    name: Anna\n    email: a@example.hu\n    authority: HU-MEK\n"
                   "    roles: {professional-qualifications: [allocator]}\n"
                   "  - id: u2\n    name: Béla\n    email: b@example\n    authority: HU-MEK\n"
                   "    roles: administrator\n", encoding="utf-8")
    result = imi("user", "import", bad)
    assert result.code == 5
    assert result.err == (f"imi: error: {bad}: 1 problem; nothing was imported\n"
                          f"  {bad}:7: [email] is not a valid e-mail address\n")
