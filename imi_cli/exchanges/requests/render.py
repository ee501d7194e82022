"""A request shown in the viewer's language: questions, options and answers from the
language-neutral values; free text with the language it was written in.

Every value another authority wrote reaches the text through ``safe_text`` (no control or
bidirectional character acts on the terminal), and a value of the wrong type (a store may
hold data from before the hub checked types) is shown as it is, never a crash."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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


_LABEL = {ERASED: "[erased]", WITHHELD: "[withheld]", BLOCKED: "[blocked]"}


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
    """A stored value in the viewer's language: codes become labels; free text keeps its tag."""
    labels = {o["code"]: o["label"] for o in view.get("options", [])}
    label = lambda v: labels.get(v, display(v)) if isinstance(v, str) else display(v)  # noqa: E731
    if isinstance(value, list):
        return "; ".join(label(v) for v in value)
    if isinstance(value, dict) and "text" in value:
        return f"[{display(value.get('lang')) or '?'}] {display(value['text'])}"
    if isinstance(value, (int, float)) and not isinstance(value, bool) and view.get("unit"):
        return f"{value} {view['unit'].get('other', '')}".strip()
    return label(value)


def _block(value: Any, indent: str) -> str:
    """Free text (a comment, an answer): its own lines kept, each indented under the first,
    so that no line of it can pass for a line of the view."""
    return safe_text(value, multiline=True).replace("\n", "\n" + indent)


def as_text(view: dict[str, Any]) -> str:
    t = safe_text
    left = view["days_left"]
    due = f", {left} days left" if left is not None and left >= 0 else f", {-left} days overdue" if left else ""
    lines = [f"{t(view['subject'])}  [{t(view['state'])}]",
             f"{t(view['requester'])} -> {t(view['responder'])}  ({t(view['area'])}, {t(view['questionnaire'])})",
             f"deadline {t(view['deadline'])}{due}"
             + (f"; proposed {t(view['proposed_deadline'])}" if view["proposed_deadline"] else "")]
    if view.get("about_alert"):
        lines.append(f"about alert {t(view['about_alert'])}")
    if view["person"]:
        lines.append("person concerned: " + ", ".join(f"{t(k)}: {t(v)}" for k, v in view["person"].items()))
    for number, q in enumerate(view["questions"], 1):
        lines.append(f"\n{number}. {t(q['text'])}")
        lines += [f"   ( ) {t(o['label'])}" for o in q.get("options", []) if "answer" not in q]
        if "answer" in q:
            lines.append(f"   -> {_block(q['answer'], '      ')}")
    for c in view["comments"]:
        lines.append(f"\ncomment ({t(c.get('side', ''))}) [{t(c.get('lang')) or '?'}]: "
                     f"{_block(c.get('text'), '    ')}")
    for a in view["attachments"]:
        if a.get("sha256") is None:  # the content was erased or withheld
            lines.append(f"attachment: {t(a.get('name'))} [{t(a.get('content', 'withheld'))}]")
            continue
        lines.append(f"attachment: {t(a.get('name'))} ({t(a.get('size'))} bytes, sha256 {t(a['sha256'])[:12]}…)")
    lines.append("\nhistory:")
    lines += [f"  {t(h['at'])}  {t(h['type'].split('.', 1)[-1]):<16} {t(h['authority']) or 'hub'} {t(h['user'])}"
              for h in view["history"]]
    return "\n".join(lines) + "\n"


def as_markdown(view: dict[str, Any]) -> str:
    t = safe_text
    lines = [f"# {t(view['subject'])}", "", f"- Request: `{t(view['id'])}`", f"- State: {t(view['state'])}",
             f"- From {t(view['requester'])} to {t(view['responder'])} ({t(view['area'])})",
             f"- Question set: {t(view['questionnaire'])}", f"- Deadline: {t(view['deadline'])}", "",
             "## Questions", ""]
    for number, q in enumerate(view["questions"], 1):
        answer = f"\n   - **{_block(q['answer'], '     ')}**" if "answer" in q else ""
        lines.append(f"{number}. {t(q['text'])}{answer}")
    lines += ["", "## History", ""] + [f"- {t(h['at'])} {t(h['type'])} by {t(h['authority']) or 'hub'} {t(h['user'])}"
                                       for h in view["history"]]
    return "\n".join(lines) + "\n"
