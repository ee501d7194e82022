"""Answers to a question set: checked, and turned into language-neutral values.

Choices are stored as codes, yes/no as "yes"/"no", dates as ISO text and
numbers as numbers, so an answer given in Greek reads the same in Finnish.
Only free text keeps a language: {"text": ..., "lang": ...}.

A choice (and yes/no) may be typed by its code or by its label in the user's language
(``Hiteles`` for ``authentic`` in Hungarian), case and diacritics folded; it is stored as
its code.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

from imi_cli.errors import InvalidInput, Problem
from imi_cli.i18n import _, formats, t
from imi_cli.questionnaires.model import YES_NO_CODES, Question, QuestionSet
from imi_cli.reference.languages import is_language

SHORT_TEXT_MAX = 500


class _Bad(ValueError):
    """An answer that does not fit its question; the message says why."""


def validate_answers(qset: QuestionSet, answers: dict[str, Any], lang: str) -> dict[str, Any]:
    """Every answer checked against ``qset``; free text is tagged with ``lang`` unless tagged.

    Raises InvalidInput listing every problem: unknown questions, wrong values,
    required questions left out, answers to questions their condition skips.
    """
    problems = [Problem(qset.id, qid, _("no such question in this set"))
                for qid in answers if qid not in {q.id for q in qset.questions}]
    values: dict[str, Any] = {}
    for question in qset.questions:
        given = answers.get(question.id)
        asked = _is_asked(question, values)
        if given is None or given == "" or given == []:
            if asked and question.required:
                problems.append(Problem(qset.id, question.id, _("an answer is required")))
            continue
        if not asked:
            problems.append(Problem(qset.id, question.id, _skipped(question)))
            continue
        try:
            values[question.id] = normalise(qset, question, given, lang)
        except _Bad as bad:
            problems.append(Problem(qset.id, question.id, str(bad)))
    if problems:
        raise InvalidInput(t("the answers do not fit question set {id!r}", id=qset.id), problems=problems)
    return values


def _is_asked(question: Question, values: dict[str, Any]) -> bool:
    """Asked when it has no condition, or the earlier answer it depends on matches."""
    when = question.enable_when
    if when is None:
        return True
    answer = values.get(when.question)
    return when.equals in answer if isinstance(answer, list) else answer == when.equals


def _skipped(question: Question) -> str:
    when = question.enable_when
    assert when is not None
    return t("not asked unless {question} is {answer!r}; leave it out", question=when.question, answer=when.equals)


def normalise(qset: QuestionSet, question: Question, value: Any, lang: str) -> Any:
    """One answer as a language-neutral value; raises _Bad with a reason."""
    return NORMALISERS[question.type](qset, question, value, lang)


def _yes_no(qset: QuestionSet, question: Question, value: Any, lang: str) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value in YES_NO_CODES:
        return value
    return _choice(qset, question, value, lang)


def _fold(text: str) -> str:
    """``text`` as it is compared with a code or a label: case and diacritics folded
    ("HITELES" and "hiteles" are "Hiteles"; "γνησιος" is "Γνήσιος")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split())


def _choice(qset: QuestionSet, question: Question, value: Any, lang: str) -> str:
    """The code of the option ``value`` names: its code, else its code or its label in
    ``lang`` folded; none or several is a _Bad that lists the options."""
    from imi_cli.questionnaires.render import options
    from imi_cli.reference.languages import pick

    shown = [(code, pick(labels, lang, qset.source_language)[0]) for code, labels in options(qset, question)]
    if isinstance(value, str) and value in {code for code, _label in shown}:
        return value
    folded = _fold(value) if isinstance(value, str) else None
    found = [(code, label) for code, label in shown if folded in (_fold(code), _fold(label))]
    if len(found) == 1:
        return found[0][0]
    if found:
        # Translators: the options are listed as "code = label; code = label"
        raise _Bad(t("{value!r} matches more than one option: {options}; give its code", value=value,
                     options="; ".join(f"{code} = {label}" for code, label in found)))
    # Translators: the options are listed as "code (label), code (label)"
    raise _Bad(t("{value!r} is not one of the options: {options}", value=value,
                 options=", ".join(f"{code} ({label})" for code, label in shown)))


def _single(qset: QuestionSet, question: Question, value: Any, lang: str) -> str:
    return _choice(qset, question, value, lang)


def _multiple(qset: QuestionSet, question: Question, value: Any, lang: str) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        raise _Bad(_("give a list of codes"))
    codes = [_choice(qset, question, item, lang) for item in items]
    if len(set(codes)) != len(codes):
        raise _Bad(_("a code is given twice"))
    return codes


def _text(qset: QuestionSet, question: Question, value: Any, lang: str) -> dict[str, str]:
    if isinstance(value, dict):
        text, lang = value.get("text"), value.get("lang", lang)
    else:
        text = value
    if not isinstance(text, str) or not text.strip():
        raise _Bad(_("give a text"))
    if not is_language(lang):
        raise _Bad(t("{code!r} is not an IMI language code", code=lang))
    if question.type == "short_text" and ("\n" in text or len(text) > SHORT_TEXT_MAX):
        raise _Bad(t("a short text is one line of at most {n} characters", n=SHORT_TEXT_MAX))
    return {"text": text, "lang": lang}


def _date(qset: QuestionSet, question: Question, value: Any, lang: str) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise _Bad(t("{value!r} is not a date as YYYY-MM-DD", value=value)) from None


def _number(qset: QuestionSet, question: Question, value: Any, lang: str) -> int | float:
    if isinstance(value, bool):
        raise _Bad(_("give a number"))
    try:
        number = value if isinstance(value, (int, float)) else float(str(value))
    except ValueError:
        raise _Bad(t("{value!r} is not a number (use a dot for decimals)", value=value)) from None
    if isinstance(number, float) and number.is_integer():
        number = int(number)
    if question.min is not None and number < question.min:
        raise _Bad(t("{number} is below the minimum {min}", number=formats.number(number),
                     min=formats.number(question.min)))
    if question.max is not None and number > question.max:
        raise _Bad(t("{number} is above the maximum {max}", number=formats.number(number),
                     max=formats.number(question.max)))
    return number


def _document(qset: QuestionSet, question: Question, value: Any, lang: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Bad(_("give a document reference"))
    return value


NORMALISERS = {"yes_no": _yes_no, "single_choice": _single, "multiple_choice": _multiple,
               "short_text": _text, "long_text": _text, "date": _date, "number": _number,
               "document": _document}
