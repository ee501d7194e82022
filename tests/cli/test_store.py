"""`imi init | unlock | lock | store status | store rebuild`, and the store's failure modes:
wrong passphrase, not a store, no store, busy beyond the timeout, two writers at once."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

from imi_cli.log.schema import PROJECTION_TABLES
from imi_cli.log.unlock import _cache_file, cache_dir

PASSPHRASE = "correct horse battery staple"  # as in tests/conftest.py


def test_init_creates_an_encrypted_user_only_store(store_path, imi):
    assert stat.S_IMODE(store_path.stat().st_mode) == 0o600
    assert not store_path.read_bytes().startswith(b"SQLite format 3")
    result = imi("store", "status", "--json")
    assert result.code == 0, result.err
    info = json.loads(result.out)
    assert info["events"] == 0 and info["authorities"] == 0 and info["schema"] >= 1


def test_init_reports_the_store_in_json(tmp_path, imi, monkeypatch):
    monkeypatch.setenv("IMI_PASSPHRASE", PASSPHRASE)
    path = tmp_path / "new.db"
    result = imi("--json", "--store", path, "init")
    assert result.code == 0, result.err
    assert json.loads(result.out) == {"store": str(path), "created": True}


def test_init_refuses_an_existing_file(store_path, imi):
    result = imi("init")
    assert result.code == 6
    assert result.err.startswith(f"imi: error: {store_path} already exists\n")


def test_init_refuses_a_short_passphrase(tmp_path, imi, monkeypatch):
    monkeypatch.setenv("IMI_PASSPHRASE", "short")
    result = imi("--store", tmp_path / "s.db", "init")
    assert result.code == 2
    assert result.err == "imi: error: the passphrase is too short: use at least 8 characters\n"
    assert not (tmp_path / "s.db").exists()


def test_wrong_passphrase_is_one_sentence_without_sqlcipher_logs(unlocked, run_imi, tmp_path):
    env = {**os.environ, "IMI_PASSPHRASE": "not the passphrase", "IMI_RUNTIME_DIR": str(tmp_path / "empty")}
    result = run_imi("store", "status", env=env)
    assert result.returncode == 3
    assert result.stderr == "imi: error: wrong passphrase for this store\n"
    assert "ERROR CORE" not in result.stderr and result.stdout == ""


def test_a_file_that_is_not_a_store(tmp_path, imi, monkeypatch):
    monkeypatch.setenv("IMI_PASSPHRASE", PASSPHRASE)
    notes = tmp_path / "notes.txt"
    notes.write_text("shopping list\n")
    result = imi("--store", notes, "store", "status")
    assert result.code == 8
    assert result.err == f"imi: error: {notes} is not an imi store (not an encrypted database file)\n"


def test_a_plain_sqlite_file_is_not_a_store(tmp_path, imi, monkeypatch):
    import sqlite3

    monkeypatch.setenv("IMI_PASSPHRASE", PASSPHRASE)
    plain = tmp_path / "plain.db"
    sqlite3.connect(plain).execute("CREATE TABLE t(x)").connection.close()
    result = imi("--store", plain, "store", "status")
    assert result.code == 8
    assert result.err == f"imi: error: {plain} is a plain (unencrypted) SQLite database, not an imi store\n"


def test_a_missing_store(tmp_path, imi, monkeypatch):
    monkeypatch.setenv("IMI_PASSPHRASE", PASSPHRASE)
    missing = tmp_path / "nowhere.db"
    result = imi("--store", missing, "authority", "search", "x")
    assert result.code == 4
    assert result.err == f"imi: error: no store at {missing}\n  hint: create one with `imi init`\n"


def test_no_passphrase_and_no_terminal(unlocked, imi, run_imi):
    assert imi("lock").code == 0
    result = run_imi("store", "status")
    assert result.returncode == 2
    assert result.stderr.startswith("imi: error: no passphrase: set IMI_PASSPHRASE or run on a terminal\n")


def test_unlock_then_lock(store_path, imi, run_imi, monkeypatch):
    result = imi("unlock")
    assert result.code == 0, result.err
    assert result.err == f"Unlocked {store_path} for 480 minutes (`imi lock` ends it)\n"
    monkeypatch.delenv("IMI_PASSPHRASE")
    works = run_imi("store", "status", "--json")  # stdin is not a terminal, no IMI_PASSPHRASE
    assert works.returncode == 0, works.stderr
    assert json.loads(works.stdout)["unlocked"] is True
    result = imi("lock")
    assert result.code == 0 and result.err == f"Locked {store_path}\n"
    fails = run_imi("store", "status")
    assert fails.returncode == 2 and "no passphrase" in fails.stderr
    assert imi("lock").err == f"{store_path} was not unlocked\n"


def test_unlock_with_a_wrong_passphrase_caches_nothing(store_path, imi, monkeypatch):
    monkeypatch.setenv("IMI_PASSPHRASE", "not the passphrase")
    result = imi("unlock")
    assert result.code == 3 and result.err == "imi: error: wrong passphrase for this store\n"
    assert not _cache_file(store_path).exists()


def test_the_key_cache_is_user_only(store_path, imi):
    assert imi("unlock", "--ttl", "60").code == 0
    entry = _cache_file(store_path)
    assert entry.parent == cache_dir()
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    assert stat.S_IMODE(entry.parent.stat().st_mode) == 0o700
    assert list(entry.parent.iterdir()) == [entry]  # no temp file left behind
    assert PASSPHRASE not in entry.read_text()


def test_unlock_expires(store_path, imi, monkeypatch):
    before = time.time()
    result = imi("unlock", "--ttl", "1")
    assert result.code == 0
    assert result.err == f"Unlocked {store_path} for 1 second (`imi lock` ends it)\n"
    entry = _cache_file(store_path)
    expires = json.loads(entry.read_text())["expires"]
    assert before + 1 <= expires <= time.time() + 1
    monkeypatch.delenv("IMI_PASSPHRASE")
    entry.write_text(json.dumps({**json.loads(entry.read_text()), "expires": time.time() - 1}))
    result = imi("store", "status")
    assert result.code == 2 and "no passphrase" in result.err
    assert not entry.exists()  # an expired key is deleted, not left lying around


def test_unlock_ttl_from_the_environment(store_path, imi, monkeypatch):
    monkeypatch.setenv("IMI_UNLOCK_TTL", "120")
    assert imi("unlock").err == f"Unlocked {store_path} for 2 minutes (`imi lock` ends it)\n"
    expires = json.loads(_cache_file(store_path).read_text())["expires"]
    assert 119 <= expires - time.time() <= 120


def _dump(store) -> dict[str, list]:
    return {table: sorted(map(repr, store.query(f"SELECT * FROM {table}")))
            for table in PROJECTION_TABLES}


def test_rebuild_gives_identical_projections(unlocked, imi, examples, open_raw, tmp_path):
    for name in ("authorities.csv", "authorities.yaml", "authorities.json",
                 "users.csv", "users.yaml", "users.json"):
        assert imi("authority" if name.startswith("auth") else "user", "import", examples / name).code == 0
    changed = tmp_path / "changed.csv"
    changed.write_text((examples / "authorities.csv").read_text(encoding="utf-8")
                       .replace("info@example.hu", "new@example.hu"), encoding="utf-8")
    assert imi("authority", "import", changed).code == 0
    with open_raw(unlocked) as store:
        before = _dump(store)
        events = store.query("SELECT count(*) FROM events")[0][0]
    assert before["authorities"] and before["users"] and before["authority_fts"]
    result = imi("store", "rebuild", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out) == {"replayed": events}
    with open_raw(unlocked) as store:
        assert _dump(store) == before


def _authorities_csv(path: Path, prefix: str, count: int) -> Path:
    lines = ["id,country,name,languages,areas,competences,email"]
    lines += [f"{prefix}-{i},HU,Hivatal {prefix} {i},hu;en,services,engedély,h{i}@example.hu"
              for i in range(count)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_two_processes_write_at_the_same_moment(unlocked, tmp_path, open_raw):
    files = [_authorities_csv(tmp_path / f"{p}.csv", p, 1500) for p in ("AA", "BB")]
    code = "from imi_cli.cli.app import run; run()"
    procs = [subprocess.Popen([sys.executable, "-c", code, "--json", "authority", "import", f],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              stdin=subprocess.DEVNULL) for f in files]
    outputs = [proc.communicate(timeout=60) for proc in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert json.loads(out)["created"] == 1500
    with open_raw(unlocked) as store:
        assert store.query("SELECT count(*) FROM authorities")[0][0] == 3000
        assert store.query("SELECT count(*) FROM events")[0][0] == 3000


HOLD_LOCK = """
import sys, time, sqlcipher3
conn = sqlcipher3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA cipher_log_level = NONE")
conn.execute(f"PRAGMA key = \\"x'{sys.argv[2]}'\\"")
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(30)
"""


def test_a_store_locked_beyond_the_timeout(unlocked, imi, examples, template, monkeypatch, event_count):
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(unlocked), template.key.hex()],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "locked\n"
        monkeypatch.setenv("IMI_BUSY_TIMEOUT_MS", "200")
        started = time.monotonic()
        result = imi("authority", "import", examples / "authorities.csv")
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert result.code == 7
    assert result.err == ("imi: error: the store is locked by another imi process\n"
                          "  hint: wait for it to finish, or raise busy_timeout_ms\n")
    assert 0.2 <= waited < 5
    assert event_count(unlocked) == 0
