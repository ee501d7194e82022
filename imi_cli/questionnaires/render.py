"""A question set shown in one language: texts, answer options, units."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from imi_cli.i18n import N_
from imi_cli.questionnaires.model import Question, QuestionSet, Texts
from imi_cli.reference.languages import pick


@lru_cache(maxsize=1)
def yes_no_labels() -> dict[str, Texts]:
    """Built-in labels of yes_no answers: {"yes": {lang: label}, "no": {...}}."""
    from importlib import resources

    from imi_cli.bulk.yaml_loader import load

    text = resources.files("imi_cli.reference.data").joinpath("yes_no.yaml").read_text(encoding="utf-8")
    return load(text, "yes_no.yaml")


def options(qset: QuestionSet, question: Question) -> list[tuple[str, Texts]]:
    """(code, labels) of every answer option; empty for questions without options."""
    if question.type == "yes_no":
        labels = yes_no_labels()
        return [("yes", labels["yes"]), ("no", labels["no"])]
    return [(choice.code, choice.label) for choice in qset.options(question)]


def unit_form(question: Question, lang: str, count: float) -> str:
    """The unit in the plural form ``count`` takes in ``lang`` (CLDR rules via Babel)."""
    forms, used = pick_forms(question, lang)
    return unit_word(forms, used, count)


def unit_word(forms: dict[str, str], lang: str, count: float) -> str:
    """The form of ``forms`` (CLDR category -> word) the number ``count`` takes in ``lang``
    (pl: 1 rok, 3 lata, 5 lat, 22 lata, 1.5 roku); ``other`` where the category has none."""
    return forms.get(plural_category(lang, count)) or forms.get("other", "")


def plural_category(lang: str, count: float) -> str:
    """The CLDR plural category of ``count`` in ``lang`` ("one", "few", "many", "other", ...).
    A whole number stored as a float (3.0) is that whole number."""
    from babel import UnknownLocaleError

    from imi_cli.reference.plurals import category

    if isinstance(count, float) and count.is_integer():
        count = int(count)
    try:
        return category(lang, abs(count))
    except (UnknownLocaleError, ValueError, TypeError):
        return "other"


def quantity(value: float, forms: dict[str, str], lang: str) -> str:
    """A number and its unit as ``lang`` writes them ("3 lata", "1,5 roku")."""
    from imi_cli.i18n import formats, language

    with language(lang):
        number = formats.number(value)
    return f"{number} {unit_word(forms, lang, value)}".strip()


def pick_forms(question: Question, lang: str) -> tuple[dict[str, str], str]:
    for code in (lang, "en", *question.unit):
        if code in question.unit:
            return question.unit[code], code
    return {}, lang


def question_view(qset: QuestionSet, question: Question, lang: str) -> dict[str, Any]:
    text, used = pick(question.text, lang, qset.source_language)
    view: dict[str, Any] = {"id": question.id, "type": question.type, "required": question.required,
                            "personal_data": question.personal_data, "text": text, "lang": used}
    if question.help:
        view["help"] = pick(question.help, lang, qset.source_language)[0]
    if question.type in ("yes_no", "single_choice", "multiple_choice"):
        view["options"] = [{"code": code, "label": pick(labels, lang, qset.source_language)[0]}
                           for code, labels in options(qset, question)]
    if question.unit:
        view["unit"] = pick_forms(question, lang)[0]
    view.update({key: getattr(question, key) for key in ("min", "max")
                 if getattr(question, key) is not None})
    if question.enable_when:
        view["enable_when"] = {"question": question.enable_when.question,
                               "equals": question.enable_when.equals}
    return view


def set_view(qset: QuestionSet, lang: str) -> dict[str, Any]:
    title, used = pick(qset.title, lang, qset.source_language)
    view: dict[str, Any] = {"id": qset.id, "version": qset.version, "status": qset.status, "area": qset.area,
            "lang": used, "title": title,
            "description": pick(qset.description, lang, qset.source_language)[0],
            "questions": [question_view(qset, q, lang) for q in qset.questions]}
    if qset.notification:  # a kind of notification: its clock and the decisions it is closed with
        block = qset.notification
        view["notification"] = {
            **{k: block[k] for k in ("examination_months", "reminder_days_before") if k in block},
            "decisions": [{"code": c.code, "label": pick(c.label, lang, qset.source_language)[0]}
                          for c in qset.choice_lists.get(block.get("decisions", ""), ())]}
    return view


def as_text(view: dict[str, Any]) -> str:
    """The set view as plain text for a terminal or a pager (a catalog is a file anyone may
    propose: no control or bidirectional character of it acts on the terminal). Each answer
    option shows its label and, beside it, the code an answer may also be typed as."""
    from imi_cli.i18n import _, nt, t
    from imi_cli.safe_text import safe_text as safe

    status = _(STATUSES[view["status"]]) if view["status"] in STATUSES else view["status"]
    lines = [safe(f"{view['title']}  ({view['id']} {view['version']}, {status}, {view['lang']})")]
    if view["description"]:
        lines.append(safe(view["description"], multiline=True))
    for number, question in enumerate(view["questions"], 1):
        lines += [""] + _question_lines(number, question)
    notification = view.get("notification")
    if notification:
        months = notification.get("examination_months")
        kind = f"imi notification new --kind {view['id']}"
        lines += ["", safe(nt("A kind of notification ({command}); examined within {n} month. Closed with one of:",
                              "A kind of notification ({command}); examined within {n} months. Closed with one of:",
                              months, command=kind) if months else
                           t("A kind of notification ({command}). Closed with one of:", command=kind))]
        lines += [safe(f"   {d['label']}  = {d['code']}") for d in notification["decisions"]]
    return "\n".join(lines) + "\n"


# a question set's status as a person reads it (the catalog keeps the code)
STATUSES = {"draft": N_("draft"), "published": N_("published"), "retired": N_("retired")}


def _question_lines(number: int, q: dict[str, Any]) -> list[str]:
    from imi_cli.safe_text import safe_text

    return [safe_text(line, multiline=True).replace("\n", "\n   ") for line in _raw_lines(number, q)]


def _raw_lines(number: int, q: dict[str, Any]) -> list[str]:
    from imi_cli.i18n import _, formats, t

    flags = ", ".join([q["type"]] + [_("required")] * q["required"] + [_("personal data")] * q["personal_data"])
    lines = [f"{number}. {q['text']}  [{q['id']}: {flags}]"]
    if "help" in q:
        lines.append(f"   {q['help'].strip()}")
    if "enable_when" in q:
        lines.append("   " + t("only if {question} = {answer}", question=q["enable_when"]["question"],
                                answer=q["enable_when"]["equals"]))
    lines += [f"   ( ) {o['label']}  = {o['code']}" for o in q.get("options", [])]
    if "unit" in q or "min" in q or "max" in q:
        bounds = "..".join(formats.number(q[key]) if key in q else "" for key in ("min", "max"))
        lines.append("   " + t("number {bounds} {unit}", bounds=bounds,
                                unit=q.get("unit", {}).get("other", "")).rstrip())
    return lines
