"""The store and the directory as a Python user sees them, without the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from imi_cli.directory.authorities import Directory
from imi_cli.directory.users import Users
from imi_cli.errors import InvalidInput, NotAStore, WrongPassphrase
from imi_cli.log.store import Store, derive_key, read_salt

PASSPHRASE = "correct horse battery staple"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SECRETS = ["Magyar Építész Kamara", "Építész", "Hungarian Chamber of Architects", "info@example.hu",
           "Banque de France", "cit@example.fr", "Główny Urząd Nadzoru Budowlanego", "kontakt@example.pl",
           "Kovács Anna", "anna.kovacs@example.hu", "Jürgen Schmidt", "j.schmidt@example.de",
           "Αρχή Δημοσίων Συμβάσεων"]


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    """A store created and filled through the Python API, left open (so its -wal file is live)."""
    path = tmp_path_factory.mktemp("core") / "store.db"
    store = Store.create(path, PASSPHRASE)
    directory = Directory(store)
    for name in ("authorities.csv", "authorities.yaml", "authorities.json"):
        directory.import_authorities(EXAMPLES / name)
    for name in ("users.csv", "users.yaml", "users.json"):
        Users(store).import_file(EXAMPLES / name)
    yield store
    store.close()


def test_no_plaintext_on_disk(filled):
    wal = filled.path.with_name(filled.path.name + "-wal")
    assert wal.exists() and wal.stat().st_size > 0
    files = {p.name for p in filled.path.parent.iterdir()}
    assert files <= {"store.db", "store.db-wal", "store.db-shm"}  # no temp files beside it
    for path in (filled.path, wal):
        raw = path.read_bytes()
        for secret in SECRETS:
            for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
                assert secret.encode(encoding) not in raw, (path.name, secret)
            assert secret.lower().encode() not in raw, (path.name, secret)


def test_no_plaintext_after_checkpoint(filled):
    filled.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = filled.path.read_bytes()
    assert all(secret.encode() not in raw for secret in SECRETS)
    assert not raw.startswith(b"SQLite format 3")


def test_python_api_search(filled):
    directory = Directory(filled)
    assert directory.count() == 10
    hits = directory.search("epitesz", lang="hu")
    assert hits == [{"id": "HU-MEK", "name": "Magyar Építész Kamara", "name_lang": "hu", "country": "HU",
                     "kind": "authority", "areas": ["professional-qualifications"],
                     "languages": ["hu", "en"], "email": "info@example.hu"}]
    assert [h["id"] for h in directory.search(country="IE")] == ["IE-NCO", "IE-RIAI"]
    assert [h["id"] for h in directory.search("architect", competence="architect", country="DE")] == ["DE-BAK"]


def test_python_api_errors_are_the_core_hierarchy(filled):
    rows = [("row 1", {"id": "X1", "country": "HU", "name": "X", "languages": "hu", "areas": "services",
                       "email": "bad"})]
    with pytest.raises(InvalidInput) as caught:
        Directory(filled).register_authorities(rows)
    assert [str(p) for p in caught.value.problems] == ["row 1: [email] is not a valid e-mail address"]
    assert caught.value.exit_code == 5


def test_open_with_the_raw_key(filled):
    key = derive_key(PASSPHRASE, read_salt(filled.path))
    with Store.open(filled.path, key) as again:
        assert Directory(again).get("FR-BDF")["names"]["fr"] == "Banque de France"
    with pytest.raises(WrongPassphrase, match="^wrong passphrase for this store$"):
        Store.open(filled.path, derive_key("something else", read_salt(filled.path)))


def test_not_a_store(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"x" * 100)
    with pytest.raises(NotAStore, match=r"junk\.db is not an imi store \(not an encrypted database file\)$"):
        read_salt(junk)
    with pytest.raises(NotAStore, match="is a folder, not an imi store$"):
        read_salt(tmp_path)


def test_events_carry_what_design_lists(filled):
    import json

    body = json.loads(filled.query("SELECT body FROM events ORDER BY seq LIMIT 1")[0][0])
    assert set(body) >= {"id", "type", "actor", "at", "audience", "subject", "payload"}
    assert body["type"] == "authority.registered" and body["audience"] == ["*"]
    assert body["id"][14] == "7"  # UUIDv7
