"""A request shown in the viewer's language: questions, options and answers from the
language-neutral values; free text with the language it was written in.

Every value another authority wrote reaches the text through ``safe_text`` (no control or
bidirectional character acts on the terminal), and a value of the wrong type (a store may
hold data from before the hub checked types) is shown as it is, never a crash."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from imi_cli.i18n import N_, _, nt, t
from imi_cli.log.disclosures import BLOCKED, ERASED, MARKERS, WITHHELD
from imi_cli.safe_text import display, safe_text

if TYPE_CHECKING:
    from imi_cli.questionnaires.model import QuestionSet


def request_view(request: dict[str, Any], history: list[dict[str, Any]], lang: str,
                 qset: QuestionSet | None = None) -> dict[str, Any]:
    """``qset``: the request's question set (default: the version it was made with, from the
    process's catalogs)."""
    from imi_cli.questionnaires.catalog import find_set
    from imi_cli.questionnaires.render import question_view

    record = request["record"]
    qset = qset or find_set(record["questionnaire"], record["qversion"])
    asked = [q for q in qset.questions if q.id in record["questions"]]
    rounds = [r for r in record.get("answers") or [] if isinstance(r, dict)]
    latest = rounds[-1].get("values") if rounds else {}
    latest = latest if isinstance(latest, dict) else {}
    person = _person(record.get("person") or {}, lang)
    hidden = _hidden(latest)
    questions = []
    for q in asked:
        view = question_view(qset, q, lang)
        view["text"] = _fill(view["text"], person)
        if q.id in latest:
            view["answer"] = _shown(latest[q.id], view)
        elif hidden and q.personal_data and rounds:  # its disclosure was erased or withheld
            view["answer"] = hidden
        questions.append(view)
    return {"id": request["id"], "state": request["state"], "area": request["area"],
            "requester": request["requester"], "responder": request["responder"], "subject": record["subject"],
            "subject_lang": request.get("subject_lang") or record.get("subject_lang"),
            "deadline": request.get("deadline"), "proposed_deadline": request.get("proposed_deadline"),
            "days_left": _days_left(request), "questionnaire": f"{qset.id} {record['qversion']}",
            "lang": lang, "person": person, "questions": questions,
            "comments": _dicts(record.get("comments"), "text"), "answer_rounds": len(rounds),
            "attachments": _dicts(record.get("attachments"), "name"), "hops": record.get("hops", []),
            "rating": record.get("rating"), "about_alert": record.get("about_alert"), "history": history}


def _dicts(items: Any, key: str) -> list[dict[str, Any]]:
    """A stored list of records (comments, attachments); an item that is not a record is
    shown as the ``key`` of one."""
    return [i if isinstance(i, dict) else {key: display(i)} for i in items or [] if i is not None] \
        if isinstance(items, list) else []


def _person(person: Any, lang: str) -> dict[str, Any]:
    """What is said of the person, as the viewer reads it: a profession given as a code of the
    Directive's sectoral professions is named in the viewer's language."""
    from imi_cli.reference.professions import shown

    if not isinstance(person, dict):
        person = {"person": person}
    out = {key: shown(value, lang) if key == "profession" and isinstance(value, str) else value
           for key, value in person.items() if key not in MARKERS}
    # Fields whose disclosure this store does not hold: their names went with their values.
    hidden = [_LABEL[m] for m in MARKERS for _ in range(_count(person.get(m)))]
    out.update({f"field {n}": label for n, label in enumerate(hidden, 1)})
    return out


# what stands for a value this store does not hold: kept in the view (and its JSON) as it is,
# translated where a person reads it (``hidden_label``)
_LABEL = {ERASED: N_("[erased]"), WITHHELD: N_("[withheld]"), BLOCKED: N_("[blocked]")}


def field_label(key: str) -> str:
    """A key of the person concerned as a reader sees it: "field 2" (a field whose name went
    with its value) in the interface language, any other key as it is."""
    number = key[len("field "):] if key.startswith("field ") else ""
    return t("field {n}", n=number) if number.isdigit() else key


def hidden_label(value: Any) -> Any:
    """``value`` translated if it stands for a value not held here ("[erased]"), else as it is."""
    return _(value) if isinstance(value, str) and value in _LABEL.values() else value


def _count(value: Any) -> int:
    try:
        return max(0, min(int(value or 0), 1000))
    except (TypeError, ValueError):
        return 0


def _hidden(values: dict[str, Any]) -> str | None:
    """"[erased]", "[blocked]" or "[withheld]" if some personal answers of this round are not shown here."""
    return next((_LABEL[m] for m in MARKERS if values.get(m)), None)


def _fill(text: str, person: dict[str, Any]) -> str:
    for key, value in person.items():
        text = text.replace("{" + str(key) + "}", display(value))
    return text


def _days_left(request: dict[str, Any]) -> int | None:
    from imi_cli.exchanges.requests.views import as_date
    from imi_cli.log import clock

    day = as_date(request.get("deadline"))
    if day is None or request["state"] in ("closed", "withdrawn", "answered", "draft"):
        return None
    return (day - clock.now().date()).days


def _shown(value: Any, view: dict[str, Any]) -> str:
    """A stored value in the viewer's language: codes become labels; free text keeps its tag;
    a number is written as the language writes it, its unit in the plural form the number takes
    (pl: 1 rok, 3 lata, 5 lat)."""
    from imi_cli.i18n import formats, language
    from imi_cli.questionnaires.render import quantity

    labels = {o["code"]: o["label"] for o in view.get("options", [])}
    label = lambda v: labels.get(v, display(v)) if isinstance(v, str) else display(v)  # noqa: E731
    if isinstance(value, list):
        return "; ".join(label(v) for v in value)
    if isinstance(value, dict) and "text" in value:
        return f"[{display(value.get('lang')) or '?'}] {display(value['text'])}"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        lang = view.get("lang") or "en"
        if view.get("unit"):
            return quantity(value, view["unit"], lang)
        with language(lang):
            return formats.number(value)
    return label(value)


def _block(value: Any, indent: str) -> str:
    """Free text (a comment, an answer): its own lines kept, each indented under the first,
    so that no line of it can pass for a line of the view."""
    return safe_text(value, multiline=True).replace("\n", "\n" + indent)


def _state(code: Any) -> str:
    """A request's state as the interface language names it (the view keeps the code)."""
    try:
        from imi_cli.exchanges.requests.labels import state_label
    except ImportError:  # the labels module is not there yet: the code
        return safe_text(code)
    return safe_text(state_label(code))


def _day(value: Any) -> str:
    """A stored day as the interface language writes it; a value that is not one as it is."""
    from imi_cli.i18n import formats

    if not isinstance(value, str) or not value:
        return safe_text(value)
    try:
        return formats.date(value)
    except (ValueError, TypeError, OverflowError):
        return safe_text(value)


def _moment(value: Any) -> str:
    """A stored moment (UTC) in the user's time zone and language; else as it is."""
    from imi_cli.i18n import formats

    if not isinstance(value, str) or not value:
        return safe_text(value)
    try:
        return formats.datetime(value)
    except (ValueError, TypeError, OverflowError):
        return safe_text(value)


def _subject(view: dict[str, Any]) -> str:
    """The subject, with its language after it when that is not the viewer's (`` [de]``)."""
    from imi_cli.i18n import formats

    lang = view.get("subject_lang")
    return safe_text(view["subject"]) + (formats.language_tag(safe_text(lang), view.get("lang"))
                                         if isinstance(lang, str) else "")


def _deadline(view: dict[str, Any]) -> str:

    from imi_cli.exchanges.requests.views import as_date
    from imi_cli.i18n import formats

    left, day = view["days_left"], as_date(view["deadline"])
    if not view["deadline"]:
        line = _("no deadline")
    elif left is None or day is None:
        line = t("deadline {date}", date=_day(view["deadline"]))
    elif left > 0:
        line = t("deadline {date} ({relative})", date=_day(view["deadline"]),
                 relative=formats.days_away(left))
    elif left == 0:
        line = t("deadline {date} (today)", date=_day(view["deadline"]))
    else:
        line = t("deadline {date} (overdue by {span})", date=_day(view["deadline"]), span=formats.span(-left))
    if view["proposed_deadline"]:
        line = t("{deadline}; proposed {date}", deadline=line, date=_day(view["proposed_deadline"]))
    return line


# the side of a request a comment comes from, as a person reads it
_SIDES = {"requester": N_("requester"), "responder": N_("responder")}


def _attachment(a: dict[str, Any]) -> str:
    from imi_cli.i18n import formats

    name = safe_text(a.get("name"))
    if a.get("sha256") is None:  # the content was erased or withheld
        content = a.get("content", "withheld")
        shown = _(_CONTENT[content]) if content in _CONTENT else safe_text(content)
        return t("attachment: {name} [{content}]", name=name, content=shown)
    size, digest = a.get("size"), safe_text(a["sha256"])[:12]
    if isinstance(size, int) and not isinstance(size, bool):
        return nt("attachment: {name} ({size} byte, sha256 {digest}…)",
                  "attachment: {name} ({size} bytes, sha256 {digest}…)", size,
                  name=name, size=formats.number(size), digest=digest)
    return t("attachment: {name} ({size} bytes, sha256 {digest}…)", name=name, size=safe_text(size), digest=digest)


# what became of an attachment's content this store does not hold
_CONTENT = {"withheld": N_("withheld"), "erased": N_("erased"), "blocked": N_("blocked")}


def as_text(view: dict[str, Any]) -> str:
    s = safe_text
    lines = [f"{_subject(view)}  [{_state(view['state'])}]",
             f"{s(view['requester'])} -> {s(view['responder'])}  ({s(area_label(view['area']))}, "
             f"{s(view['questionnaire'])})",
             _deadline(view)]
    if view.get("about_alert"):
        lines.append(t("about alert {id}", id=s(view["about_alert"])))
    if view["person"]:
        lines.append(t("person concerned: {fields}", fields=", ".join(
            f"{s(field_label(k))}: {s(hidden_label(v))}" for k, v in view["person"].items())))
    for number, q in enumerate(view["questions"], 1):
        lines.append(f"\n{number}. {s(q['text'])}")
        # each option by its label and, beside it, the code an answer may also be typed as
        lines += [f"   ( ) {s(o['label'])}  = {s(o['code'])}" for o in q.get("options", []) if "answer" not in q]
        if "answer" in q:
            lines.append(f"   -> {_block(hidden_label(q['answer']), '      ')}")
    for c in view["comments"]:
        side = c.get("side", "")
        lines.append("\n" + t("comment ({side}) [{lang}]: {text}",
                              side=_(_SIDES[side]) if side in _SIDES else s(side),
                              lang=s(c.get("lang")) or "?", text=_block(c.get("text"), "    ")))
    lines += [_attachment(a) for a in view["attachments"]]
    lines.append("\n" + _("history:"))
    from imi_cli.exchanges.requests.labels import history_label

    lines += [f"  {_moment(h['at'])}  {s(history_label(h['type'])):<16} {s(h['authority']) or _hub()} {s(h['user'])}"
              for h in view["history"]]
    return "\n".join(lines) + "\n"


def _hub() -> str:
    # Translators: who did something in a request's history when no authority did: the central system
    return _("hub")


def as_markdown(view: dict[str, Any]) -> str:
    s = safe_text
    lines = [f"# {_subject(view)}", "", t("- Request: `{id}`", id=s(view["id"])),
             t("- State: {state}", state=_state(view["state"])),
             t("- From {requester} to {responder} ({area})", requester=s(view["requester"]),
               responder=s(view["responder"]), area=s(view["area"])),
             t("- Question set: {questionnaire}", questionnaire=s(view["questionnaire"])),
             t("- Deadline: {date}", date=_day(view["deadline"])), "",
             "## " + _("Questions"), ""]
    for number, q in enumerate(view["questions"], 1):
        answer = f"\n   - **{_block(hidden_label(q['answer']), '     ')}**" if "answer" in q else ""
        lines.append(f"{number}. {s(q['text'])}{answer}")
    lines += ["", "## " + _("History"), ""] + [
        t("- {at} {event} by {authority} {user}", at=_moment(h["at"]), event=s(h["type"]),
          authority=s(h["authority"]) or _hub(), user=s(h["user"]))
        for h in view["history"]]
    return "\n".join(lines) + "\n"


def area_label(area: str) -> str:
    """A legislative area's name in the interface language (an unknown id: the id)."""
    from imi_cli.i18n import current
    from imi_cli.reference.areas import area_ids, get_area

    return get_area(area).name(current()) if area in area_ids() else area
