"""The registry of question sets: each file parsed and validated once, sets keyed by
(id, version), a request shown and checked against the version it pinned."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from imi_cli.errors import NotFound
from imi_cli.questionnaires import catalog as catalog_module
from imi_cli.questionnaires.registry import QuestionSetUnavailable, Registry, catalogs, configure, shipped

HERE = Path(__file__).parent
SMALL = HERE / "fixtures" / "small-valid.yaml"


def two_versions(folder: Path) -> Path:
    """small-valid 2.0 (a question's text changed) as the current file, 1.0 kept beside it."""
    (folder / "previous").mkdir(parents=True)
    shutil.copy(SMALL, folder / "previous" / "small-valid@1.0.yaml")
    text = SMALL.read_text(encoding="utf-8").replace('version: "1.0"', 'version: "2.0"')
    (folder / "small-valid.yaml").write_text(text.replace("text: {en: Remarks,", "text: {en: Any remarks,"),
                                             encoding="utf-8")
    return folder


@pytest.fixture
def checks(monkeypatch) -> list[Path]:
    """Every file the catalog code parses and validates, in order."""
    seen: list[Path] = []
    real = catalog_module.check_file

    def counting(path: Path):
        seen.append(path)
        return real(path)

    monkeypatch.setattr(catalog_module, "check_file", counting)
    return seen


@pytest.fixture
def process_catalogs():
    """Configure the process's catalogs in a test; the shipped ones again afterwards."""
    yield configure
    configure(None)


def test_each_file_is_parsed_once(tmp_path, checks) -> None:
    registry = Registry(two_versions(tmp_path))
    assert checks == []  # nothing is read before a set is needed
    for _ in range(5):
        registry.latest("small-valid")
        registry.get("small-valid", "1.0")
        registry.all()
    assert sorted(p.name for p in checks) == ["small-valid.yaml", "small-valid@1.0.yaml"]


def test_sets_are_keyed_by_id_and_version(tmp_path) -> None:
    registry = Registry(two_versions(tmp_path))
    assert [(s.id, s.version) for s in registry.all()] == [("small-valid", "1.0"), ("small-valid", "2.0")]
    assert registry.latest("small-valid").version == "2.0"
    assert [s.version for s in registry.current()] == ["2.0"]
    assert registry.get("small-valid", "1.0").question("remarks").text["en"] == "Remarks"
    assert registry.get("small-valid", "2.0").question("remarks").text["en"] == "Any remarks"


def test_versions_order_as_numbers(tmp_path) -> None:
    shutil.copy(SMALL, tmp_path / "small-valid@1.9.yaml")
    (tmp_path / "small-valid@1.9.yaml").write_text(
        SMALL.read_text(encoding="utf-8").replace('version: "1.0"', 'version: "1.9"'), encoding="utf-8")
    (tmp_path / "small-valid.yaml").write_text(
        SMALL.read_text(encoding="utf-8").replace('version: "1.0"', 'version: "1.10"'), encoding="utf-8")
    assert Registry(tmp_path).versions("small-valid") == ["1.9", "1.10"]


def test_a_version_not_kept_is_a_clear_error(tmp_path) -> None:
    registry = Registry(two_versions(tmp_path))
    with pytest.raises(QuestionSetUnavailable) as missing:
        registry.get("small-valid", "3.0")
    assert missing.value.message == ("question set 'small-valid' version '3.0' is not available here "
                                     "(these catalogs hold 1.0, 2.0)")
    assert missing.value.hint == "keep the published version as small-valid@3.0.yaml in the catalog folder"
    assert missing.value.exit_code == 4
    with pytest.raises(QuestionSetUnavailable, match="no question set 'nope'"):
        registry.get("nope", "1.0")


def test_a_missing_folder_names_the_setting(tmp_path) -> None:
    registry = Registry(tmp_path / "nowhere", origin="IMI_QUESTIONNAIRES")
    with pytest.raises(NotFound) as missing:
        registry.all()
    assert missing.value.message == f"IMI_QUESTIONNAIRES: questionnaires = '{tmp_path / 'nowhere'}' is not a folder"


def test_a_version_in_two_files_is_refused(tmp_path) -> None:
    shutil.copy(SMALL, tmp_path / "small-valid.yaml")
    shutil.copy(SMALL, tmp_path / "small-valid@1.0.yaml")
    findings = catalog_module.Catalog.from_paths([tmp_path]).validate()
    assert [(Path(f.file).name, f.check, f.message) for f in findings] == [
        ("small-valid@1.0.yaml", "U004", "small-valid version '1.0' is also defined in "
                                         f"{catalog_module.display_name(tmp_path / 'small-valid.yaml')}; "
                                         "give each version one file")]


def test_a_kept_file_name_must_match_its_version(tmp_path) -> None:
    shutil.copy(SMALL, tmp_path / "small-valid@0.9.yaml")
    [finding] = catalog_module.Catalog.from_paths([tmp_path]).validate()
    assert (finding.check, finding.line, finding.message) == (
        "S007", 4, "version '1.0' differs from the file name 'small-valid@0.9'")


def test_find_set_uses_the_configured_folder(tmp_path, process_catalogs, checks) -> None:
    process_catalogs(two_versions(tmp_path))
    assert catalog_module.find_set("small-valid").version == "2.0"
    assert catalog_module.find_set("small-valid", "1.0").version == "1.0"
    assert len(checks) == 2
    process_catalogs(None)
    assert catalogs() is shipped()


def request_pinned_to(version: str) -> dict:
    return {"id": "r1", "state": "answered", "area": "professional-qualifications", "requester": "IE-A",
            "responder": "HU-B", "deadline": None, "proposed_deadline": None,
            "record": {"questionnaire": "small-valid", "qversion": version, "questions": ["remarks"],
                       "subject": "Check", "person": {},
                       "answers": [{"values": {"remarks": {"text": "ok", "lang": "en"}}}]}}


def test_a_request_is_rendered_with_the_version_it_pinned(tmp_path, process_catalogs) -> None:
    from imi_cli.exchanges.requests.render import request_view

    process_catalogs(two_versions(tmp_path))
    old, new = (request_view(request_pinned_to(v), [], "en") for v in ("1.0", "2.0"))
    assert (old["questionnaire"], old["questions"][0]["text"]) == ("small-valid 1.0", "Remarks")
    assert (new["questionnaire"], new["questions"][0]["text"]) == ("small-valid 2.0", "Any remarks")
    with pytest.raises(QuestionSetUnavailable, match="^question set 'small-valid' version '3.0' is not available here"):
        request_view(request_pinned_to("3.0"), [], "en")


def test_the_hub_checks_answers_against_the_pinned_version(tmp_path, process_catalogs, checks) -> None:
    from imi_cli.exchanges.requests.event_types import _check_answers_fit
    from imi_cli.protocol.refusal import Refusal

    process_catalogs(two_versions(tmp_path))
    answers = {"answers": {"remarks": {"text": "ok", "lang": "en"}}, "lang": "en"}
    for _ in range(3):
        _check_answers_fit(request_pinned_to("1.0"), answers)
        _check_answers_fit(request_pinned_to("2.0"), answers)
    assert len(checks) == 2  # loaded once, not per answer
    with pytest.raises(Refusal) as refused:
        _check_answers_fit(request_pinned_to("3.0"), answers)
    assert (refused.value.reason, refused.value.message) == (
        "invalid", "question set 'small-valid' version '3.0' is not available here (these catalogs hold 1.0, 2.0)")
