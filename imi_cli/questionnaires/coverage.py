"""How much of each question set is translated into each IMI language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from imi_cli.questionnaires.fields import text_fields, units
from imi_cli.reference.languages import LANGUAGES, plural_categories


def translated(data: dict) -> dict[str, tuple[int, int]]:
    """language -> (texts translated, texts to translate); a unit counts as one text."""
    source = str(data.get("source_language"))
    fields = [texts for _, _, texts in text_fields(data) if _filled(texts.get(source))]
    unit_maps = [forms for _, _, forms in units(data)]
    total = len(fields) + len(unit_maps)
    return {lang: (sum(_filled(texts.get(lang)) for texts in fields)
                   + sum(_unit_done(forms.get(lang), lang) for forms in unit_maps), total)
            for lang in LANGUAGES}


def _filled(text: Any) -> bool:
    return isinstance(text, str) and bool(text.strip())


def _unit_done(forms: Any, lang: str) -> bool:
    return (isinstance(forms, dict) and set(forms) >= plural_categories(lang)
            and all(_filled(forms[c]) for c in plural_categories(lang)))


def coverage_rows(files: list[Path]) -> list[dict[str, Any]]:
    """One row per set: its id and the percent translated per language."""
    from imi_cli.questionnaires.catalog import display_name
    from imi_cli.questionnaires.loader import parse

    rows = []
    for path in files:
        doc = parse(path.read_text(encoding="utf-8"), display_name(path))
        if not isinstance(doc.data, dict):
            continue
        counts = translated(doc.data)
        rows.append({"id": doc.data.get("id", path.stem), "file": doc.file,
                     "percent": {lang: _percent(*counts[lang]) for lang in LANGUAGES}})
    return rows


def _percent(done: int, total: int) -> int:
    return 100 if total == 0 else int(100 * done / total)  # floor: 99.6% is not done
