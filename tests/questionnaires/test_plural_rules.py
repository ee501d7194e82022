"""The precomputed CLDR plural rules (imi_cli/reference/data/plural_rules.json) are Babel's."""

from __future__ import annotations

import pytest

from imi_cli.reference import plurals
from imi_cli.reference.languages import LANGUAGES


def test_the_table_is_the_installed_babels_cldr_data():
    # after a Babel upgrade that changes a rule: python -m imi_cli.reference.plurals
    assert plurals.rules() == plurals.from_babel()
    assert sorted(plurals.rules()) == sorted(LANGUAGES)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_language_gives_babels_category_for_every_count(lang):
    from babel import Locale

    from imi_cli.i18n.formats import locale

    babel = Locale.parse(locale(lang)).plural_form
    for count in [*range(0, 130), 1000, 1_000_000, 0.5, 1.5, 2.25, 21.1]:
        assert plurals.category(lang, count) == babel(count), (lang, count)
    assert plurals.categories(lang) == frozenset(babel.tags) | {"other"}


@pytest.mark.parametrize(("lang", "count", "expected"), [
    ("pl", 1, "one"), ("pl", 3, "few"), ("pl", 5, "many"), ("pl", 22, "few"), ("pl", 1.5, "other"),
    ("lv", 0, "zero"), ("lv", 21, "one"), ("ga", 2, "two"), ("ga", 7, "many"), ("en", 1, "one"), ("hu", 2, "other"),
])
def test_known_categories(lang, count, expected):
    assert plurals.category(lang, count) == expected


def test_a_language_outside_imi_still_asks_babel():
    assert plurals.categories("ru") == {"one", "few", "many", "other"}
