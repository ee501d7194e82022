"""An `imi sync` with nothing to do (issue 17, target 5: bench/bench_sync_startup.py) imports
only what it uses: no http.client (nor the email parser and ssl it imports), no socket module,
no hashlib (OpenSSL), no TOML parser without a settings file, no platformdirs for the settings
file's folder, no redaction or access log unless the privacy clock has something to do. And it
still reads a settings file that is there. (Every test of tests/sync syncs through the loopback
client: pushes and pulls with events.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from imi_cli.directory.invitations import coordinator_records
from imi_cli.hub.background import BackgroundHub
from imi_cli.hub.state import init_hub
from imi_cli.log.store import Store, derive_key, read_salt
from imi_cli.log.unlock import cache_key
from imi_cli.sync.enrolment import client_for, enrol
from imi_cli.sync.session import sync

PASS = "startup passphrase 123"

# made lazy for this path: any of them back means start-up got slower again
NOT_IMPORTED = ("http.client", "email.parser", "ssl", "socket", "encodings.idna", "hashlib", "secrets", "tomllib",
                "platformdirs", "calendar", "csv", "imi_cli.log.redaction", "imi_cli.privacy.access", "httpx")


@pytest.fixture
def node(tmp_path, monkeypatch):
    """A hub on loopback (plain HTTP), and an enrolled, synced store whose key is cached."""
    monkeypatch.setenv("IMI_NOW", "2026-01-05T09:00:00+00:00")
    hub = init_hub(tmp_path / "hub.db", PASS)
    record, user = coordinator_records("HU-NCO", "HU", "NCO HU", "en", "en", "services", "imi@example.hu",
                                       "hu.coord", "Coordinator", "c@example.eu")
    code = hub.invite_coordinator(record, user)
    with BackgroundHub(hub) as served:
        store = Store.create(tmp_path / "node.db", PASS)
        enrol(store, served.url, code)
        with client_for(store) as client:
            sync(store, client)
        path = store.path
        store.close()
        cache_key(path, derive_key(PASS, read_salt(path)), 3600)
        yield path
    hub.store.close()


def _imi(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess, set]:
    """`imi ARGS` in its own process: its result, and the modules it had imported at exit."""
    listing = tmp_path / "modules.txt"
    probe = ("import atexit, sys\n"
             f"atexit.register(lambda: open({str(listing)!r}, 'w').write('\\n'.join(sys.modules)))\n"
             "from imi_cli.cli.app import run\n"
             "run()\n")
    environ = {k: v for k, v in os.environ.items() if k != "IMI_PASSPHRASE"}  # the cached key opens it
    done = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True,
                          env={**environ, **(env or {})})
    return done, set(listing.read_text().split("\n"))


def test_an_empty_sync_imports_none_of_what_it_does_not_use(node, tmp_path):
    done, modules = _imi(tmp_path, "--store", str(node), "sync")
    assert done.returncode == 0, done.stderr
    assert "Pushed 0 accepted, 0 rejected; pulled 0" in done.stderr
    assert sorted(set(NOT_IMPORTED) & modules) == []
    assert "imi_cli.sync.session" in modules  # (the probe sees the run's modules)


def test_a_settings_file_is_still_read(node, tmp_path):
    """The TOML parser is imported when there is a file: a setting from it is used."""
    config = Path(os.environ["XDG_CONFIG_HOME"]) / "imi" / "imi.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('hub = "http://127.0.0.1:9"\n')  # nothing listens there: the sync says so
    done, modules = _imi(tmp_path, "--store", str(node), "sync")
    assert done.returncode != 0
    assert "http://127.0.0.1:9" in done.stderr and "(ConnectError)" in done.stderr
    assert "tomllib" in modules
    config.write_text("not = [toml\n")
    done, _ = _imi(tmp_path, "--store", str(node), "sync")
    assert done.returncode != 0 and str(config) in done.stderr
