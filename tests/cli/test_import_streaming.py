"""`imi authority import` as a stream (``imi_cli.directory.importing``, ``imi_cli.bulk``): the
file is read and written a chunk at a time, and still all or nothing; and authority search,
which ranks only what is cheap to rank (``imi_cli.directory.search``)."""

from __future__ import annotations

import csv
import io
import json
import random
from pathlib import Path

import pytest

from imi_cli.directory import importing, search
from imi_cli.directory.authorities import Directory
from imi_cli.log.store import Store

HEADER = "id,country,name,languages,areas,competences,email,coordinator,kind\n"
WORDS = ["Kamara", "Kammer", "Komora", "Hivatal", "Chamber", "Camera", "Office", "Board"]


def row(i: int, *, email: str | None = None, coordinator: str = "", kind: str = "",
        name: str | None = None) -> str:
    name = name or f"{WORDS[i % len(WORDS)]} {WORDS[(i * 7) % len(WORDS)]} Nr{i}"
    return (f"A-{i:05d},HU,{name},hu,services,services:architect,{email or f'a{i}@example.hu'},"
            f"{coordinator},{kind}\n")


def write(path: Path, lines: list[str]) -> Path:
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    return path


def stored(path: Path) -> dict[str, dict]:
    """Every authority record of the store at ``path`` (opened with the cached key)."""
    from imi_cli.log.unlock import cached_key

    store = Store.open(path, cached_key(path))
    try:
        return {ident: json.loads(record) for ident, record in store.query("SELECT id, record FROM authorities")}
    finally:
        store.close()


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 7 records, so that a file of a few dozen rows spans many."""
    monkeypatch.setattr(importing, "CHUNK", 7)


def test_an_error_on_the_last_row_changes_nothing(unlocked, imi, tmp_path, small_chunks):
    first = write(tmp_path / "first.csv", [row(i) for i in range(10)])
    assert imi("authority", "import", first).code == 0
    before = stored(unlocked)
    lines = [row(i, name=f"Renamed {i}") for i in range(60)] + [row(60, email="not an address")]
    result = imi("authority", "import", write(tmp_path / "big.csv", lines))
    assert result.code != 0
    assert f"big.csv:{len(lines) + 1}" in result.err and "email" in result.err
    assert "nothing was imported" in result.err
    assert stored(unlocked) == before  # 60 rows checked and written in chunks, then all undone


def test_duplicates_across_chunks_are_found(unlocked, imi, tmp_path, small_chunks):
    lines = [row(i) for i in range(40)] + [row(3, name="Again")]
    result = imi("authority", "import", write(tmp_path / "dup.csv", lines))
    assert result.code != 0
    assert "duplicate id 'A-00003' (first at " in result.err and "dup.csv:5)" in result.err
    assert stored(unlocked) == {}


def test_every_problem_of_a_long_file_is_reported_in_file_order(unlocked, imi, tmp_path, small_chunks):
    lines = [row(i, email="bad" if i % 10 == 9 else None) for i in range(50)]
    lines.append(row(50, coordinator="A-00051"))  # a link forward, to a plain authority
    lines.append(row(51))
    lines.append(row(52, coordinator="NOBODY"))
    result = imi("--json", "authority", "import", "--all-problems", write(tmp_path / "bad.csv", lines))
    assert result.code != 0
    problems = json.loads(result.out)["error"]["problems"] if result.out else None
    text = result.err if problems is None else json.dumps(problems)
    places = [f"bad.csv:{i + 2}" for i in range(9, 50, 10)] + ["bad.csv:52", "bad.csv:54"]
    at = [text.index(place) for place in places]
    assert at == sorted(at)  # the records' own problems first, then the links, each in file order
    assert "is not a coordinator" in text and "no authority 'NOBODY'" in text
    assert stored(unlocked) == {}


def test_a_link_to_a_coordinator_later_in_the_file_is_fine(unlocked, imi, tmp_path, small_chunks):
    lines = [row(i, coordinator="A-00030") for i in range(30)] + [row(30, kind="area_coordinator")]
    result = imi("--json", "authority", "import", write(tmp_path / "links.csv", lines))
    assert result.code == 0, result.err
    assert stored(unlocked)["A-00000"]["coordinator"] == "A-00030"


def test_small_chunks_import_what_one_chunk_imports(tmp_path, monkeypatch):
    """Created, updated, unchanged, left out, deactivated, and the records: the same however
    the file is cut."""
    results = []
    for chunk in (100_000, 3):
        monkeypatch.setattr(importing, "CHUNK", chunk)
        store = Store.create(tmp_path / f"s{chunk}.db", "a passphrase")
        directory = Directory(store)
        directory.import_authorities(write(tmp_path / "a.csv", [row(i) for i in range(20)]))
        lines = [row(i, name=f"New {i}" if i % 3 == 0 else None) for i in range(5, 26)]
        dry = directory.import_authorities(write(tmp_path / "b.csv", lines), dry_run=True, prune=True)
        report = directory.import_authorities(write(tmp_path / "b.csv", lines), prune=True)
        records = {ident: json.loads(record) for ident, record in store.query("SELECT id, record FROM authorities")}
        results.append((dry.as_dict(), report.as_dict(), records, store.query("SELECT count(*) FROM events")))
        store.close()
    assert results[0] == results[1]
    dry, report, records, _events = results[1]
    assert dry["dry_run"] and report["created"] == 6 and report["updated"] == 5 and report["unchanged"] == 10
    assert report["ids"]["left_out"] == [f"A-{i:05d}" for i in range(5)] == report["ids"]["deactivated"]
    assert records["A-00000"]["deactivated"] is True


def test_a_dry_run_of_a_long_file_writes_nothing(unlocked, imi, tmp_path, small_chunks):
    result = imi("--json", "authority", "import", "--dry-run", write(tmp_path / "a.csv", [row(i) for i in range(30)]))
    assert json.loads(result.out)["created"] == 30
    assert stored(unlocked) == {}


# -- reading in pieces ------------------------------------------------------

def test_a_file_read_in_tiny_pieces_reads_as_a_whole(tmp_path, monkeypatch):
    from imi_cli.bulk import decoding
    from imi_cli.bulk.readers import read_records
    from imi_cli.directory.authorities import AUTHORITY_COLUMNS

    text = ("\ufeffid;country;name;languages;areas;email\r\n"
            "HU-1;HU;\"Győri\r\nÉpítész; Kamara\";hu;services;a@example.hu\r\n"
            "\r\n"
            "EL-2;EL;Επιτροπή Συμβάσεων;el;services;b@example.gr\r"
            "PL-3;PL;Główny Urząd;pl;services;c@example.pl\n")
    text += "".join(f"X-{i};HU;\"Győr\r\n{i}\";hu;services;x{i}@example.hu\r" for i in range(150))  # past 4 KiB
    path = tmp_path / "mixed.csv"
    path.write_bytes(text.encode("utf-8"))
    whole = read_records(path, None, columns=AUTHORITY_COLUMNS, list_key="authorities")
    for piece in (1, 2, 3, 5, 64):
        monkeypatch.setattr(decoding, "PIECE", piece)
        assert read_records(path, None, columns=AUTHORITY_COLUMNS, list_key="authorities") == whole
    reader = csv.DictReader(io.StringIO(text[1:], newline=""), delimiter=";")  # as the file was read whole
    assert reader.fieldnames
    rows = []
    while (line := reader.line_num + 1) and (record := next(reader, None)) is not None:
        rows.append((f"{path}:{line}", record))
    assert whole == rows and len(rows) == 153
    assert whole[0][1]["name"] == "Győri\r\nÉpítész; Kamara"
    path.write_bytes(text[1:].encode("utf-16"))  # Excel's "Unicode text": a byte-order mark, then UTF-16
    assert read_records(path, None, columns=AUTHORITY_COLUMNS, list_key="authorities") == whole


def test_a_bad_byte_late_in_a_file_is_reported_as_before(unlocked, imi, tmp_path, monkeypatch):
    from imi_cli.bulk import decoding

    monkeypatch.setattr(decoding, "PIECE", 16)
    lines = [row(i) for i in range(20)] + ["A-99999,HU,Győr,hu,services,,x@example.hu,,\n"]
    path = tmp_path / "latin2.csv"
    path.write_bytes((HEADER + "".join(lines)).encode("cp1250"))
    result = imi("authority", "import", path)
    assert result.code != 0
    assert f"latin2.csv:{len(lines) + 1}: the file is not UTF-8" in result.err
    assert stored(unlocked) == {}


def test_an_empty_file_is_still_an_empty_file(unlocked, imi, tmp_path):
    path = tmp_path / "blank.csv"
    path.write_text("  \n\n  ", encoding="utf-8")
    assert "the file is empty" in imi("authority", "import", path).err


# -- search -------------------------------------------------------------------

@pytest.fixture(scope="module")
def directory(tmp_path_factory):
    """600 authorities whose names share a few words: common terms and rare ones."""
    rng = random.Random(17)
    store = Store.create(tmp_path_factory.mktemp("search") / "s.db", "a passphrase")
    rows = []
    for i in range(600):
        words = [rng.choice(WORDS) for _ in range(rng.randint(1, 3))] + [f"Unique{i}"]
        rows.append((f"row {i}", {"id": f"S-{i:04d}", "country": rng.choice(["HU", "DE", "FR"]),
                                  "name": " ".join(words), "languages": "en",
                                  "areas": rng.choice(["services", "services;public-procurement"]),
                                  "competences": rng.choice(["architect", "doctor", "nurse"]),
                                  "email": f"s{i}@example.eu"}))
    Directory(store).register_authorities(rows)
    yield store
    store.close()


def ranked_by_bm25(conn, text: str | None, competence: str | None = None, country: str | None = None,
                   limit: int = 20) -> list[str]:
    """What search ranked before: every match by bm25, then id."""
    match = search.match_expression(text, competence)
    if country:
        match = f'{match} AND filters : "{search.filter_token("country", country)}"'
    match = f'({match}) NOT filters : "{search.DEACTIVATED}"'
    return [ident for ident, _ in conn.execute(
        "SELECT a.id, f.rank FROM authority_fts f JOIN authorities a ON a.rowid = f.rowid "
        "WHERE authority_fts MATCH ? ORDER BY f.rank, a.id LIMIT ?", (match, limit))]


@pytest.mark.parametrize("text, competence, country", [
    ("Unique17", None, None), ("unique1", None, None), ("Kamara Unique5", None, None),
    ("unique2", "architect", None), ("unique3", None, "HU"), ("Kammer", None, None), ("Komora Office", None, "DE"),
])
def test_a_query_with_rare_enough_terms_is_ranked_as_before(directory, text, competence, country):
    got = [ident for ident, _ in search.search_ids(directory.conn, text, competence=competence, country=country)]
    assert got == ranked_by_bm25(directory.conn, text, competence, country)


def test_a_query_with_a_common_term_takes_whole_words_in_names_first(directory, monkeypatch):
    monkeypatch.setattr(search, "RANKED", 10)  # as "Kammer" among 300,000
    everything = set(ranked_by_bm25(directory.conn, "kam", limit=1000))
    for text in ("k", "ka", "kam", "kammer"):
        got = [ident for ident, _ in search.search_ids(directory.conn, text)]
        assert len(got) == 20 and len(set(got)) == 20 and set(got) <= set(ranked_by_bm25(directory.conn, text,
                                                                                            limit=1000))
    whole = [ident for ident, score in search.search_ids(directory.conn, "kammer") if score == 0.0]
    assert len(whole) == 20 and set(whole) <= everything
    assert all("Kammer" in Directory(directory).get(ident)["names"]["en"].split() for ident in whole)
    by_competence = search.search_ids(directory.conn, None, competence="doctor", country="HU")
    assert len(by_competence) == 20
    assert all(Directory(directory).get(i)["country"] == "HU" for i, _ in by_competence)


def test_a_listing_by_filters_is_in_id_order(directory, monkeypatch):
    hu = sorted(i for (i,) in directory.query("SELECT id FROM authorities WHERE country = 'HU'"))
    assert [i for i, _ in search.search_ids(directory.conn, None, country="HU")] == hu[:20]
    monkeypatch.setattr(search, "SORTED", 10)  # more pass than are sorted: the first of the index, by id
    listed = [i for i, _ in search.search_ids(directory.conn, None, country="HU")]
    assert listed == sorted(listed) and set(listed) <= set(hu) and len(listed) == 20
