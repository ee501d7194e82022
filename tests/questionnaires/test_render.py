"""Rendering a set in a language: texts, built-in yes/no labels, plural units."""

from __future__ import annotations

from pathlib import Path

import yaml

from imi_cli.questionnaires.catalog import load_set
from imi_cli.questionnaires.render import set_view, unit_form, yes_no_labels
from imi_cli.reference.languages import LANGUAGES


def test_yes_no_labels_cover_every_language() -> None:
    labels = yes_no_labels()
    for answer in ("yes", "no"):
        assert set(labels[answer]) == set(LANGUAGES)
        assert all(label.strip() for label in labels[answer].values())
    assert (labels["yes"]["hu"], labels["no"]["el"]) == ("Igen", "Όχι")


def test_yes_no_file_quotes_what_yaml_1_1_would_misread() -> None:
    raw = (Path(__file__).parents[2] / "imi_cli" / "reference" / "data" / "yes_no.yaml").read_text()
    assert set(yaml.safe_load(raw)) == {"yes", "no"}


def test_view_in_language(sample_path: Path) -> None:
    view = set_view(load_set(sample_path), "pl")
    assert view["title"] == "Verify a qualification [pl]"
    assert view["questions"][0]["options"][1] == {"code": "not_authentic", "label": "Not authentic [pl]"}


def test_unit_form_follows_cldr_plural_rules(sample_path: Path) -> None:
    question = load_set(sample_path).question("years_experience")
    assert [unit_form(question, "pl", n) for n in (1, 3, 5)] == [
        "year-one-pl", "year-few-pl", "year-many-pl"]
    assert unit_form(question, "en", 1) == "year-one"
