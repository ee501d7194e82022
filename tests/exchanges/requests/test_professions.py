"""A profession given as a code reads in each viewer's language; free text stays as written."""

from __future__ import annotations

import pytest

from imi_cli.exchanges.requests.render import as_text, request_view
from imi_cli.reference.languages import LANGUAGES
from imi_cli.reference.professions import names, shown


def _request(profession: str) -> dict:
    return {"id": "r1", "state": "sent", "area": "professional-qualifications", "requester": "IE-RIAI",
            "responder": "HU-MEK", "deadline": None, "proposed_deadline": None,
            "record": {"questionnaire": "pq-verify-qualification", "qversion": "1.0",
                       "questions": ["access_to_profession"], "subject": "Check",
                       "person": {"applicant_name": "Nagy Béla", "profession": profession}}}


@pytest.mark.parametrize("lang,name", [("en", "architect"), ("hu", "építész"), ("de", "Architekt"),
                                       ("mt", "perit"), ("el", "αρχιτέκτονας")])
def test_a_profession_code_is_read_in_the_viewers_language(lang, name):
    view = request_view(_request("architect"), [], lang)
    (question,) = view["questions"]
    assert name in question["text"] and "{profession}" not in question["text"]
    assert view["person"]["profession"] == name
    assert f"profession: {name}" in as_text(view)


def test_free_text_is_shown_as_written():
    view = request_view(_request("landscape gardener"), [], "hu")
    assert "landscape gardener" in view["questions"][0]["text"]
    assert shown("Architect", "hu") == "építész"  # codes are matched without regard to case


def test_every_profession_is_named_in_every_imi_language_and_no_two_alike():
    for code, by_lang in names().items():
        assert set(by_lang) == set(LANGUAGES), code
        assert all(isinstance(v, str) and v.strip() == v and v for v in by_lang.values()), code
    for lang in LANGUAGES:
        labels = [by_lang[lang] for by_lang in names().values()]
        assert len(set(labels)) == len(labels), lang
