"""Bulk files as coordinators have them: Excel's ';'-separated CSV in the Windows code page of
its language (cp1250 in Hungary), UTF-8 with a byte-order mark, Excel's "Unicode text" (UTF-16,
tab-separated); a long list of problems capped; ids in ASCII said clearly; Greece as EL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

# Excel in Hungary: "CSV (pontosvesszővel tagolt)" -- ';' between cells, cp1250, CRLF; a list
# typed in a cell as hu,en; one with ';' inside is quoted by Excel
EXCEL_HU = ("id;country;name;name:en;languages;areas;competences;email\r\n"
            "HU-GYOR;HU;Győri Építész Kamara;Chamber of Győr;hu,en;professional-qualifications;"
            "építész;gyor@example.hu\r\n"
            "HU-SZEGED;HU;Szegedi Műszaki Hivatal;;\"hu;en\";professional-qualifications;"
            "\"építész;műemlékvédelem\";szeged@example.hu\r\n")


def tabbed() -> str:
    """EXCEL_HU as Excel's "Unicode text" has it: tabs between cells, lists unquoted."""
    return EXCEL_HU.replace('"hu;en"', "hu;en").replace('"építész;műemlékvédelem"', "építész;műemlékvédelem") \
        .replace(";", "\t").replace("hu\ten", "hu;en").replace("építész\tműemlékvédelem", "építész;műemlékvédelem")


def authority(imi, ident: str) -> dict:
    result = imi("--json", "authority", "show", ident)
    assert result.code == 0, result.err
    return json.loads(result.out)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# -- delimiter and encoding ---------------------------------------------------

def test_excel_semicolon_csv_in_cp1250_is_refused_with_the_encoding_to_use(unlocked, imi, tmp_path, event_count):
    path = write(tmp_path, "hatosagok.csv", EXCEL_HU.encode("cp1250"))
    events = event_count(unlocked)
    result = imi("authority", "import", path)
    assert result.code == 5
    byte = EXCEL_HU.encode("cp1250").index("ő".encode("cp1250")) + 1
    assert result.err == (f"imi: error: {path}:2: the file is not UTF-8 (byte {byte})\n"
                          "  hint: it looks like cp1250, in which the word there reads 'Győri'; if so, run again "
                          "with --encoding cp1250\n")
    assert event_count(unlocked) == events


def test_excel_semicolon_csv_in_cp1250_imports_with_encoding(unlocked, imi, tmp_path):
    path = write(tmp_path, "hatosagok.csv", EXCEL_HU.encode("cp1250"))
    result = imi("authority", "import", path, "--encoding", "cp1250")
    assert result.code == 0, result.err
    assert result.err == "Imported authorities: 2 created, 0 updated, 0 unchanged\nCreated: HU-GYOR, HU-SZEGED\n"
    gyor, szeged = authority(imi, "HU-GYOR"), authority(imi, "HU-SZEGED")
    assert gyor["names"] == {"hu": "Győri Építész Kamara", "en": "Chamber of Győr"}
    assert gyor["languages"] == szeged["languages"] == ["hu", "en"]  # hu,en typed; "hu;en" quoted
    assert szeged["names"] == {"hu": "Szegedi Műszaki Hivatal"}
    assert szeged["areas"] == {"professional-qualifications": ["építész", "műemlékvédelem"]}


def test_utf8_with_a_byte_order_mark_and_semicolons(unlocked, imi, tmp_path):
    path = write(tmp_path, "a.csv", b"\xef\xbb\xbf" + EXCEL_HU.encode("utf-8"))
    assert imi("authority", "import", path).code == 0
    assert authority(imi, "HU-GYOR")["names"]["hu"] == "Győri Építész Kamara"


def test_excel_unicode_text_utf16_with_tabs(unlocked, imi, tmp_path):
    path = write(tmp_path, "a.csv", tabbed().encode("utf-16"))  # with its byte-order mark, as Excel saves
    result = imi("authority", "import", path)
    assert result.code == 0, result.err
    assert authority(imi, "HU-SZEGED")["areas"] == {"professional-qualifications": ["építész", "műemlékvédelem"]}


def test_delimiter_forced_and_a_wrong_one_says_what_it_read(unlocked, imi, tmp_path, event_count):
    path = write(tmp_path, "a.csv", EXCEL_HU.encode("utf-8"))
    events = event_count(unlocked)
    wrong = imi("authority", "import", path, "--delimiter", ",")
    assert wrong.code == 5
    assert wrong.err.startswith(f"imi: error: {path}: the header is not right (read with ',' between cells)\n")
    assert "--delimiter to read with another delimiter" in wrong.err
    assert event_count(unlocked) == events
    assert imi("authority", "import", path, "--delimiter", ";").code == 0
    tabs = write(tmp_path, "t.csv", tabbed().encode("utf-8"))
    assert imi("authority", "import", tabs, "--delimiter", "tab", "--dry-run").code == 0


def test_an_unquoted_list_in_a_semicolon_file_says_how_to_write_it(unlocked, imi, tmp_path, event_count):
    path = write(tmp_path, "a.csv", EXCEL_HU.replace('"hu;en"', "hu;en").encode("utf-8"))
    events = event_count(unlocked)
    result = imi("authority", "import", path)
    assert result.code == 5
    assert result.err == (f"imi: error: {path}:3: the row has more cells than the header has columns\n"
                          "  hint: separate the items of a list with ',' (hu,en) or put the cell in double quotes "
                          "(\"hu;en\")\n")
    assert event_count(unlocked) == events


@pytest.mark.parametrize("args, expected", [
    (["--delimiter", "ab"], "imi: error: --delimiter 'ab': give one character, e.g. ';' or ',' or tab\n"),
    (["--encoding", "klingon"], "imi: error: 'klingon' is not an encoding Python knows\n"
                                "  hint: e.g. --encoding cp1250 (Central Europe), cp1252 (Western Europe), utf-16\n"),
    (["--encoding", "rot13"], "imi: error: 'rot13' is not an encoding Python knows\n"
                              "  hint: e.g. --encoding cp1250 (Central Europe), cp1252 (Western Europe), utf-16\n"),
])
def test_bad_options_are_usage_errors(unlocked, imi, tmp_path, args, expected):
    path = write(tmp_path, "a.csv", EXCEL_HU.encode("utf-8"))
    result = imi("authority", "import", path, *args)
    assert (result.code, result.err) == (2, expected)


def test_a_file_not_in_the_encoding_given_names_line_and_byte(unlocked, imi, tmp_path):
    path = write(tmp_path, "a.csv", EXCEL_HU.encode("cp1250"))
    result = imi("authority", "import", path, "--encoding", "utf-8")
    assert result.code == 5
    byte = EXCEL_HU.encode("cp1250").index("ő".encode("cp1250")) + 1
    assert result.err.startswith(f"imi: error: {path}:2: the file is not utf-8 (byte {byte})\n"
                                 "  hint: it looks like cp1250")


def test_utf16_without_byte_order_mark(unlocked, imi, tmp_path):
    path = write(tmp_path, "a.csv", EXCEL_HU.encode("utf-16-le"))
    result = imi("authority", "import", path)
    assert result.code == 5
    assert result.err == (f"imi: error: {path}: the file holds NUL bytes: it looks like UTF-16 without a "
                          "byte-order mark\n  hint: run again with --encoding utf-16-le\n")
    assert imi("authority", "import", path, "--encoding", "utf-16-le").code == 0


@pytest.mark.parametrize("encoding, line, word", [
    ("cp1252", "DE-BAK;DE;Bundesarchitektenkammer Köln;de;services;k@example.de", "Köln"),
    ("cp1252", "FR-CNOA;FR;Ordre des architectes, Société générale;fr;services;o@example.fr", "Société"),
    ("cp1250", "PL-GUNB;PL;Główny Urząd Nadzoru Budowlanego;pl;services;g@example.pl", "Główny"),
    ("cp1250", "CZ-CKA;CZ;Česká komora architektů;cs;services;c@example.cz", "Česká"),
])
def test_the_likely_encoding_of_western_and_central_european_files(unlocked, imi, tmp_path, encoding, line, word):
    path = write(tmp_path, "a.csv", f"id;country;name;languages;areas;email\r\n{line}\r\n".encode(encoding))
    result = imi("authority", "import", path)
    assert result.code == 5
    assert f"it looks like {encoding}, in which the word there reads {word!r}; if so, run again with " \
           f"--encoding {encoding}" in result.err
    assert imi("authority", "import", path, "--encoding", encoding).code == 0


def test_user_import_reads_a_semicolon_file_with_roles_listed_with_commas(unlocked, imi, tmp_path):
    assert imi("authority", "import", write(tmp_path, "a.csv", EXCEL_HU.encode("utf-8"))).code == 0
    users = ("id;name;email;authority;roles\r\n"
             "hu.kiss;Kiss Ödön;kiss@example.hu;HU-GYOR;request_handler,allocator\r\n")
    result = imi("user", "import", write(tmp_path, "u.csv", users.encode("cp1250")), "--encoding", "cp1250")
    assert result.code == 0, result.err
    user = json.loads(imi("--json", "user", "show", "hu.kiss").out)
    assert user["name"] == "Kiss Ödön" and user["roles"] == {"*": ["request_handler", "allocator"]}


# -- a long list of problems ------------------------------------------------------

def bad_rows(tmp_path: Path, count: int) -> Path:
    rows = "".join(f"HU-BAD{n:03d};HU;Hivatal {n};hu;professional-qualifications;not-an-address\r\n"
                   for n in range(count))
    return write(tmp_path, "bad.csv", ("id;country;name;languages;areas;email\r\n" + rows).encode())


def test_problems_are_capped_at_50_with_a_count(unlocked, imi, tmp_path, event_count):
    path = bad_rows(tmp_path, 120)
    events = event_count(unlocked)
    result = imi("authority", "import", path)
    assert result.code == 5
    lines = result.err.splitlines()
    assert lines[0] == f"imi: error: {path}: 120 problems; nothing was imported"
    assert lines[1:51] == [f"  {path}:{n + 2}: [email] is not a valid e-mail address" for n in range(50)]
    assert lines[51:] == ["  … and 70 more (--all-problems to list them all)"]
    assert event_count(unlocked) == events


def test_all_problems_lists_them_all(unlocked, imi, tmp_path, event_count):
    path = bad_rows(tmp_path, 120)
    events = event_count(unlocked)
    result = imi("authority", "import", path, "--all-problems")
    assert result.code == 5
    lines = result.err.splitlines()
    assert lines[1:] == [f"  {path}:{n + 2}: [email] is not a valid e-mail address" for n in range(120)]
    assert event_count(unlocked) == events


def test_fifty_problems_are_listed_without_a_count(unlocked, imi, tmp_path):
    result = imi("authority", "import", bad_rows(tmp_path, 50))
    assert len(result.err.splitlines()) == 51 and "more" not in result.err


# -- ids ---------------------------------------------------------------------------

def test_a_non_ascii_id_is_refused_saying_ids_are_ascii(unlocked, imi, tmp_path, event_count):
    path = write(tmp_path, "a.csv", EXCEL_HU.replace("HU-GYOR", "HU-GYŐR").encode("utf-8"))
    events = event_count(unlocked)
    result = imi("authority", "import", path)
    assert result.code == 5
    assert result.err == (f"imi: error: {path}: 1 problem; nothing was imported\n"
                          f"  {path}:2: [id] 'HU-GYŐR' is not a valid id: 'Ő' is not allowed (an id is ASCII "
                          "letters without accents, digits, '.', '_' and '-')\n")
    assert event_count(unlocked) == events


# -- Greece is EL --------------------------------------------------------------------

@pytest.mark.parametrize("given", ["EL", "GR", "el", "gr"])
def test_greece_is_stored_and_shown_as_el(unlocked, imi, tmp_path, given):
    path = write(tmp_path, "el.csv", ("id;country;name;languages;areas;email\r\n"
                                      f"EL-TEE;{given};Τεχνικό Επιμελητήριο Ελλάδας;el;services;tee@example.gr\r\n"
                                      ).encode())
    assert imi("authority", "import", path).code == 0
    assert authority(imi, "EL-TEE")["country"] == "EL"
    assert "Greece (EL)" in imi("--lang", "en", "authority", "show", "EL-TEE").out
    found = imi("--json", "authority", "search", "--country", "GR")
    assert [row["country"] for row in json.loads(found.out)] == ["EL"]


def test_the_country_list_has_el_and_no_gr(imi):
    rows = json.loads(imi("--json", "--lang", "en", "country", "list").out)
    codes = [row["code"] for row in rows]
    assert "EL" in codes and "GR" not in codes
    assert {"code": "EL", "name": "Greece"} in rows
