"""Fixtures shared by the whole suite: every test runs with its own HOME, XDG folders,
key cache and environment, so nothing leaks between tests or from the machine."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

PASSPHRASE = "correct horse battery staple"


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
