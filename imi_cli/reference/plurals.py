"""The CLDR plural rules of the 26 IMI languages, kept precomputed in ``data/plural_rules.json``.

Asking Babel for a language's rule loads its whole locale file (and what it inherits): 2-3 ms
a language, ~60 ms for the 26 a catalog validation needs. The rule texts are a few hundred
bytes, so they are written once from Babel's CLDR data (``python -m imi_cli.reference.plurals``)
and read here; a test checks them against the installed Babel, so an upgrade that changes CLDR
is noticed, not silently ignored.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babel.plural import PluralRule

DATA = Path(__file__).with_name("data") / "plural_rules.json"


@cache
def rules() -> dict[str, dict[str, str]]:
    """{IMI language: {CLDR category: rule text}} (``other`` is implied, as in CLDR)."""
    return json.loads(DATA.read_text(encoding="utf-8"))


def categories(lang: str) -> frozenset[str]:
    """The plural categories ``lang`` uses, always including ``other``."""
    return _categories(lang)


@cache
def _categories(lang: str) -> frozenset[str]:
    known = rules().get(lang)
    if known is None:  # not an IMI language: ask Babel (raises for an unknown locale)
        return frozenset(_babel_rule(lang).tags) | {"other"}
    return frozenset(known) | {"other"}


@cache
def rule(lang: str) -> PluralRule:
    from babel.plural import PluralRule

    known = rules().get(lang)
    return PluralRule(known) if known is not None else _babel_rule(lang)


def category(lang: str, count: float) -> str:
    """The CLDR category of ``count`` in ``lang``: "one", "few", "many", "other", ..."""
    return str(rule(lang)(count))


def _babel_rule(lang: str) -> PluralRule:
    from babel import Locale

    return Locale.parse(lang).plural_form


def from_babel() -> dict[str, dict[str, str]]:
    """The rule texts as the installed Babel's CLDR data gives them."""
    from imi_cli.i18n.formats import locale
    from imi_cli.reference.languages import LANGUAGES

    return {code: dict(sorted(_babel_rule(locale(code)).rules.items())) for code in LANGUAGES}


if __name__ == "__main__":  # regenerate data/plural_rules.json after a Babel upgrade
    DATA.write_text(json.dumps(from_babel(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {DATA}")
