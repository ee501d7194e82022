"""V001/V002: comparing a catalog with an earlier git revision."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from imi_cli.errors import UsageError
from imi_cli.questionnaires.catalog import Catalog


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.email=t@example.org", "-c", "user.name=t",
                    *args], check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path, small_valid: Path) -> Path:
    git(tmp_path, "init", "-q")
    shutil.copy(small_valid, tmp_path / "small-valid.yaml")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "base")
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text().replace(old, new, 1))


def findings(repo: Path, ref: str = "HEAD") -> list[tuple[int, str, str]]:
    found = Catalog.from_paths([repo / "small-valid.yaml"]).validate(against=ref)
    return [(f.line, f.check, f.message) for f in found]


def test_unchanged_is_clean(repo: Path) -> None:
    assert findings(repo) == []


def test_changed_question_without_new_version_is_v001(repo: Path) -> None:
    edit(repo / "small-valid.yaml", "text: {en: Remarks,", "text: {en: Other remarks,")
    assert findings(repo) == [(4, "V001", "the questions changed since HEAD but version is still "
                                          "'1.0'; bump it")]
    edit(repo / "small-valid.yaml", 'version: "1.0"', 'version: "1.1"')
    assert findings(repo) == []


def test_translation_fix_needs_no_new_version(repo: Path) -> None:
    edit(repo / "small-valid.yaml", "de: Bemerkungen}", "de: Anmerkungen}")
    assert findings(repo) == []


def test_reused_id_is_v002(repo: Path) -> None:
    edit(repo / "small-valid.yaml", "    type: long_text", "    type: short_text")
    edit(repo / "small-valid.yaml", 'version: "1.0"', 'version: "2.0"')
    assert findings(repo) == [(46, "V002", "question id 'remarks' was long_text at HEAD and is now "
                                           "short_text; a changed question needs a new id")]


def test_dropped_choice_code_is_v002(repo: Path) -> None:
    path = repo / "small-valid.yaml"
    edit(path, "    - code: not_authentic\n      label: {en: Not authentic, de: Nicht echt}\n", "")
    edit(path, 'version: "1.0"', 'version: "2.0"')
    assert findings(repo) == [(19, "V002", "question id 'document_authentic' no longer offers the "
                                           "answers not_authentic it had at HEAD; a changed question "
                                           "needs a new id")]


def test_new_file_has_nothing_to_compare(repo: Path, small_valid: Path) -> None:
    shutil.copy(small_valid, repo / "other.yaml")
    edit(repo / "other.yaml", "id: small-valid", "id: other")
    assert Catalog.from_paths([repo / "other.yaml"]).validate(against="HEAD") == []


def test_unknown_ref(repo: Path) -> None:
    with pytest.raises(UsageError, match="--against 'v9' is not a git revision"):
        findings(repo, "v9")
