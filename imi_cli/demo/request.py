"""The demo's third act, the classic case: an Irish authority asks the Hungarian Chamber of
Architects about an architect's qualification in English; the chamber reads the questions
and options in Hungarian, answers in Hungarian, and the answer reads in English."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from imi_cli.i18n import language, nt, t

Say = Callable[[str], None]
PREFERRED = ("pq-verify-qualification", "services-verify-provider")
HUNGARIAN_NOTE = "Az oklevelet a Budapesti Műszaki és Gazdaságtudományi Egyetem adta ki."


def choose_set() -> Any:
    from imi_cli.errors import NotFound
    from imi_cli.questionnaires.catalog import shipped_sets

    sets = {s.id: s for s in shipped_sets()}
    chosen = next((sets[i] for i in PREFERRED if i in sets), None)
    if chosen is None:
        first, second = PREFERRED
        raise NotFound(t("the demo needs the question set {first} or {second}", first=first, second=second),
                       hint=t("`imi questionnaire list` shows the sets of your catalog folder"))
    return chosen


def _sample_answer(question: Any, qset: Any) -> Any:
    """What the Hungarian handler picks: language-neutral codes, plus one text in Hungarian."""
    if question.type == "yes_no":
        return "yes"
    if question.type in ("single_choice", "multiple_choice"):
        first = qset.options(question)[0].code
        return first if question.type == "single_choice" else [first]
    if question.type == "date":
        return "2019-06-28"
    if question.type == "number":
        return int(max(question.min or 0, 12))
    if question.type in ("short_text", "long_text"):
        return HUNGARIAN_NOTE
    return None


def _asked(qset: Any, count: int = 4) -> list[Any]:
    """A few unconditional questions, and one free-text question to show its language tag."""
    simple = [q for q in qset.questions if q.enable_when is None and q.type not in ("document", "long_text")]
    text = [q for q in qset.questions if q.enable_when is None and q.type == "long_text"][:1]
    return simple[:count] + text


def _show(view: dict[str, Any], say: Say, answers: bool) -> None:
    for number, q in enumerate(view["questions"], 1):
        say(f"     {number}. {q['text']}")
        if answers and "answer" in q:
            say(f"        -> {q['answer']}")
        elif not answers and q.get("options"):
            say("        " + " / ".join(o["label"] for o in q["options"]))


def run_request(say: Say, requester: Any, responder: Any, third: Any, sync: Callable[[Any], Any]) -> dict[str, Any]:
    from imi_cli.exchanges.requests.render import request_view
    from imi_cli.exchanges.requests.service import Requests
    from imi_cli.privacy.access import record

    qset = choose_set()
    asked = _asked(qset)
    ie, hu = Requests(requester), Requests(responder)
    with language("en"):  # the Irish official's steps, as `imi --lang en request new/send` run
        rid = ie.new(area=qset.area, to="HU-MEK", questionnaire=qset.id, questions=[q.id for q in asked],
                     deadline="2099-12-31", subject="Architect's qualification",
                     person={"applicant_name": "Nagy Béla", "profession": "architect", "provider_name": "Nagy Béla"})
        ie.send(rid)
    sync(requester)
    sync(responder)
    # Translators: {set} is the id of a question set, {id} the start of a request's id
    say(nt("{step}. ie.murphy picks {n} question of {set} in English and sends request {id}… to HU-MEK.\n"
           "    hu.kovacs reads it in Hungarian, answer options included:",
           "{step}. ie.murphy picks {n} questions of {set} in English and sends request {id}… to HU-MEK.\n"
           "    hu.kovacs reads it in Hungarian, answer options included:", len(asked),
           step=12, set=qset.id, id=rid[:13]))
    with language("hu"):  # the Hungarian official's steps, as `imi --lang hu request show/accept/answer` run
        _show(request_view(hu.get(rid), [], "hu"), say, answers=False)
        record(responder, "request.show", entity=f"request/{rid}")  # as `imi request show` logs it
        hu.accept(rid)
        hu.answer(rid, {q.id: _sample_answer(q, qset) for q in asked}, "hu")
    sync(responder)
    sync(requester)
    say(t("{step}. hu.kovacs accepts and answers in Hungarian. ie.murphy reads the answer in English:", step=13))
    with language("en"):
        view = request_view(ie.get(rid), [], "en")
        record(requester, "request.show", entity=f"request/{rid}")
        _show(view, say, answers=True)
        ie.close(rid, 5, 5)
    sync(requester)
    seen = third.query("SELECT count(*) FROM events WHERE body LIKE ?", (f"%{rid}%",))[0][0]
    say(nt("{step}. ie.murphy closes it, rating 5/5. A third authority's store (HU-OH) holds {n} event about it.",
           "{step}. ie.murphy closes it, rating 5/5. A third authority's store (HU-OH) holds {n} events about it.",
           seen, step=14))
    return {"request": rid, "set": qset.id, "answers_en": [q.get("answer") for q in view["questions"]],
            "third_party_events": seen}
