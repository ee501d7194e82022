"""enable_when: E001 (unknown, later or self), E002 (impossible answer), E003 (cycle)."""

from __future__ import annotations

from collections.abc import Iterator

from imi_cli.questionnaires.fields import questions
from imi_cli.questionnaires.findings import Finding
from imi_cli.questionnaires.loader import Document
from imi_cli.questionnaires.model import CHOICE_TYPES, YES_NO_CODES


def _conditions(data: dict) -> dict[str, tuple[int, str]]:
    """question id -> (its index, the id its enable_when refers to)."""
    return {q["id"]: (i, q["enable_when"]["question"])
            for i, q in questions(data) if "enable_when" in q and "id" in q}


def _in_cycle(start: str, refers: dict[str, tuple[int, str]]) -> bool:
    seen, current = set(), start
    while current in refers and current not in seen:
        seen.add(current)
        current = refers[current][1]
        if current == start:
            return True
    return False


def check_conditions(doc: Document) -> Iterator[Finding]:
    data = doc.data
    order = {q["id"]: i for i, q in questions(data) if "id" in q}
    refers = _conditions(data)
    for qid, (index, target) in refers.items():
        path = ("questions", index, "enable_when", "question")
        if target == qid:
            yield doc.finding(path, "E001", f"question {qid!r} depends on itself")
        elif _in_cycle(qid, refers):
            yield doc.finding(path, "E003", f"question {qid!r} is part of a cycle of enable_when "
                                            f"conditions (via {target!r})")
        elif target not in order:
            yield doc.finding(path, "E001", f"enable_when of {qid!r} refers to an unknown question "
                                            f"{target!r}")
        elif order[target] > index:
            yield doc.finding(path, "E001", f"enable_when of {qid!r} refers to {target!r}, which "
                                            "comes later; a condition can only use earlier answers")
        else:
            yield from _expected_answer(doc, index, data["questions"][order[target]])


def _expected_answer(doc: Document, index: int, target: dict) -> Iterator[Finding]:
    equals = doc.data["questions"][index]["enable_when"]["equals"]
    path = ("questions", index, "enable_when", "equals")
    kind, valid = target.get("type"), _answer_codes(doc.data, target)
    if kind is None or valid is None and kind in CHOICE_TYPES:
        return  # the target's own problem is reported elsewhere
    if valid is None:
        yield doc.finding(path, "E002", f"a condition can only test a yes_no or choice question; "
                                        f"{target['id']!r} is {kind}")
    elif equals not in valid:
        yield doc.finding(path, "E002", f"{equals!r} is not an answer of {target['id']!r} "
                                        "(valid: " + ", ".join(valid) + ")")


def _answer_codes(data: dict, question: dict) -> list[str] | None:
    if question.get("type") == "yes_no":
        return list(YES_NO_CODES)
    if question.get("type") in CHOICE_TYPES:
        entries = (data.get("choice_lists") or {}).get(question.get("choices"))
        if isinstance(entries, list):
            return [c["code"] for c in entries if isinstance(c, dict) and "code" in c]
    return None
