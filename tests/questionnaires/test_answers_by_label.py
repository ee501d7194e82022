"""Answers typed in the official's language: a choice (and yes/no) by its code or by its label
in the user's language, case and diacritics folded, stored as its code (issue 15)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from sample_catalog import sample_data, write_sample

from imi_cli.errors import InvalidInput
from imi_cli.questionnaires.answers import validate_answers
from imi_cli.questionnaires.catalog import load_set

SHIPPED = Path(__file__).parents[2] / "questionnaires" / "pq-verify-qualification.yaml"


@pytest.fixture(scope="module")
def qset():
    return load_set(SHIPPED)


def answer(qset, question: str, value, lang: str):
    asked = qset.question(question)
    only = dataclasses.replace(qset, questions=(dataclasses.replace(asked, required=True, enable_when=None),))
    return validate_answers(only, {question: value}, lang)[question]


def problem(qset, question: str, value, lang: str) -> str:
    with pytest.raises(InvalidInput) as caught:
        answer(qset, question, value, lang)
    [found] = caught.value.problems
    return found.message


@pytest.mark.parametrize(("typed", "code"), [
    ("Hiteles", "authentic"), ("hiteles", "authentic"), ("HITELES", "authentic"), ("  Hiteles ", "authentic"),
    ("Nem hiteles", "not_authentic"), ("nem erositheto meg", "cannot_confirm"),  # diacritics folded
    ("Nem erősíthető meg", "cannot_confirm"), ("authentic", "authentic"), ("Not_Authentic", "not_authentic")])
def test_a_choice_by_its_hungarian_label(qset, typed: str, code: str) -> None:
    assert answer(qset, "document_authentic", typed, "hu") == code


@pytest.mark.parametrize(("typed", "code"), [
    ("Γνήσιος", "authentic"), ("ΓΝΗΣΙΟΣ", "authentic"), ("γνησιος", "authentic"), ("Μη γνήσιος", "not_authentic"),
    ("μερικος περιορισμος", None)])
def test_a_choice_by_its_greek_label(qset, typed: str, code: str | None) -> None:
    if code is None:  # a label of another question's options is not an option here
        assert "is not one of the options" in problem(qset, "document_authentic", typed, "el")
    else:
        assert answer(qset, "document_authentic", typed, "el") == code


def test_a_scope_by_its_greek_label(qset) -> None:
    assert answer(qset, "measure_scope", "Μερικός περιορισμός", "el") == "partial_restriction"
    assert answer(qset, "measure_scope", "ΜΕΡΙΚΟΣ ΠΕΡΙΟΡΙΣΜΟΣ", "el") == "partial_restriction"


@pytest.mark.parametrize(("typed", "lang", "code"), [
    ("Igen", "hu", "yes"), ("igen", "hu", "yes"), ("NEM", "hu", "no"), ("Ναι", "el", "yes"), ("όχι", "el", "no"),
    ("οχι", "el", "no"), ("yes", "el", "yes"), (False, "hu", "no")])
def test_yes_or_no_by_its_label(qset, typed, lang: str, code: str) -> None:
    assert answer(qset, "issued_by_competent_body", typed, lang) == code


def test_only_the_users_language_labels_are_read(qset) -> None:
    # "Hiteles" is Hungarian: a Greek official's answer is checked against the Greek labels
    assert problem(qset, "document_authentic", "Hiteles", "el").startswith("'Hiteles' is not one of the options: ")


def test_an_unknown_value_lists_the_options_in_the_users_language(qset) -> None:
    assert problem(qset, "document_authentic", "Valódi", "hu") == (
        "'Valódi' is not one of the options: authentic (Hiteles), not_authentic (Nem hiteles), "
        "cannot_confirm (Nem erősíthető meg)")
    assert problem(qset, "issued_by_competent_body", "talán", "hu") == (
        "'talán' is not one of the options: yes (Igen), no (Nem)")


def test_an_ambiguous_value_is_an_error_that_lists_the_options(tmp_path: Path) -> None:
    data = sample_data()
    # the German label of one option is the code of another: "AUTHENTIC" could be either
    data["choice_lists"]["authenticity"][1]["label"]["de"] = "Authentic"
    qset = load_set(write_sample(tmp_path / "questionnaires", data=data))
    assert problem(qset, "document_authentic", "AUTHENTIC", "de") == (
        "'AUTHENTIC' matches more than one option: authentic = Echt; not_authentic = Authentic; "
        "give its code")
    assert answer(qset, "document_authentic", "authentic", "de") == "authentic"  # the code itself is never ambiguous


def test_several_choices_by_their_labels(tmp_path: Path) -> None:
    qset = load_set(write_sample(tmp_path / "questionnaires"))
    assert answer(qset, "spoken", ["german [PL]", "fr"], "pl") == ["de", "fr"]
    assert problem(qset, "spoken", ["German [pl]", "de"], "pl") == "a code is given twice"
