"""What `request show`, `alert show` and `notification show` print, in the viewer's language
(issue 15): a unit in the CLDR plural form of its number, numbers and dates as the language
writes them, each answer option with its code, the labels through gettext."""

from __future__ import annotations

from pathlib import Path

import pytest

from imi_cli.exchanges.requests.render import _shown, as_markdown, as_text
from imi_cli.i18n import language
from imi_cli.questionnaires.catalog import load_set
from imi_cli.questionnaires.render import question_view, unit_form

SHIPPED = Path(__file__).parents[2] / "questionnaires" / "pq-verify-qualification.yaml"


@pytest.fixture(scope="module")
def qset():
    return load_set(SHIPPED)


def experience(qset, value, lang: str) -> str:
    question = qset.question("professional_experience")
    return _shown(value, question_view(qset, question, lang))


@pytest.mark.parametrize(("lang", "shown"), [
    ("en", {0: "0 years", 1: "1 year", 2: "2 years", 3: "3 years", 1.5: "1.5 years"}),
    ("pl", {0: "0 lat", 1: "1 rok", 2: "2 lata", 3: "3 lata", 5: "5 lat", 12: "12 lat", 22: "22 lata",
            1.5: "1,5 roku"}),
    ("lv", {0: "0 gadu", 1: "1 gads", 2: "2 gadi", 5: "5 gadi", 11: "11 gadu", 21: "21 gads", 22: "22 gadi"}),
    ("ga", {0: "0 bliain", 1: "1 bhliain", 2: "2 bhliain", 3: "3 bliana", 5: "5 bliana", 7: "7 mbliana",
            11: "11 bliain", 22: "22 bliain"}),
    ("cs", {1: "1 rok", 3: "3 roky", 5: "5 let", 22: "22 let", 1.5: "1,5 roku"}),
    ("ro", {1: "1 an", 3: "3 ani", 22: "22 de ani"}),
    ("mt", {1: "1 sena", 2: "2 sentejn", 3: "3 snin", 11: "11 sena"}),
    ("sl", {1: "1 leto", 2: "2 leti", 3: "3 leta", 5: "5 let"}),
    ("no", {1: "1 år", 3: "3 år"}),  # IMI's "no" is CLDR's "nb"
])
def test_a_unit_takes_the_plural_form_of_its_number(qset, lang: str, shown: dict) -> None:
    assert {n: experience(qset, n, lang) for n in shown} == shown


def test_a_whole_number_stored_as_a_float_is_that_number(qset) -> None:
    assert (experience(qset, 1.0, "en"), experience(qset, 22.0, "pl")) == ("1 year", "22 lata")


def test_unit_form_follows_the_number(qset) -> None:
    question = qset.question("professional_experience")
    assert [unit_form(question, "pl", n) for n in (1, 3, 5, 22, 1.5, 3.0)] == ["rok", "lata", "lat", "lata",
                                                                              "roku", "lata"]
    assert unit_form(question, "xx", 3) == "years"  # a language without forms: English


def test_a_number_without_unit_is_written_as_the_language_writes_it() -> None:
    assert _shown(1234.5, {"lang": "hu"}) == "1\xa0234,5"
    assert _shown(100.0, {"lang": "en"}) == "100"
    assert _shown(True, {"lang": "en"}) == "True"


def view(**changed) -> dict:
    base = {"id": "r1", "state": "sent", "area": "professional-qualifications", "requester": "IE-RIAI",
            "responder": "HU-MEK", "subject": "Architect's qualification", "subject_lang": "en",
            "deadline": "2027-01-31", "proposed_deadline": None, "days_left": 62,
            "questionnaire": "pq-verify-qualification 1.0", "lang": "en",
            "person": {"applicant_name": "Nagy Béla", "field 1": "[erased]"},
            "questions": [{"text": "Is the document authentic?", "options": [
                {"code": "authentic", "label": "Authentic"}, {"code": "not_authentic", "label": "Not authentic"}]},
                {"text": "How long?", "answer": "3 years"}],
            "comments": [], "attachments": [{"name": "diploma.pdf", "size": 1, "sha256": "ab" * 32},
                                            {"name": "cv.pdf", "sha256": None, "content": "erased"}],
            "about_alert": None, "history": [{"at": "2026-12-01T09:00:00.000Z", "type": "request.sent",
                                              "authority": "IE-RIAI", "user": "ie.murphy"},
                                             {"at": "2026-12-02T09:00:00.000Z", "type": "request.reminded",
                                              "authority": None, "user": ""}]}
    return {**base, **changed}


@pytest.fixture
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    import time

    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_request_show_in_english(utc) -> None:
    lines = as_text(view()).splitlines()
    assert lines[0] == "Architect's qualification  [sent]"
    assert lines[2] == "deadline Jan 31, 2027 (in 62 days)"
    assert lines[3] == "person concerned: applicant_name: Nagy Béla, field 1: [erased]"
    assert "   ( ) Authentic  = authentic" in lines and "   ( ) Not authentic  = not_authentic" in lines
    assert "attachment: diploma.pdf (1 byte, sha256 abababababab…)" in lines
    assert "attachment: cv.pdf [erased]" in lines
    assert lines[lines.index("history:") + 1].startswith("  Dec 1, 2026, 9:00:00\u202fAM  sent ")
    assert lines[-1].rstrip().endswith("hub")


@pytest.mark.parametrize(("left", "line"), [
    (0, "deadline Jan 31, 2027 (today)"), (-3, "deadline Jan 31, 2027 (overdue by 3 days)"),
    (None, "deadline Jan 31, 2027")])
def test_the_deadline_line(left, line: str) -> None:
    assert as_text(view(days_left=left)).splitlines()[2] == line


def test_a_subject_in_another_language_carries_its_tag() -> None:
    assert as_text(view(subject_lang="de", lang="hu")).splitlines()[0].startswith("Architect's qualification [de]  [")
    assert as_text(view(subject_lang="hu", lang="hu")).splitlines()[0].startswith("Architect's qualification  [")
    assert as_markdown(view(subject_lang="de")).startswith("# Architect's qualification [de]\n")


def test_request_show_writes_dates_in_the_interface_language(utc) -> None:
    with language("hu"):
        text = as_text(view(lang="hu"))
        markdown = as_markdown(view(lang="hu"))
    assert "2027. jan. 31." in text and "62 nap múlva" in text
    assert "2026. dec. 1. 9:00:00" in text
    assert "2027. jan. 31." in markdown and "2027-01-31" not in markdown


def test_markdown_export_in_english(utc) -> None:
    text = as_markdown(view())
    assert "- State: sent\n" in text and "- Deadline: Jan 31, 2027\n" in text
    assert "## Questions" in text and "## History" in text
    assert "- Dec 1, 2026, 9:00:00\u202fAM request.sent by IE-RIAI ie.murphy" in text
