"""Fixtures for command tests: a store that is already unlocked, without paying the KDF per test.

One template store is created per session (one KDF); each test gets its own copy and a key
cache entry for it, exactly what `imi unlock` leaves behind, with IMI_PASSPHRASE unset.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PASSPHRASE = "correct horse battery staple"


@dataclass(frozen=True)
class Template:
    path: Path
    key: bytes


@pytest.fixture(scope="session")
def template(tmp_path_factory) -> Template:
    from imi_cli.log.store import Store, derive_key, read_salt

    path = tmp_path_factory.mktemp("template") / "store.db"
    Store.create(path, PASSPHRASE).close()
    return Template(path, derive_key(PASSPHRASE, read_salt(path)))


@pytest.fixture
def unlocked(tmp_path, monkeypatch, template) -> Path:
    """A fresh empty store at IMI_STORE, unlocked (key cached), IMI_PASSPHRASE unset."""
    from imi_cli.log.unlock import cache_key

    path = tmp_path / "store.db"
    shutil.copyfile(template.path, path)
    os.chmod(path, 0o600)
    monkeypatch.setenv("IMI_STORE", str(path))
    monkeypatch.delenv("IMI_PASSPHRASE", raising=False)
    cache_key(path, template.key, 3600)
    return path


@pytest.fixture
def examples() -> Path:
    return REPO / "examples"


@pytest.fixture
def run_imi():
    """Run `imi` as its own process (for what only shows at C level or across processes)."""

    def run(*args: str, env: dict[str, str] | None = None, timeout: float = 60):
        return subprocess.run([sys.executable, "-c", "from imi_cli.cli.app import run; run()", *map(str, args)],
                              capture_output=True, text=True, env=env or dict(os.environ),
                              stdin=subprocess.DEVNULL, timeout=timeout)

    return run


# -- the shared network of tests/requests (a hub on loopback), driven through the CLI ----
_KEYS: dict[str, bytes] = {}


@pytest.fixture(scope="session")
def network(tmp_path_factory):
    from tests.exchanges.requests.conftest import USERS
    from tests.exchanges.requests.network import shared_network

    return shared_network(tmp_path_factory, USERS)


@pytest.fixture
def cli(network, imi):
    """``cli(name, *args)``: `imi --store <name's store> args...`, unlocked as by `imi unlock`."""
    from imi_cli.log.store import derive_key, read_salt
    from imi_cli.log.unlock import cache_key
    from tests.exchanges.requests.network import PASSPHRASE

    def run(name, *args):
        path = network.stores[name].path
        if name not in _KEYS:
            _KEYS[name] = derive_key(PASSPHRASE, read_salt(path))
        cache_key(path, _KEYS[name], 600)
        result = imi("--store", path, *args)
        assert "Traceback" not in result.err
        return result

    return run


@pytest.fixture
def open_raw(template):
    """Open a copy of the template (or any store with its key) in process, for inspection."""
    from imi_cli.log.store import Store

    return lambda path: Store.open(path, template.key)


@pytest.fixture
def event_count(open_raw):
    def count(path: Path) -> int:
        with open_raw(path) as store:
            return store.query("SELECT count(*) FROM events")[0][0]

    return count
