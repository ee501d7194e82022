"""The IMI languages: the 24 official EU languages plus Icelandic and Norwegian."""

from __future__ import annotations

from functools import cache

LANGUAGES: tuple[str, ...] = (
    "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr", "hu",
    "it", "lt", "lv", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv", "is", "no",
)
LANGUAGE_SET = frozenset(LANGUAGES)
DEFAULT_LANGUAGE = "en"


def is_language(code: str) -> bool:
    return code in LANGUAGE_SET


@cache
def language_name(code: str, viewer: str = DEFAULT_LANGUAGE) -> str:
    """The name of language ``code`` in the viewer's language, via Babel."""
    from babel import Locale

    name = Locale.parse(code).get_display_name(viewer)
    return name or code


def plural_categories(code: str) -> frozenset[str]:
    """CLDR plural categories of a language (always including 'other'), precomputed from Babel's
    data (imi_cli.reference.plurals)."""
    from imi_cli.reference.plurals import categories

    return categories(code)


def pick(texts: dict[str, str], lang: str, fallback: str = DEFAULT_LANGUAGE) -> tuple[str, str]:
    """Text in ``lang`` if present, else the fallback, else any; returns (text, its language)."""
    for code in (lang, fallback):
        if texts.get(code):
            return texts[code], code
    for code, text in texts.items():
        if text:
            return text, code
    return "", lang
