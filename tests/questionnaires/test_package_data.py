"""The built package carries every catalog of the top-level questionnaires/ folder, and an
installed imi reads them as package data (the wheel itself is built and tried by .ci/run)."""

from __future__ import annotations

import os
import runpy
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
AUTHORED = REPO / "questionnaires"


def build_config(monkeypatch) -> tuple[dict, list[str]]:
    """What setup.py and pyproject.toml tell setuptools: setup()'s arguments, and the
    package-data patterns of imi_cli.catalogs."""
    import setuptools

    captured: dict = {}
    monkeypatch.setattr(setuptools, "setup", lambda **kwargs: captured.update(kwargs))
    runpy.run_path(str(REPO / "setup.py"))
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    return captured, pyproject["tool"]["setuptools"]["package-data"]["imi_cli.catalogs"]


def packaged_catalogs(monkeypatch) -> set[Path]:
    """The catalog files a build puts into imi_cli/catalogs, relative to that folder."""
    setup, patterns = build_config(monkeypatch)
    assert "imi_cli.catalogs" in setup["packages"]
    source = REPO / setup["package_dir"]["imi_cli.catalogs"]
    assert source == AUTHORED
    return {path.relative_to(source) for pattern in patterns for path in source.glob(pattern)}


def test_every_authored_catalog_is_packaged(monkeypatch) -> None:
    authored = {path.relative_to(AUTHORED) for path in AUTHORED.rglob("*.yaml")}
    assert len(authored) >= 7
    assert packaged_catalogs(monkeypatch) == authored


def test_every_package_is_built(monkeypatch) -> None:
    setup, _ = build_config(monkeypatch)
    on_disk = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "imi_cli").rglob("__init__.py")}
    assert on_disk <= set(setup["packages"])


def test_a_checkout_reads_the_authored_folder() -> None:
    from imi_cli.questionnaires.registry import shipped, shipped_folder

    assert shipped_folder() == AUTHORED
    assert {s.id for s in shipped().current()} == {p.stem for p in AUTHORED.glob("*.yaml")}
    assert shipped().broken == []


@pytest.mark.skipif(sys.platform == "win32", reason="paths in the child's environment")
def test_an_installed_layout_reads_package_data(tmp_path, monkeypatch) -> None:
    """imi_cli as a wheel installs it (catalogs inside the package), away from the checkout."""
    site = tmp_path / "site-packages"
    shutil.copytree(REPO / "imi_cli", site / "imi_cli", ignore=shutil.ignore_patterns("__pycache__"))
    for relative in packaged_catalogs(monkeypatch):
        target = site / "imi_cli" / "catalogs" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(AUTHORED / relative, target)
    env = {**os.environ, "PYTHONPATH": str(site), "HOME": str(tmp_path)}
    code = ("from imi_cli.questionnaires.registry import shipped, shipped_folder\n"
            "print(shipped_folder())\n"
            "print(' '.join(s.id for s in shipped().current()))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    folder, ids = done.stdout.splitlines()
    assert folder == str(site / "imi_cli" / "catalogs")
    assert ids.split() == sorted(p.stem for p in AUTHORED.glob("*.yaml"))
