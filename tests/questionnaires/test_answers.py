"""Answers: checked against a set and stored language-neutral."""

from __future__ import annotations

from pathlib import Path

import pytest

from imi_cli.errors import InvalidInput
from imi_cli.questionnaires.answers import validate_answers
from imi_cli.questionnaires.catalog import load_set


@pytest.fixture
def qset(sample_path: Path):
    return load_set(sample_path)


def problems(qset, answers, lang="en") -> list[str]:
    with pytest.raises(InvalidInput) as caught:
        validate_answers(qset, answers, lang)
    return [f"{p.field}: {p.message}" for p in caught.value.problems]


def test_values_are_language_neutral(qset) -> None:
    values = validate_answers(qset, {
        "document_authentic": "authentic", "person_established": False, "years_experience": "12",
        "spoken": ["fr", "de"], "decided_on": "2019-06-30", "remarks": "Alles in Ordnung"}, "de")
    assert values == {"document_authentic": "authentic", "person_established": "no",
                      "years_experience": 12, "spoken": ["fr", "de"], "decided_on": "2019-06-30",
                      "remarks": {"text": "Alles in Ordnung", "lang": "de"}}


def test_condition_skips_a_question(qset) -> None:
    values = validate_answers(qset, {"document_authentic": "authentic",
                                     "person_established": "yes"}, "en")
    assert values == {"document_authentic": "authentic", "person_established": "yes"}


def test_every_problem_is_reported(qset) -> None:
    assert problems(qset, {"document_authentic": "genuine", "person_established": "no",
                           "years_experience": 81, "decided_on": "30.06.2019", "colour": "red"}) == [
        "colour: no such question in this set",
        "document_authentic: 'genuine' is not one of the options: authentic (Authentic), not_authentic (Not authentic)",
        "years_experience: 81 is above the maximum 80",
        "decided_on: '30.06.2019' is not a date as YYYY-MM-DD",
    ]


def test_required_and_skipped(qset) -> None:
    assert problems(qset, {"person_established": "yes", "years_experience": 3}) == [
        "document_authentic: an answer is required",
        "years_experience: not asked unless person_established is 'no'; leave it out",
    ]


def test_free_text_keeps_its_own_language_tag(qset) -> None:
    values = validate_answers(qset, {"document_authentic": "authentic", "person_established": "yes",
                                     "remarks": {"text": "Kaikki hyvin", "lang": "fi"}}, "en")
    assert values["remarks"] == {"text": "Kaikki hyvin", "lang": "fi"}


def test_multiple_choice_rejects_repeats(qset) -> None:
    assert problems(qset, {"document_authentic": "authentic", "person_established": "yes",
                           "spoken": ["fr", "fr"]}) == ["spoken: a code is given twice"]
