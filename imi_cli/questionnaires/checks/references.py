"""Ids and what refers to them: U001-U003, C001/C003, T001/T002."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from imi_cli.questionnaires.fields import choices, questions
from imi_cli.questionnaires.findings import WARNING, Finding
from imi_cli.questionnaires.loader import Document
from imi_cli.questionnaires.model import CHOICE_TYPES

NUMBER_ONLY = ("unit", "min", "max")


def check_unique_ids(doc: Document) -> Iterator[Finding]:
    seen: dict[str, int] = {}
    for index, question in questions(doc.data):
        qid = question.get("id")
        if qid in seen:
            yield doc.finding(("questions", index, "id"), "U001",
                              f"question id {qid!r} is already used by question {seen[qid] + 1}")
        elif qid is not None:
            seen[qid] = index
    codes: dict[tuple[str, str], int] = {}
    for list_id, index, choice in choices(doc.data):
        code = choice.get("code")
        if (list_id, code) in codes:
            yield doc.finding(("choice_lists", list_id, index, "code"), "U002",
                              f"choice code {code!r} appears twice in list {list_id!r}")
        elif code is not None:
            codes[list_id, code] = index


def check_case_clashes(doc: Document) -> Iterator[Finding]:
    """Ids that differ only in case read alike to people and clash on case-blind systems."""
    groups: dict[str, list[tuple[tuple, str]]] = defaultdict(list)
    for index, question in questions(doc.data):
        if "id" in question:
            groups["question " + question["id"].lower()].append((("questions", index, "id"),
                                                                  question["id"]))
    for list_id, index, choice in choices(doc.data):
        if "code" in choice:
            groups[f"code {list_id} " + choice["code"].lower()].append(
                (("choice_lists", list_id, index, "code"), choice["code"]))
    for spellings in groups.values():
        if len({name for _, name in spellings}) > 1:
            first = spellings[0][1]
            for path, name in spellings[1:]:
                if name != first:
                    yield doc.finding(path, "U003", f"{name!r} differs from {first!r} only in case",
                                      WARNING)


def check_choice_lists(doc: Document) -> Iterator[Finding]:
    lists = doc.data.get("choice_lists") or {}
    used = set()
    for index, question in questions(doc.data):
        list_id = question.get("choices")
        if list_id is None:
            continue
        used.add(list_id)
        if list_id not in lists:
            known = ", ".join(sorted(lists)) or "none defined"
            yield doc.finding(("questions", index, "choices"), "C001",
                              f"choices {list_id!r} is not a choice list (known: {known})")
    if not used <= set(lists):
        return  # a list looks unused because of a misspelt reference: C001 says so already
    block = doc.data.get("notification")
    if isinstance(block, dict) and isinstance(block.get("decisions"), str):
        used.add(block["decisions"])  # a notification's closing decisions are chosen from it
    for list_id in lists:
        if list_id not in used:
            yield doc.finding(("choice_lists", list_id), "C003",
                              f"choice list {list_id!r} is not used by any question", WARNING,
                              on_key=True)


def check_type_constraints(doc: Document) -> Iterator[Finding]:
    for index, question in questions(doc.data):
        kind, path = question.get("type"), ("questions", index)
        if kind is None:
            continue
        if kind in CHOICE_TYPES and "choices" not in question:
            yield doc.finding(path, "T001", f"a {kind} question needs choices (a choice list id)")
        if kind not in CHOICE_TYPES and "choices" in question:
            yield doc.finding(path + ("choices",), "T001",
                              f"choices only apply to single_choice and multiple_choice, not {kind}",
                              on_key=True)
        for key in NUMBER_ONLY:
            if kind != "number" and key in question:
                yield doc.finding(path + (key,), "T001", f"{key} only applies to number, not {kind}",
                                  on_key=True)
        if kind == "number" and question.get("min", 0) > question.get("max", float("inf")):
            yield doc.finding(path + ("min",), "T002",
                              f"min {question['min']} is greater than max {question['max']}")
