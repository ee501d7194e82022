"""Typography of every text: W001-W006, and I001 (a translation left identical to the source)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from imi_cli.questionnaires.fields import label, text_fields, units
from imi_cli.questionnaires.findings import WARNING, Finding
from imi_cli.questionnaires.loader import Document

URL = re.compile(r"https?://[^\s)\]>\"']+")
DIGITS = re.compile(r"\d+")
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
DOUBLED_SPACE = re.compile(r"(?<=\S) {2,}(?=\S)")
PAIRS = {")": "(", "]": "[", "}": "{"}
BRACKETS = re.compile(r"[()\[\]{}]")
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")  # Unicode category Cc, newline allowed


def _all_texts(data: dict) -> Iterator[tuple[tuple, str, str, dict[str, str]]]:
    """(path, language, text, texts of the same field) for every text, unit forms included."""
    for path, _, texts in text_fields(data):
        for lang, text in texts.items():
            yield path + (lang,), lang, text, texts
    for path, _, forms_by_lang in units(data):
        for lang, forms in forms_by_lang.items():
            for category, text in forms.items():
                yield path + (lang, category), lang, text, {}


def check_text_quality(doc: Document) -> Iterator[Finding]:
    source = doc.data.get("source_language")
    for path, lang, text, texts in _all_texts(doc.data):
        if not text.strip():
            continue  # blank: L002's finding
        name = label(doc.data, path)
        for check, message in _typography(text):
            yield doc.finding(path, check, f"{name} {message}", WARNING)
        original = texts.get(source)
        if lang != source and isinstance(original, str) and original.strip():
            message = _numbers_differ(original, text)
            if message:
                yield doc.finding(path, "W004", f"{name} {message}", WARNING)


def _typography(text: str) -> Iterator[tuple[str, str]]:
    body = text[:-1] if text.endswith("\n") else text  # YAML block scalars end with one newline
    if body != body.strip():
        yield "W001", "has leading or trailing whitespace"
    if DOUBLED_SPACE.search(text):
        yield "W002", "has doubled spaces"
    if not _balanced(PLACEHOLDER.sub("", text)) or not _balanced(text):
        yield "W003", "has unbalanced brackets"
    if not unicodedata.is_normalized("NFC", text):
        yield "W005", "is not NFC-normalised (compose accents: unicodedata.normalize('NFC', text))"
    if CONTROL.search(text):
        yield "W006", "contains control characters"


def _balanced(text: str) -> bool:
    stack: list[str] = []
    for ch in BRACKETS.findall(text):
        if ch in "([{":
            stack.append(ch)
        elif ch in PAIRS:
            if not stack or stack.pop() != PAIRS[ch]:
                return False
    return not stack


def _numbers(text: str) -> tuple[set[str], set[str]]:
    urls = set(URL.findall(text))
    rest = PLACEHOLDER.sub(" ", URL.sub(" ", text))
    return urls, set(DIGITS.findall(rest))


def _numbers_differ(original: str, text: str) -> str:
    (source_urls, source_digits), (urls, digits) = _numbers(original), _numbers(text)
    if urls != source_urls:
        return "has URLs that differ from the source: " + ", ".join(sorted(urls ^ source_urls))
    if digits != source_digits:
        return "has numbers that differ from the source: " + ", ".join(sorted(digits ^ source_digits))
    return ""


def check_identical(doc: Document) -> Iterator[Finding]:
    source = doc.data.get("source_language")
    allowed = set(doc.data.get("allow_identical") or ())
    for path, _, texts in text_fields(doc.data):
        original = texts.get(source)
        if not isinstance(original, str) or original in allowed or not _has_words(original):
            continue
        for lang, text in texts.items():
            if lang != source and text == original:
                yield doc.finding(path + (lang,), "I001",
                                  f"{label(doc.data, path + (lang,))} is identical to the "
                                  f"{source} source; translate it, or list it in allow_identical",
                                  WARNING)


def _has_words(text: str) -> bool:
    return any(ch.isalpha() for ch in PLACEHOLDER.sub("", text))
