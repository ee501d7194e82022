"""G001 (a noun placeholder left bare where the language needs a case) and G002 (one source
text translated two ways across the catalogs validated together)."""

from __future__ import annotations

from pathlib import Path

import pytest

from imi_cli.questionnaires.catalog import Catalog
from imi_cli.questionnaires.checks.consistency import check_same_translations, inflected_forms
from imi_cli.questionnaires.checks.grammar import bare_noun_placeholders
from imi_cli.questionnaires.findings import WARNING
from imi_cli.questionnaires.registry import shipped_folder

SMALL = Path(__file__).parent / "fixtures" / "small-valid.yaml"


@pytest.mark.parametrize("text", [
    "Antaako pätevyys oikeuden harjoittaa seuraavaa ammattia: {profession}?",
    "{profession}",
    "Ammatti: {profession}",
    "Valitse:\n- {profession}\n- muu",
    "Ammatti:\n{profession}",
    "Ammatti: {profession}, kotijäsenvaltiossa.",
    "Henkilöllä {applicant_name} on kokemusta.",  # a name, not a noun placeholder
])
def test_nominative_positions_pass(text: str) -> None:
    assert bare_noun_placeholders(text) == []


@pytest.mark.parametrize("text", [
    "Antaako pätevyys oikeuden harjoittaa ammattia {profession}?",
    "Seuraava ammatti: {profession} kotijäsenvaltiossa?",  # after a colon, but the sentence goes on
    "{profession} kotijäsenvaltiossa?",
])
def test_bare_positions_are_found(text: str) -> None:
    assert bare_noun_placeholders(text) == ["profession"]


def test_shipped_catalogs_have_no_bare_placeholder_nor_two_translations() -> None:
    catalog = Catalog.from_paths([shipped_folder()])
    findings = catalog.validate() + check_same_translations(catalog.sets)
    assert [f for f in findings if f.check in ("G001", "G002")] == []


@pytest.mark.parametrize(("a", "b", "same"), [
    ("Ważna", "Ważne", True),                       # pl licencja / zezwolenie
    ("Začasno odvzeta", "Začasno odvzeto", True),  # sl
    ("Ma jistax jiġi kkonfermat", "Ma tistax tiġi kkonfermata", True),  # mt: prefixes agree
    ("Entzogen", "Widerrufen", False),
    ("Nepravý", "Není pravý", False),
    ("Limitazione parziale", "Restrizione parziale", False),
    ("Ja", "Da", False),                            # short words: not an ending
])
def test_inflected_forms(a: str, b: str, same: bool) -> None:
    assert inflected_forms(a, b) is same


def _copy(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(text.replace("id: small-valid", f"id: {name}"), encoding="utf-8")
    return path


def _folder(tmp_path: Path, **changes: tuple[str, str]) -> Catalog:
    text = SMALL.read_text(encoding="utf-8")
    _copy(tmp_path, "first-set", text)
    for name, (old, new) in changes.items():
        assert old in text
        _copy(tmp_path, name.replace("_", "-"), text.replace(old, new))
    catalog = Catalog.from_paths([tmp_path])
    assert catalog.validate() == []
    return catalog


def test_a_label_translated_two_ways_is_reported_where_it_differs(tmp_path: Path) -> None:
    catalog = _folder(tmp_path, second_set=("de: Nicht echt", "de: Unecht"),
                      third_set=("de: Echt}", "de: Echt}"))  # a third file that agrees with the first
    findings = check_same_translations(catalog.sets)
    assert [(Path(f.file).name, f.check, f.level) for f in findings] == [
        ("second-set.yaml", "G002", WARNING)]
    line = next(i for i, text in enumerate((tmp_path / "second-set.yaml").read_text().splitlines(), 1)
                if "Unecht" in text)
    assert findings[0].line == line
    assert "'Unecht' translates 'Not authentic', which reads 'Nicht echt' in" in findings[0].message


def test_gender_endings_of_a_label_are_the_same_term(tmp_path: Path) -> None:
    catalog = _folder(tmp_path, second_set=("de: Nicht echt", "de: Nicht echte"))
    assert check_same_translations(catalog.sets) == []


def test_question_texts_must_match_exactly(tmp_path: Path) -> None:
    catalog = _folder(tmp_path, second_set=("de: Bemerkungen", "de: Anmerkungen"))
    findings = check_same_translations(catalog.sets)
    assert len(findings) == 1 and "'Anmerkungen' translates 'Remarks'" in findings[0].message


def test_one_file_alone_is_consistent_with_itself() -> None:
    catalog = Catalog.from_paths([SMALL])
    catalog.validate()
    assert check_same_translations(catalog.sets) == []


def test_a_kept_previous_version_is_not_held_to_todays_terms(tmp_path: Path) -> None:
    text = SMALL.read_text(encoding="utf-8")
    (tmp_path / "small-valid.yaml").write_text(
        text.replace('version: "1.0"', 'version: "2.0"').replace("de: Nicht echt", "de: Unecht"),
        encoding="utf-8")
    (tmp_path / "previous").mkdir()
    (tmp_path / "previous" / "small-valid@1.0.yaml").write_text(text, encoding="utf-8")
    catalog = Catalog.from_paths([tmp_path])
    assert catalog.validate() == []
    assert check_same_translations(catalog.sets) == []
