"""`imi hub init|serve|migrate` with a PostgreSQL database, through the CLI: what they make and
print, and that every error a user can cause is one clear message and an exit code (never a
traceback, never the database password)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.hub.pg.serving import PgHubProcess, free_port, imi_cmd

SECRET = "s3cret-pw-do-not-show"


def _with_password(url: str) -> str:
    return url.replace("postgresql://imi@", f"postgresql://imi:{SECRET}@", 1)


def _clean(result) -> None:
    assert result.code not in (0, None), result
    assert "Traceback" not in result.err
    assert SECRET not in result.err and SECRET not in result.out
    assert result.err.startswith("imi: error:"), result.err


def test_init_makes_the_hub_a_private_key_file_and_says_to_back_it_up(imi, pg_url, tmp_path):
    key = tmp_path / "keys" / "hub.key"
    result = imi("hub", "init", "--database", _with_password(pg_url), "--key-file", key,
                 "--replica-dir", tmp_path / "replicas")
    assert result.code == 0, result.err
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    told = " ".join(result.err.split())  # messages go to stderr
    assert str(key) in told and "Back the key file up" in told
    assert SECRET not in result.err + result.out
    import psycopg

    with psycopg.connect(pg_url) as conn:
        meta = dict(conn.execute("SELECT key, value FROM hub_meta").fetchall())
        assert conn.execute("SELECT count(*) FROM events").fetchone()[0] >= 1  # the operator's enrolment
    assert meta["hub_id"] in told and meta["key_id"] in told
    before = key.read_bytes()
    again = imi("hub", "init", "--database", pg_url, "--key-file", key, "--replica-dir", tmp_path / "replicas")
    _clean(again)
    assert "already holds a hub" in again.err
    assert key.read_bytes() == before


def test_init_as_json(imi, pg_url, tmp_path):
    result = imi("hub", "init", "--json", "--database", pg_url, "--key-file", tmp_path / "hub.key",
                 "--replica-dir", tmp_path / "replicas")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert set(data) >= {"database", "hub_id", "key_id", "key_file", "operator_key"}


@pytest.mark.parametrize("command", [["hub", "init"], ["hub", "serve"], ["hub", "serve", "--workers", "2"]])
def test_a_server_that_is_down_or_a_bad_url_is_one_clean_message(imi, tmp_path, command):
    down = f"postgresql://imi:{SECRET}@127.0.0.1:{free_port()}/hub?connect_timeout=3"
    for url in (down, f"postgresql://imi:{SECRET}@127.0.0.1:notaport/hub"):
        key = tmp_path / "hub.key"
        if "serve" in command and not key.exists():
            from imi_cli.hub.pg.keys import create_key_file

            create_key_file(key)
        result = imi(*command, "--database", url, "--key-file", key, "--replica-dir", tmp_path / "replicas",
                     "--port", free_port()) if "serve" in command else \
            imi(*command, "--database", url, "--key-file", key, "--replica-dir", tmp_path / "replicas")
        _clean(result)
        assert "127.0.0.1" in result.err


def test_migrate_to_a_server_that_is_down_is_one_clean_message(imi, tmp_path, monkeypatch):
    from tests.conftest import PASSPHRASE

    monkeypatch.setenv("IMI_PASSPHRASE", PASSPHRASE)
    store = tmp_path / "hub.db"
    assert imi("--store", store, "hub", "init").code == 0
    result = imi("--store", store, "hub", "migrate", "--to",
                 f"postgresql://imi:{SECRET}@127.0.0.1:{free_port()}/hub?connect_timeout=3",
                 "--key-file", tmp_path / "hub.key")
    _clean(result)
    assert not (tmp_path / "hub.key").exists()  # nothing was made


def test_serve_with_a_wrong_or_missing_key_file_is_refused(imi, pg_url, tmp_path):
    from imi_cli.hub.pg.keys import create_key_file

    assert imi("hub", "init", "--database", pg_url, "--key-file", tmp_path / "hub.key",
               "--replica-dir", tmp_path / "replicas").code == 0
    other = tmp_path / "other.key"
    create_key_file(other)
    for workers in ("1", "2"):
        result = imi("hub", "serve", "--database", pg_url, "--key-file", other, "--workers", workers,
                     "--replica-dir", tmp_path / "replicas", "--port", free_port())
        _clean(result)
        assert "not this hub's key file" in result.err
        missing = imi("hub", "serve", "--database", pg_url, "--key-file", tmp_path / "nope.key", "--workers",
                      workers, "--replica-dir", tmp_path / "replicas", "--port", free_port())
        _clean(missing)
    no_key = imi("hub", "serve", "--database", pg_url, "--port", free_port())
    _clean(no_key)
    assert "--key-file" in no_key.err


def test_workers_with_a_sqlcipher_store_are_refused(imi, tmp_path):
    result = imi("--store", tmp_path / "hub.db", "hub", "serve", "--workers", "2", "--port", free_port())
    _clean(result)
    assert result.code == 2 and "--workers" in result.err and "PostgreSQL" in result.err


def test_without_psycopg_the_message_says_what_to_install(tmp_path):
    fake = tmp_path / "no-psycopg"
    fake.mkdir()
    (fake / "psycopg.py").write_text("raise ImportError('psycopg is not installed here')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(fake), *sys.path])}
    run = subprocess.run(imi_cmd("hub", "init", "--database", f"postgresql://imi:{SECRET}@127.0.0.1:1/x",
                                 "--key-file", tmp_path / "hub.key"), env=env, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr and SECRET not in run.stderr
    assert "imi-cli[postgresql]" in run.stderr
    assert not (tmp_path / "hub.key").exists()


def test_serve_database_one_process_and_workers(imi, pg_url, tmp_path):
    made = imi("hub", "init", "--json", "--database", pg_url, "--key-file", tmp_path / "hub.key",
               "--replica-dir", tmp_path / "replicas")
    assert made.code == 0, made.err
    operator_key = json.loads(made.out)["operator_key"]
    one = PgHubProcess(_with_password(pg_url), tmp_path / "hub.key", tmp_path / "replicas").start()
    try:
        assert httpx.get(one.url + "/v1/info").json()["operator_key"] == operator_key
    finally:
        one.stop()
    assert SECRET not in one.log.read_text(errors="replace")
    many = PgHubProcess(pg_url, tmp_path / "hub.key", tmp_path / "replicas", workers=2).start()
    try:
        for _ in range(20):
            assert httpx.get(many.url + "/v1/info").json()["operator_key"] == operator_key
    finally:
        many.stop()
    replicas = list(Path(tmp_path / "replicas").rglob("*.db"))
    assert len(replicas) >= 2  # one per worker


def test_the_operator_commands_work_on_the_database_of_the_settings(imi, pg_url, tmp_path, monkeypatch):
    """With hub_database (and hub_key_file) set, `imi hub invite`, `reinvite` and `revoke` act
    on the PostgreSQL hub, as they do on a store."""
    import psycopg

    monkeypatch.setenv("IMI_HUB_DATABASE", pg_url)
    monkeypatch.setenv("IMI_HUB_KEY_FILE", str(tmp_path / "hub.key"))
    monkeypatch.setenv("IMI_HUB_REPLICA_DIR", str(tmp_path / "replicas"))
    assert imi("hub", "init", "--database", pg_url).code == 0
    invited = imi("hub", "invite", "--json", "--authority", "HU-NCO", "--country", "HU", "--name", "en=Coordinator HU",
                  "--email", "imi@example.hu", "--user", "hu.coord", "--user-name", "Coordinator",
                  "--user-email", "c@example.hu")
    assert invited.code == 0, invited.err
    assert json.loads(invited.out)["user"] == "hu.coord"
    assert imi("hub", "reinvite", "hu.coord", "--json").code == 0
    missing = imi("hub", "revoke", "nobody")
    assert missing.code == 4 and "Traceback" not in missing.err
    with psycopg.connect(pg_url) as conn:
        kinds = [k for (k,) in conn.execute("SELECT type FROM events ORDER BY seq").fetchall()]
    assert kinds.count("user.invited") == 2 and "authority.registered" in kinds
