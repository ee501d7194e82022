"""A valid question set in all 26 IMI languages, for tests.

TEST DATA ONLY: the "translations" are the English text tagged with the
language code, generated here so tests need no real translations. Shipped
catalogs (questionnaires/*.yaml) carry real ones.
"""

from __future__ import annotations

from pathlib import Path

from imi_cli.reference.languages import LANGUAGES, plural_categories

SET_ID = "test-sample"


# The German of the texts the sample shares with fixtures/small-valid.yaml: tests validate the
# two in one folder, where one English text must read the same in every catalog (G002).
SMALL_VALID_DE = {
    "Verify a qualification": "Eine Qualifikation prüfen", "Authentic": "Echt",
    "Not authentic": "Nicht echt", "Remarks": "Bemerkungen",
    "Is the person established in your country?": "Ist die Person in Ihrem Land niedergelassen?",
    "How long has the person worked?": "Wie lange hat die Person gearbeitet?",
}


def _tr(english: str) -> dict[str, str]:
    texts = {code: english if code == "en" else f"{english} [{code}]" for code in LANGUAGES}
    texts["de"] = SMALL_VALID_DE.get(english, texts["de"])
    return texts


def sample_data(set_id: str = SET_ID) -> dict:
    unit = {lang: {cat: f"year-{cat}" if lang == "en" else f"year-{cat}-{lang}"
                   for cat in sorted(plural_categories(lang))} for lang in LANGUAGES}
    return {
        "schema": 1, "id": set_id, "version": "1.0", "status": "published",
        "area": "professional-qualifications", "source_language": "en",
        "languages": list(LANGUAGES),
        "title": _tr("Verify a qualification"),
        "description": _tr("Questions about a diploma (Directive 2005/36/EC)."),
        "choice_lists": {"authenticity": [
            {"code": "authentic", "label": _tr("Authentic")},
            {"code": "not_authentic", "label": _tr("Not authentic")},
        ], "languages_spoken": [
            {"code": "fr", "label": _tr("French")},
            {"code": "de", "label": _tr("German")},
        ]},
        "questions": [
            {"id": "document_authentic", "type": "single_choice", "required": True,
             "personal_data": False, "choices": "authenticity",
             "text": _tr("Is the diploma of {applicant_name} authentic?"),
             "help": _tr("Compare it with your register.")},
            {"id": "person_established", "type": "yes_no", "required": True,
             "personal_data": False, "text": _tr("Is the person established in your country?")},
            {"id": "years_experience", "type": "number", "required": True, "personal_data": True,
             "text": _tr("How long has the person worked?"), "unit": unit, "min": 0, "max": 80,
             "enable_when": {"question": "person_established", "equals": "no"}},
            {"id": "spoken", "type": "multiple_choice", "required": False, "personal_data": True,
             "choices": "languages_spoken", "text": _tr("Which languages does the person speak?")},
            {"id": "decided_on", "type": "date", "required": False, "personal_data": False,
             "text": _tr("When was the diploma awarded?")},
            {"id": "remarks", "type": "long_text", "required": False, "personal_data": True,
             "text": _tr("Remarks")},
        ],
    }


def write_sample(folder: Path, set_id: str = SET_ID, data: dict | None = None) -> Path:
    import yaml

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{set_id}.yaml"
    text = "# TEST DATA: generated translations, see tests/questionnaires/sample_catalog.py\n"
    path.write_text(text + yaml.safe_dump(data or sample_data(set_id), allow_unicode=True,
                                          sort_keys=False, width=1000), encoding="utf-8")
    return path
