"""A request shown in the viewer's language: questions, options and answers from the
language-neutral values; free text with the language it was written in."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from imi_cli.log import clock
from imi_cli.log.disclosures import ERASED, MARKERS, WITHHELD

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
    rounds = record.get("answers", [])
    latest = rounds[-1]["values"] if rounds else {}
    person = _person(record.get("person", {}), lang)
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
            "comments": record.get("comments", []), "answer_rounds": len(rounds),
            "attachments": record.get("attachments", []), "hops": record.get("hops", []),
            "rating": record.get("rating"), "history": history}


def _person(person: dict[str, str], lang: str) -> dict[str, str]:
    """What is said of the person, as the viewer reads it: a profession given as a code of the
    Directive's sectoral professions is named in the viewer's language."""
    from imi_cli.reference.professions import shown

    out = {key: shown(value, lang) if key == "profession" else value
           for key, value in person.items() if key not in MARKERS}
    # Fields whose disclosure this store does not hold: their names went with their values.
    hidden = [_LABEL[m] for m in MARKERS for _ in range(int(person.get(m) or 0))]
    out.update({f"field {n}": label for n, label in enumerate(hidden, 1)})
    return out


_LABEL = {ERASED: "[erased]", WITHHELD: "[withheld]"}


def _hidden(values: dict[str, Any]) -> str | None:
    """"[erased]" or "[withheld]" if some personal answers of this round are not shown here."""
    return next((_LABEL[m] for m in MARKERS if values.get(m)), None)


def _fill(text: str, person: dict[str, str]) -> str:
    for key, value in person.items():
        text = text.replace("{" + key + "}", value)
    return text


def _days_left(request: dict[str, Any]) -> int | None:
    import datetime as dt

    if not request.get("deadline") or request["state"] in ("closed", "withdrawn", "answered", "draft"):
        return None
    return (dt.date.fromisoformat(request["deadline"]) - clock.now().date()).days


def _shown(value: Any, view: dict[str, Any]) -> str:
    """A stored value in the viewer's language: codes become labels; free text keeps its tag."""
    labels = {o["code"]: o["label"] for o in view.get("options", [])}
    if isinstance(value, list):
        return "; ".join(str(labels.get(v, v)) for v in value)
    if isinstance(value, dict) and "text" in value:
        return f"[{value['lang']}] {value['text']}"
    if isinstance(value, (int, float)) and view.get("unit"):
        return f"{value} {view['unit'].get('other', '')}".strip()
    return labels.get(value, str(value))


def as_text(view: dict[str, Any]) -> str:
    left = view["days_left"]
    due = f", {left} days left" if left is not None and left >= 0 else f", {-left} days overdue" if left else ""
    lines = [f"{view['subject']}  [{view['state']}]",
             f"{view['requester']} -> {view['responder']}  ({view['area']}, {view['questionnaire']})",
             f"deadline {view['deadline']}{due}"
             + (f"; proposed {view['proposed_deadline']}" if view["proposed_deadline"] else "")]
    if view["person"]:
        lines.append("person concerned: " + ", ".join(f"{k}: {v}" for k, v in view["person"].items()))
    for number, q in enumerate(view["questions"], 1):
        lines.append(f"\n{number}. {q['text']}")
        lines += [f"   ( ) {o['label']}" for o in q.get("options", []) if "answer" not in q]
        if "answer" in q:
            lines.append(f"   -> {q['answer']}")
    for c in view["comments"]:
        lines.append(f"\ncomment ({c.get('side', '')}) [{c['lang']}]: {c['text']}")
    for a in view["attachments"]:
        if a.get("sha256") is None:  # the content was erased or withheld
            lines.append(f"attachment: {a['name']} [{a.get('content', 'withheld')}]")
            continue
        lines.append(f"attachment: {a['name']} ({a['size']} bytes, sha256 {a['sha256'][:12]}…)")
    lines.append("\nhistory:")
    lines += [f"  {h['at']}  {h['type'].split('.', 1)[1]:<16} {h['authority'] or 'hub'} {h['user'] or ''}"
              for h in view["history"]]
    return "\n".join(lines) + "\n"


def as_markdown(view: dict[str, Any]) -> str:
    lines = [f"# {view['subject']}", "", f"- Request: `{view['id']}`", f"- State: {view['state']}",
             f"- From {view['requester']} to {view['responder']} ({view['area']})",
             f"- Question set: {view['questionnaire']}", f"- Deadline: {view['deadline']}", "", "## Questions", ""]
    for number, q in enumerate(view["questions"], 1):
        lines.append(f"{number}. {q['text']}" + (f"\n   - **{q['answer']}**" if "answer" in q else ""))
    lines += ["", "## History", ""] + [f"- {h['at']} {h['type']} by {h['authority'] or 'hub'} {h['user'] or ''}"
                                       for h in view["history"]]
    return "\n".join(lines) + "\n"
