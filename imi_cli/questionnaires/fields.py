"""Where things live in a question set's data: questions, choices, translatable texts.

Checks, coverage and PO export all walk the same fields; listing them once
keeps them in step. Entries dropped by the structure check (None) are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

SET_TEXT_FIELDS = ("title", "description")
QUESTION_TEXT_FIELDS = ("text", "help")


def questions(data: dict) -> Iterator[tuple[int, dict]]:
    items = data.get("questions")
    for index, question in enumerate(items if isinstance(items, list) else []):
        if isinstance(question, dict):
            yield index, question


def choices(data: dict) -> Iterator[tuple[str, int, dict]]:
    for list_id, entries in (data.get("choice_lists") or {}).items():
        for index, choice in enumerate(entries if isinstance(entries, list) else []):
            if isinstance(choice, dict):
                yield list_id, index, choice


def text_fields(data: dict) -> Iterator[tuple[tuple, str, dict[str, str]]]:
    """Every translatable field: (path, msgctxt, texts by language)."""
    for name in SET_TEXT_FIELDS:
        if isinstance(data.get(name), dict):
            yield (name,), name, data[name]
    for index, question in questions(data):
        for name in QUESTION_TEXT_FIELDS:
            if isinstance(question.get(name), dict):
                yield ("questions", index, name), f"{question.get('id')}.{name}", question[name]
    for list_id, index, choice in choices(data):
        if isinstance(choice.get("label"), dict):
            yield (("choice_lists", list_id, index, "label"),
                   f"{list_id}.{choice.get('code')}.label", choice["label"])


def units(data: dict) -> Iterator[tuple[tuple, dict, dict[str, dict[str, str]]]]:
    """(path, question, unit forms by language) for every question with a unit."""
    for index, question in questions(data):
        if isinstance(question.get("unit"), dict):
            yield ("questions", index, "unit"), question, question["unit"]


def declared_languages(data: dict) -> list[str]:
    """Declared IMI languages (others are reported once, by L001, not per text)."""
    from imi_cli.reference.languages import LANGUAGE_SET

    langs = data.get("languages")
    return [lang for lang in langs if lang in LANGUAGE_SET] if isinstance(langs, list) else []


def source_language(data: dict) -> Any:
    return data.get("source_language")


def label(data: Any, path: tuple) -> str:
    """A path as authors think of it: questions.3.text.de -> "marital_status.text.de"."""
    from imi_cli.i18n import t

    parts = list(path)
    if len(parts) >= 2 and parts[0] == "questions" and isinstance(parts[1], int):
        question = _item(data, "questions", parts[1])
        # Translators: a question of a set that has no id yet, named by its place (1, 2, ...)
        parts[:2] = [question["id"] if question.get("id") else t("question {number}", number=parts[1] + 1)]
    elif len(parts) >= 3 and parts[0] == "choice_lists" and isinstance(parts[2], int):
        choice = _item((data or {}).get("choice_lists") or {}, parts[1], parts[2])
        # Translators: an answer option that has no code yet, named by its place (1, 2, ...)
        parts[:3] = [f"{parts[1]}." + str(choice.get("code") or t("choice {number}", number=parts[2] + 1))]
    return ".".join(str(part) for part in parts)


def _item(container: Any, key: Any, index: int) -> dict:
    items = container.get(key) if isinstance(container, dict) else None
    if isinstance(items, list) and index < len(items) and isinstance(items[index], dict):
        return items[index]
    return {}
