"""Languages and translations: L001-L003, P001 (placeholders), N001 (plural forms)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from imi_cli.questionnaires.fields import declared_languages, label, text_fields, units
from imi_cli.questionnaires.findings import Finding
from imi_cli.questionnaires.loader import Document
from imi_cli.reference.languages import LANGUAGE_SET, plural_categories

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def check_languages(doc: Document) -> Iterator[Finding]:
    declared, source = doc.data.get("languages") or [], doc.data.get("source_language")
    for index, lang in enumerate(declared):
        if isinstance(lang, str) and lang not in LANGUAGE_SET:
            yield doc.finding(("languages", index), "L001", f"{lang!r} is not an IMI language code")
    if source is None:
        return
    if source not in LANGUAGE_SET:
        yield doc.finding(("source_language",), "L001", f"{source!r} is not an IMI language code")
    elif "languages" in doc.data and source not in declared:
        yield doc.finding(("source_language",), "L003",
                          f"source language {source!r} is not among the declared languages")


def check_translations(doc: Document) -> Iterator[Finding]:
    declared = declared_languages(doc.data)
    for path, _, texts in text_fields(doc.data):
        yield from _translations(doc, path, texts, declared, "")
    for path, _, forms_by_lang in units(doc.data):
        for lang, forms in forms_by_lang.items():
            yield from _translations(doc, path + (lang,), forms, [], f" ({lang} unit)")
        yield from _translations(doc, path, forms_by_lang, declared, "", blank_ok=True)


def _translations(doc: Document, path: tuple, texts: dict, declared: list[str], what: str,
                  blank_ok: bool = False) -> Iterator[Finding]:
    """Keys of ``texts`` are languages unless ``declared`` is empty (then plural categories)."""
    name = label(doc.data, path)
    for lang in declared:
        if lang not in texts:
            yield doc.finding(path, "L002", f"{name} has no {lang} translation")
    for key, text in texts.items():
        if not blank_ok and isinstance(text, str) and not text.strip():
            yield doc.finding(path + (key,), "L002", f"{name}.{key}{what} is blank")
        if not declared:
            continue
        if key not in LANGUAGE_SET:
            yield doc.finding(path + (key,), "L001", f"{key!r} in {name} is not an IMI language code",
                              on_key=True)
        elif key not in declared:
            yield doc.finding(path + (key,), "L003", f"{name} has a {key} text but {key} is not "
                                                     "among the declared languages", on_key=True)


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def check_placeholders(doc: Document) -> Iterator[Finding]:
    source = doc.data.get("source_language")
    for path, _, texts in text_fields(doc.data):
        if not isinstance(texts.get(source), str):
            continue
        expected = placeholders(texts[source])
        for lang, text in texts.items():
            if lang == source:
                continue
            found = placeholders(text)
            if found != expected:
                yield doc.finding(path + (lang,), "P001", _placeholder_message(
                    label(doc.data, path + (lang,)), expected - found, found - expected))


def _placeholder_message(name: str, missing: set[str], extra: set[str]) -> str:
    parts = []
    if missing:
        parts.append("lacks " + ", ".join("{" + p + "}" for p in sorted(missing)))
    if extra:
        parts.append("has " + ", ".join("{" + p + "}" for p in sorted(extra))
                     + " not in the source")
    return f"{name} " + " and ".join(parts)


def categories(lang: str) -> frozenset[str]:
    """The CLDR plural categories of ``lang`` (precomputed: imi_cli.reference.plurals; loading
    Babel's locale data for 26 languages cost ~60 ms of a validation that aims at under a second)."""
    return plural_categories(lang)


def check_plural_forms(doc: Document) -> Iterator[Finding]:
    for path, _, forms_by_lang in units(doc.data):
        for lang, forms in forms_by_lang.items():
            if lang not in LANGUAGE_SET or not isinstance(forms, dict):
                continue
            expected, given = categories(lang), set(forms)
            if given != expected:
                yield doc.finding(path + (lang,), "N001", _plural_message(lang, expected, given))


def _plural_message(lang: str, expected: frozenset[str], given: set[str]) -> str:
    parts = [f"{lang} unit needs exactly the plural forms " + ", ".join(sorted(expected))]
    if expected - given:
        parts.append("missing " + ", ".join(sorted(expected - given)))
    if given - expected:
        parts.append("not used in " + lang + ": " + ", ".join(sorted(given - expected)))
    return "; ".join(parts)
