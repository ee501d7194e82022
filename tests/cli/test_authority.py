"""`imi authority import | register | show | search | export`: bulk registration from CSV,
YAML and JSON (all or nothing, idempotent), every bad-input case, and search."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.speak import word

HEADER = "id,country,name,languages,areas,competences,email\n"
EXAMPLE_IDS = {"authorities.csv": ["DE-BAK", "HU-MEK", "HU-NCO", "IE-NCO", "IE-RIAI"],
               "authorities.yaml": ["MT-MCCAA", "NO-DSB", "PL-GUNB"],
               "authorities.json": ["EL-HCAA", "FR-BDF"]}


@pytest.fixture
def loaded(unlocked, imi, examples) -> Path:
    """An unlocked store holding every example authority."""
    for name in EXAMPLE_IDS:
        result = imi("authority", "import", examples / name)
        assert result.code == 0, result.err
    return unlocked


def counts(result) -> tuple[int, int, int]:
    """(created, updated, unchanged) of an import's --json report."""
    assert result.code == 0, result.err
    report = json.loads(result.out)
    return report["created"], report["updated"], report["unchanged"]


def ids(result) -> list[str]:
    assert result.code == 0, result.err
    return [row["id"] for row in json.loads(result.out)]


# -- import ----------------------------------------------------------------

@pytest.mark.parametrize("name", list(EXAMPLE_IDS))
def test_import_each_format(unlocked, imi, examples, name):
    result = imi("--json", "authority", "import", examples / name)
    assert result.code == 0, result.err
    created = len(EXAMPLE_IDS[name])
    report = json.loads(result.out)
    assert {k: report[k] for k in ("created", "updated", "unchanged", "left_out", "dry_run")} == \
        {"created": created, "updated": 0, "unchanged": 0, "left_out": 0, "dry_run": False}
    assert sorted(report["ids"]["created"]) == sorted(EXAMPLE_IDS[name])
    assert ids(imi("authority", "search", "--json", "--limit", "100")) == sorted(EXAMPLE_IDS[name])


def test_import_says_what_it_did(unlocked, imi, examples):
    result = imi("authority", "import", examples / "authorities.csv")
    assert result.err == ("Imported authorities: 5 created, 0 updated, 0 unchanged\n"
                          "Created: HU-NCO, HU-MEK, IE-NCO, IE-RIAI, DE-BAK\n")
    again = imi("authority", "import", examples / "authorities.csv")
    assert again.err == ("Imported authorities: 0 created, 0 updated, 5 unchanged (nothing to change)\n"
                         "Unchanged: HU-NCO, HU-MEK, IE-NCO, IE-RIAI, DE-BAK\n")


def test_a_second_import_changes_nothing(loaded, imi, examples, event_count):
    events = event_count(loaded)
    for name, expected in EXAMPLE_IDS.items():
        result = imi("authority", "import", examples / name, "--json")
        assert counts(result) == (0, 0, len(expected))
    assert event_count(loaded) == events


def test_an_import_updates_what_changed(loaded, imi, examples, tmp_path, event_count):
    events = event_count(loaded)
    changed = tmp_path / "changed.csv"
    changed.write_text((examples / "authorities.csv").read_text(encoding="utf-8")
                       .replace("info@example.hu", "kamara@example.hu"), encoding="utf-8")
    result = imi("--json", "authority", "import", changed)
    assert counts(result) == (0, 1, 4)
    assert json.loads(result.out)["ids"]["updated"] == ["HU-MEK"]
    assert event_count(loaded) == events + 1
    assert json.loads(imi("--json", "authority", "show", "HU-MEK").out)["email"] == "kamara@example.hu"


def test_dry_run_writes_nothing(unlocked, imi, examples, event_count):
    result = imi("authority", "import", "--dry-run", "--json", examples / "authorities.csv")
    assert counts(result) == (5, 0, 0) and json.loads(result.out)["dry_run"] is True
    assert imi("authority", "import", "--dry-run", examples / "authorities.csv").err == \
        "Would import authorities: 5 created, 0 updated, 0 unchanged\nWould create: HU-NCO, HU-MEK, IE-NCO, " \
        "IE-RIAI, DE-BAK\n"
    assert event_count(unlocked) == 0


def test_yaml_keeps_norwegian_as_a_language(loaded, imi):
    record = json.loads(imi("authority", "show", "NO-DSB", "--json").out)
    assert record["country"] == "NO" and record["languages"] == ["no", "en"]
    assert record["names"]["no"] == "Direktoratet for samfunnssikkerhet og beredskap"


def test_greece_is_stored_as_el(loaded, imi):
    assert json.loads(imi("--json", "authority", "show", "EL-HCAA").out)["country"] == "EL"


def test_csv_record_in_normal_form(loaded, imi):
    record = json.loads(imi("--json", "authority", "show", "HU-MEK").out)
    assert record == {
        "id": "HU-MEK", "kind": "authority", "country": "HU",
        "names": {"en": "Hungarian Chamber of Architects", "hu": "Magyar Építész Kamara"},
        "languages": ["hu", "en"],
        "areas": {"professional-qualifications": ["architect", "építész"]},
        "email": "info@example.hu", "coordinator": "HU-NCO"}


# -- bad input: exit 5, every problem named, nothing changed -----------------

ROW = "A1,HU,Hivatal,hu,services,,a@example.hu\n"
BAD_ROWS = [
    ("unknown country", "A1,XX,Hivatal,hu,services,,a@example.hu\n",
     ["{f}:2: [country] 'XX' is not an IMI country (EU-27, IS, LI, NO, EU for the Commission; codes like HU)"]),
    ("unknown language", "A1,HU,Hivatal,hu;xx,services,,a@example.hu\n",
     ["{f}:2: [languages] 'xx' is not an IMI language code"]),
    ("unknown first language, said once", "A1,HU,Hivatal,xx;hu,services,,a@example.hu\n",
     ["{f}:2: [languages] 'xx' is not an IMI language code"]),
    ("unknown area", "A1,HU,Hivatal,hu,services;nope,,a@example.hu\n",
     ["{f}:2: [areas] 'nope' is not a legislative area (see `imi area list`)"]),
    ("malformed e-mail", "A1,HU,Hivatal,hu,services,,a@example\n",
     ["{f}:2: [email] is not a valid e-mail address"]),
    ("duplicate id", ROW + "B1,HU,Más,hu,services,,b@example.hu\n" + ROW,
     ["{f}:4: [id] duplicate id 'A1' (first at {f}:2)"]),
    ("several problems at once", "A1,XX,Hivatal,hu,services,,a@example.hu\n"
     "A2,HU,Hivatal,hu,services,,not an address\n",
     ["{f}:2: [country] 'XX' is not an IMI country (EU-27, IS, LI, NO, EU for the Commission; codes like HU)",
      "{f}:3: [email] is not a valid e-mail address"]),
]


@pytest.mark.parametrize("case, rows, problems", BAD_ROWS, ids=[c[0] for c in BAD_ROWS])
def test_bad_rows(loaded, imi, tmp_path, event_count, case, rows, problems):
    events = event_count(loaded)
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + rows, encoding="utf-8")
    result = imi("authority", "import", bad)
    assert result.code == 5
    listed = [p.format(f=bad) for p in problems]
    problems = "1 problem" if len(listed) == 1 else f"{len(listed)} problems"
    assert result.err == (f"imi: error: {bad}: {problems}; nothing was imported\n"
                          + "".join(f"  {p}\n" for p in listed))
    assert "Traceback" not in result.err + result.out
    assert event_count(loaded) == events


HINT = ("  hint: columns: id, country, name, languages, areas, competences, email, kind, phone, "
        "address, website, coordinator, requires_approval, deactivated, and name:xx for other languages; "
        "--delimiter to read with another delimiter\n")
BAD_FILES = [
    ("missing column", "bad.csv", b"id,country,name,languages,areas\nA1,HU,H,hu,services\n",
     "imi: error: {f}: the header is not right (read with ',' between cells)\n  {f}:1: [email] missing column\n"
     + HINT),
    ("unknown column", "bad.csv", HEADER.replace("\n", ",colour\n").encode() + ROW.replace("\n", ",red\n").encode(),
     "imi: error: {f}: the header is not right (read with ',' between cells)\n"
     "  {f}:1: [colour] unknown column\n" + HINT),
    ("empty file", "bad.csv", b"", "imi: error: {f}: the file is empty\n"),
    ("blank file", "bad.yaml", b"\n  \n", "imi: error: {f}: the file is empty\n"),
    ("header only", "bad.csv", HEADER.encode(), "imi: error: {f}: the file has a header but no rows\n"),
    ("not UTF-8", "bad.csv", HEADER.encode() + "A1,HU,Kék Hivatal,hu,services,,a@example.hu\n".encode("latin-1"),
     "imi: error: {f}:2: the file is not UTF-8 (byte 58)\n"
     "  hint: it looks like cp1250, in which the word there reads 'Kék'; if so, run again with --encoding cp1250\n"),
    ("truncated YAML", "bad.yaml", b"authorities:\n  - id: A1\n    country: HU\n    names: {hu: \"Hiv\n",
     "imi: error: {f}:5:1: not valid YAML: found unexpected end of stream\n"),
    ("duplicate YAML key", "bad.yaml", b"authorities:\n  - id: A1\n    country: HU\n    country: AT\n",
     "imi: error: {f}:4:5: not valid YAML: duplicate key 'country'\n"),
    ("malformed JSON", "bad.json", b'[{"id": "A1",\n  "country": "HU"\n',
     "imi: error: {f}:3:1: not valid JSON: Expecting ',' delimiter\n"),
    ("JSON not a list", "bad.json", b'{"id": "A1"}', 'imi: error: {f}: expected a list of records '
     '(or {{"authorities": [...]}})\n'),
]


@pytest.mark.parametrize("case, name, data, expected", BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_bad_files(loaded, imi, tmp_path, event_count, case, name, data, expected):
    events = event_count(loaded)
    bad = tmp_path / name
    bad.write_bytes(data)
    result = imi("authority", "import", bad)
    assert result.code == 5
    assert result.err == expected.format(f=bad)
    assert event_count(loaded) == events


def test_yaml_problems_name_the_line(loaded, imi, tmp_path, event_count):
    events = event_count(loaded)
    bad = tmp_path / "bad.yaml"
    bad.write_text("authorities:\n"
                   "  - id: A1\n    country: HU\n    names: {hu: Hivatal}\n"
                   "    languages: [hu]\n    areas: {services: []}\n    email: a@example.hu\n"
                   "  - id: A2\n    country: ZZ\n    names: {hu: Hivatal}\n"
                   "    languages: [hu]\n    areas: {services: []}\n    email: a@example.hu\n"
                   "  - id: A1\n    country: HU\n    names: {hu: Hivatal}\n"
                   "    languages: [hu]\n    areas: {servicez: []}\n    email: a@example.hu\n",
                   encoding="utf-8")
    result = imi("authority", "import", bad)
    assert result.code == 5
    assert result.err == (f"imi: error: {bad}: 3 problems; nothing was imported\n"
                          f"  {bad}:8: [country] 'ZZ' is not an IMI country "
                          "(EU-27, IS, LI, NO, EU for the Commission; codes like HU)\n"
                          f"  {bad}:14: [areas] 'servicez' is not a legislative area (see `imi area list`)\n"
                          f"  {bad}:14: [id] duplicate id 'A1' (first at {bad}:2)\n")
    assert event_count(loaded) == events


def test_json_problems_name_the_line_of_their_record(loaded, imi, tmp_path):
    good = {"id": "A1", "country": "HU", "names": {"hu": "H"}, "languages": ["hu"],
            "areas": ["services"], "email": "a@example.hu"}
    bad = tmp_path / "bad.json"
    records = [good, {**good, "id": "A2", "colour": "red"}]
    bad.write_text(json.dumps({"authorities": records}, indent=2))
    line = bad.read_text().splitlines().index("    {", 3) + 1  # where the second record starts
    assert line > 10
    result = imi("authority", "import", bad)
    assert result.code == 5
    assert f"  {bad}:{line}: [colour] unknown field\n" in result.err
    twice = tmp_path / "twice.json"
    twice.write_text('[\n' + json.dumps(good) + ',\n{"id": "A2", "id": "A3"}\n]\n')
    result = imi("authority", "import", twice)
    assert result.code == 5
    assert f"{twice}:3: the key 'id' appears twice in one record" in result.err
    assert imi("authority", "show", "A1").code == 4  # nothing was imported


def test_unknown_format(unlocked, imi, tmp_path):
    odd = tmp_path / "list.txt"
    odd.write_text("x")
    result = imi("authority", "import", odd)
    assert result.code == 2
    assert result.err == (f"imi: error: {odd}: cannot tell the format from the extension '.txt'\n"
                          "  hint: name the file .csv, .yaml or .json, or pass --format\n")


def test_a_file_that_does_not_exist(unlocked, imi, tmp_path):
    result = imi("authority", "import", tmp_path / "none.csv")
    assert result.code == 4 and result.err == f"imi: error: {tmp_path / 'none.csv'}: no such file\n"


# -- register and show --------------------------------------------------------

def test_register_one_then_show(loaded, imi):
    result = imi("authority", "register", "--id", "HU-EPK", "--country", "hu",
                 "--name", "hu=Budapesti Építész Kamara", "--name", "en=Budapest Chamber of Architects",
                 "--languages", "hu;en", "--areas", "professional-qualifications",
                 "--competences", "építész", "--email", "EPK@example.hu", "--coordinator", "HU-NCO")
    assert result.code == 0, result.err
    assert result.err == "Imported authority: 1 created, 0 updated, 0 unchanged\n"
    record = json.loads(imi("authority", "show", "HU-EPK", "--json").out)
    assert record["country"] == "HU" and record["email"] == "epk@example.hu"
    assert record["areas"] == {"professional-qualifications": ["építész"]}


def test_register_needs_an_existing_coordinator(loaded, imi):
    result = imi("authority", "register", "--id", "X1", "--country", "HU", "--name", "hu=X",
                 "--languages", "hu", "--areas", "services", "--email", "x@example.hu",
                 "--coordinator", "HU-MEK")
    assert result.code == 5
    assert "  --id X1: [coordinator] 'HU-MEK' is not a coordinator\n" in result.err


def test_show_in_the_viewers_language(loaded, imi):
    result = imi("--lang", "hu", "authority", "show", "HU-MEK")
    assert result.code == 0
    assert f"{word('hu', 'name')}\tMagyar Építész Kamara [hu]\n" in result.out
    assert f"{word('hu', 'country')}\tMagyarország (HU)\n" in result.out


def test_show_an_unknown_authority(loaded, imi):
    result = imi("authority", "show", "XX-NONE")
    assert result.code == 4
    assert result.err == ("imi: error: no authority 'XX-NONE' in this store\n"
                          "  hint: `imi authority search TEXT` finds authorities\n")


# -- search -------------------------------------------------------------------

def test_search_without_diacritics_or_case(loaded, imi):
    assert ids(imi("--json", "authority", "search", "epitesz")) == ["HU-MEK"]
    assert ids(imi("--json", "authority", "search", "ÉPÍTÉSZ KAMARA")) == ["HU-MEK"]
    assert ids(imi("--json", "authority", "search", "głowny urzad")) == ["PL-GUNB"]  # ó folds; ł does not (see below)


@pytest.mark.parametrize("text, expected", [("glowny urzad", "PL-GUNB"), ("συμβασεων", "EL-HCAA"),
                                            ("Awtorita Maltija ghall", "MT-MCCAA")])
def test_search_folds_every_script(loaded, imi, text, expected):
    assert ids(imi("--json", "authority", "search", text)) == [expected]


def test_search_by_prefix(loaded, imi):
    assert ids(imi("--json", "authority", "search", "kama")) == ["HU-MEK"]
    assert ids(imi("--json", "authority", "search", "samfunns")) == ["NO-DSB"]


def test_search_in_other_scripts(loaded, imi):
    assert ids(imi("--json", "authority", "search", "Συμβάσεων")) == ["EL-HCAA"]
    assert ids(imi("--json", "authority", "search", "ΣΥΜΒΆΣΕΩΝ")) == ["EL-HCAA"]


def test_search_ranks_names_above_competences(unlocked, imi, tmp_path):
    ranked = tmp_path / "ranked.csv"
    ranked.write_text(HEADER +
                      "R1,HU,Első Hivatal,hu,services,services:gyógyszerész,a@example.hu\n"
                      "R2,HU,Gyógyszerész Kamara,hu,services,,b@example.hu\n"
                      "R3,HU,Harmadik Hivatal,hu,services,,c@example.hu\n", encoding="utf-8")
    assert imi("authority", "import", ranked).code == 0
    assert ids(imi("--json", "authority", "search", "gyogyszeresz")) == ["R2", "R1"]


@pytest.mark.parametrize("args, expected", [
    (["--country", "HU"], ["HU-MEK", "HU-NCO"]),
    (["--country", "el"], ["EL-HCAA"]),
    (["--area", "euro-cash-in-transit"], ["FR-BDF"]),
    (["--competence", "architect"], ["DE-BAK", "HU-MEK", "IE-RIAI"]),
    (["--competence", "építész"], ["HU-MEK"]),
    (["--language", "ga"], ["IE-NCO", "IE-RIAI"]),
    (["archit", "--country", "IE"], ["IE-RIAI"]),
    (["--area", "services", "--language", "mt"], ["MT-MCCAA"]),
    (["--competence", "consumer", "--country", "HU"], []),
])
def test_search_filters(loaded, imi, args, expected):
    assert sorted(ids(imi("--json", "authority", "search", *args))) == expected


def test_search_limit(loaded, imi):
    assert len(ids(imi("--json", "authority", "search", "--limit", "3"))) == 3


def test_search_shows_the_name_in_the_viewers_language(loaded, imi):
    def name(lang: str) -> tuple[str, str]:
        row = json.loads(imi("--json", "--lang", lang, "authority", "search", "epitesz").out)[0]
        return row["name"], row["name_lang"]

    assert name("hu") == ("Magyar Építész Kamara", "hu")
    assert name("en") == ("Hungarian Chamber of Architects", "en")
    assert name("de") == ("Magyar Építész Kamara", "hu")  # no German name: its first working language


def test_search_language_from_the_locale(loaded, imi, monkeypatch):
    monkeypatch.setenv("LANG", "hu_HU.UTF-8")
    assert json.loads(imi("--json", "authority", "search", "epitesz").out)[0]["name"] == "Magyar Építész Kamara"


def test_search_table_when_not_json(loaded, imi):
    result = imi("--lang", "hu", "authority", "search", "epitesz")
    assert result.out == "id\tcountry\tname\tareas\tlanguages\n" \
        "HU-MEK\tHU\tMagyar Építész Kamara\tprofessional-qualifications\thu, en\n"


def test_search_nothing_found(loaded, imi):
    result = imi("authority", "search", "zzzzqqq")
    # a script still reads the header line: the columns there would be
    assert result.code == 0 and result.out == "id\tcountry\tname\tareas\tlanguages\n"
    assert result.err == "No authority matches.\n"
    assert json.loads(imi("authority", "search", "zzzzqqq", "--json").out) == []


def test_search_text_is_never_fts_syntax(loaded, imi):
    """FTS5 operators in the text are taken as text: only the words count, each a prefix."""
    def search(text):
        return ids(imi("--json", "authority", "search", "--", text))

    everything = ids(imi("--json", "authority", "search"))
    assert len(everything) > 1
    for text in ['"', "*", "-", "^", "(", ":"]:  # no word: as if no text was given
        assert search(text) == everything, text
    assert search("epitesz") == ["HU-MEK"]
    for text in ['"epitesz', "epitesz*", "-epitesz", "^epitesz", "(epitesz", "epitesz)", ":epitesz"]:
        assert search(text) == ["HU-MEK"], text
    # operators are words like any other: required, and matching nothing here
    for text in ["NEAR(epitesz", "epitesz OR x", "names:epitesz", "epitesz NOT", "NEAR(", "a OR", "names:x"]:
        assert search(text) == [], text


def test_json_before_or_after_the_subcommand(loaded, imi):
    before = imi("--json", "authority", "search", "epitesz")
    after = imi("authority", "search", "epitesz", "--json")
    assert before.code == after.code == 0 and before.out == after.out
    assert json.loads(after.out)[0]["id"] == "HU-MEK"


def test_search_bad_filters(loaded, imi):
    result = imi("authority", "search", "--country", "XX", "--area", "nope", "--language", "xx")
    assert result.code == 2  # bad option values: a usage error, every one reported
    assert result.err == ("imi: error: the search filters are not right\n"
                          "  --country: 'XX' is not an IMI country\n"
                          "  --area: 'nope' is not a legislative area\n"
                          "  --language: 'xx' is not an IMI language code\n")


# -- export and re-import -------------------------------------------------------

@pytest.mark.parametrize("fmt", ["json", "yaml", "csv"])
def test_export_then_import_into_a_fresh_store(loaded, imi, tmp_path, fmt, template, monkeypatch):
    from imi_cli.log.unlock import cache_key

    out = tmp_path / f"export.{fmt}"
    result = imi("authority", "export", "--format", fmt, "-o", out)
    assert result.code == 0 and result.err == f"Wrote {out}\n"
    original = json.loads(imi("authority", "export").out)
    assert [r["id"] for r in original] == sorted(sum(EXAMPLE_IDS.values(), []))
    fresh = tmp_path / "fresh.db"
    fresh.write_bytes(template.path.read_bytes())
    cache_key(fresh, template.key, 60)
    monkeypatch.setenv("IMI_STORE", str(fresh))
    result = imi("--json", "authority", "import", out)
    assert result.code == 0, result.err
    assert json.loads(result.out)["created"] == len(original)
    assert json.loads(imi("authority", "export").out) == original
    assert json.loads(imi("--json", "--store", loaded, "authority", "import", out).out)["unchanged"] == len(original)


def test_export_to_stdout_is_importable_json(loaded, imi):
    result = imi("authority", "export")
    assert result.code == 0 and isinstance(json.loads(result.out), list)
