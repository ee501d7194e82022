"""Fixtures shared by the whole suite: every test runs with its own HOME, XDG folders,
key cache and environment, so nothing leaks between tests or from the machine."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

PASSPHRASE = "correct horse battery staple"

# The longest test files first (longest-processing-time scheduling): pytest-xdist
# (`--dist loadfile --no-loadscope-reorder`, see pyproject.toml) hands whole files to the
# workers in collection order, so a file that takes minutes must not start last and keep the
# run waiting for it. Measured with `--durations=0`; the other files keep their order, and so
# do the tests within each file, except the README walkthrough (a few minutes alone) first.
FIRST = (
    "tests/test_readme.py::test_the_walkthroughs_run_as_written",
    "tests/security/test_sync_robustness.py",
    "tests/sync/test_takeovers.py",
    "tests/cli/test_hub.py",
    "tests/cli/test_demo.py",
    "tests/sync/test_one_protocol.py",
    "tests/security/test_local_user.py",
    "tests/sync/test_minimal_directory.py",
    "tests/security/test_hub_network.py",
    "tests/sync/test_redaction.py",
    "tests/security/test_privacy_insider.py",
    "tests/hub/test_fuzz.py",
    "tests/hub/test_crash.py",
    "tests/hub/test_sync_core.py",
)


def pytest_collection_modifyitems(config, items):
    files = {name.split("::")[0]: rank for rank, name in enumerate(FIRST)}
    items.sort(key=lambda item: (files.get(item.nodeid.split("::")[0], len(files)), item.nodeid not in FIRST))


@pytest.fixture(scope="session", autouse=True)
def keys_derived_once():
    """A key derived from the same passphrase, salt and cost is the same key: each test process
    derives it once and keeps it (PBKDF2's cost is unchanged, and each new store still pays it;
    a store opened again in process, by another command or test, does not pay it again)."""
    import imi_cli.log.store as store_module
    import imi_cli.log.unlock as unlock_module

    real = store_module.derive_key
    keys: dict[tuple[str, bytes, int], bytes] = {}

    def derive_key(passphrase: str, salt: bytes) -> bytes:
        known = (passphrase, bytes(salt), store_module.KDF_ITERATIONS)
        if known not in keys:
            keys[known] = real(passphrase, salt)
        return keys[known]

    store_module.derive_key = unlock_module.derive_key = derive_key
    yield
    store_module.derive_key = unlock_module.derive_key = real


@pytest.fixture(autouse=True)
def isolate(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("home")
    for var in list(os.environ):
        if var.startswith("IMI_"):
            monkeypatch.delenv(var)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local/share"))
    monkeypatch.setenv("IMI_RUNTIME_DIR", str(home / "run"))
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LANGUAGE", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    return home


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def imi(capsys):
    """Run `imi ARGS...` in process; returns exit code, stdout and stderr."""
    from imi_cli.cli.app import main

    def run(*args: str) -> Result:
        capsys.readouterr()
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def store_path(tmp_path, monkeypatch, imi) -> Path:
    """A fresh encrypted store, with IMI_STORE and IMI_PASSPHRASE set for the test."""
    path = tmp_path / "store.db"
    monkeypatch.setenv("IMI_STORE", str(path))
    monkeypatch.setenv("IMI_PASSPHRASE", PASSPHRASE)
    result = imi("init")
    assert result.code == 0, result.err
    return path


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parents[1]
