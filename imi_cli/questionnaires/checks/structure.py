"""S001-S007 and Y003 on values: keys, value types, ids, status, area, question types.

Ill-typed values are reported here and removed from the data (bare ``no`` or
``1.10`` are turned back into the text the author meant), so later checks
never see them and one mistake gives one finding.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from imi_cli.questionnaires.fields import choices, label, questions
from imi_cli.questionnaires.findings import Finding
from imi_cli.questionnaires.loader import Document
from imi_cli.questionnaires.model import QUESTION_TYPES, STATUSES

SET_KEYS = {"schema": "int", "id": "str", "version": "str", "status": "str", "area": "str",
            "source_language": "str", "languages": "strlist", "allow_identical": "strlist",
            "title": "texts", "description": "texts", "choice_lists": "choice_lists",
            "questions": "questions", "notification": "notification"}
SET_REQUIRED = ("schema", "id", "version", "status", "area", "source_language",
                "languages", "title", "questions")
QUESTION_KEYS = {"id": "str", "type": "str", "required": "bool", "personal_data": "bool",
                 "text": "texts", "help": "texts", "choices": "str", "unit": "unit",
                 "min": "num", "max": "num", "enable_when": "enable_when"}
QUESTION_REQUIRED = ("id", "type", "required", "personal_data", "text")
CHOICE_KEYS = {"code": "str", "label": "texts"}
ENABLE_KEYS = {"question": "str", "equals": "str"}
NOTIFICATION_KEYS = {"examination_months": "int", "reminder_days_before": "int", "decisions": "str"}
SET_ID = re.compile(r"[a-z0-9-]+")
ITEM_ID = re.compile(r"[a-z0-9_]+")
SCHEMA_VERSION = 1


class _Walk:
    """Walks the data once, collecting findings and dropping ill-typed values."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.findings: list[Finding] = []

    def add(self, path: tuple, check: str, message: str, on_key: bool = False) -> None:
        self.findings.append(self.doc.finding(path, check, message, on_key=on_key))

    def mapping(self, path: tuple, value: dict, keys: dict[str, str], required: tuple[str, ...],
                what: str) -> None:
        for key in list(value):
            if key not in keys:
                self.add(path + (key,), "S002", f"unknown key {key!r} in {what}", on_key=True)
            else:
                KINDS[keys[key]](self, path + (key,), value, key)
        for key in required:
            if key not in value and not self._dropped(path + (key,)):
                self.add(path, "S001", f"{what} lacks the required key {key!r}")

    def _dropped(self, path: tuple) -> bool:
        return path in self.doc.positions  # present in the file, removed for a type error

    def wrong(self, path: tuple, parent: Any, key: Any, expected: str) -> None:
        value = parent[key]
        self.add(path, "S004", f"{_named(self.doc, path)} must be {expected}, not {_describe(value)}")
        if isinstance(parent, list):
            parent[key] = None  # keep indices, which positions are keyed by
        else:
            del parent[key]

    def string(self, path: tuple, parent: Any, key: Any) -> None:
        value = parent[key]
        if isinstance(value, str):
            return
        if path in self.doc.raw and value is not None:
            raw = self.doc.raw[path]
            self.add(path, "Y003", f"{_named(self.doc, path)} {raw} is read by YAML as a {_describe(value)}; "
                                   f"quote it: \"{raw}\"")
            parent[key] = raw
        else:
            self.wrong(path, parent, key, "a text")

    def scalar(self, path: tuple, parent: Any, key: Any, types: tuple, expected: str) -> None:
        value = parent[key]
        if isinstance(value, bool) != (bool in types) or not isinstance(value, types):
            self.wrong(path, parent, key, expected)

    def texts(self, path: tuple, parent: Any, key: Any) -> None:
        if not isinstance(parent[key], dict):
            return self.wrong(path, parent, key, "a map of language -> text")
        texts = parent[key]
        for lang in list(texts):
            if texts[lang] is None:
                texts[lang] = ""  # an empty entry is a blank translation (L002), not a type error
            else:
                self.string(path + (lang,), texts, lang)

    def strlist(self, path: tuple, parent: Any, key: Any) -> None:
        if not isinstance(parent[key], list):
            return self.wrong(path, parent, key, "a list of texts")
        items = parent[key]
        for index in range(len(items)):
            self.string(path + (index,), items, index)

    def unit(self, path: tuple, parent: Any, key: Any) -> None:
        if not isinstance(parent[key], dict):
            return self.wrong(path, parent, key, "a map of language -> plural forms")
        for lang in list(parent[key]):
            self.texts(path + (lang,), parent[key], lang)

    def choice_lists(self, path: tuple, parent: Any, key: Any) -> None:
        if not isinstance(parent[key], dict):
            return self.wrong(path, parent, key, "a map of list id -> choices")
        for list_id in list(parent[key]):
            self.entries(path + (list_id,), parent[key], list_id, CHOICE_KEYS, ("code", "label"),
                         "a choice")

    def questions(self, path: tuple, parent: Any, key: Any) -> None:
        self.entries(path, parent, key, QUESTION_KEYS, QUESTION_REQUIRED, "a question")

    def entries(self, path: tuple, parent: Any, key: Any, keys: dict, required: tuple,
                what: str) -> None:
        if not isinstance(parent[key], list):
            return self.wrong(path, parent, key, "a list")
        items = parent[key]
        for index in range(len(items)):
            if isinstance(items[index], dict):
                self.mapping(path + (index,), items[index], keys, required, what)
            else:
                self.wrong(path + (index,), items, index, f"{what} (a map)")

    def notification(self, path: tuple, parent: Any, key: Any) -> None:
        """A question set that is a kind of notification: its period, reminder and decisions."""
        if not isinstance(parent[key], dict):
            return self.wrong(path, parent, key, "a map with examination_months, reminder_days_before, decisions")
        self.mapping(path, parent[key], NOTIFICATION_KEYS, ("decisions",), "notification")
        block = parent[key]
        for name in ("examination_months", "reminder_days_before"):
            if isinstance(block.get(name), int) and not 1 <= block[name] <= 120:
                self.add(path + (name,), "S004", f"notification {name} must be from 1 to 120")
        lists = self.doc.data.get("choice_lists")
        if isinstance(block.get("decisions"), str) and not (isinstance(lists, dict) and block["decisions"] in lists):
            self.add(path + ("decisions",), "S004",
                     f"notification decisions {block['decisions']!r} is not a choice list of this set")

    def enable_when(self, path: tuple, parent: Any, key: Any) -> None:
        if not isinstance(parent[key], dict):
            return self.wrong(path, parent, key, "a map with question and equals")
        self.mapping(path, parent[key], ENABLE_KEYS, ("question", "equals"), "enable_when")
        if set(parent[key]) != {"question", "equals"}:
            del parent[key]  # half a condition: reported above, ignored by later checks


KINDS: dict[str, Callable[..., None]] = {
    "str": _Walk.string, "texts": _Walk.texts, "strlist": _Walk.strlist, "unit": _Walk.unit,
    "int": lambda w, p, parent, k: w.scalar(p, parent, k, (int,), "a whole number"),
    "bool": lambda w, p, parent, k: w.scalar(p, parent, k, (bool,), "true or false"),
    "num": lambda w, p, parent, k: w.scalar(p, parent, k, (int, float), "a number"),
    "choice_lists": _Walk.choice_lists, "questions": _Walk.questions,
    "enable_when": _Walk.enable_when, "notification": _Walk.notification,
}


def _named(doc: Document, path: tuple) -> str:
    return label(doc.data, path) or "the file"


def _describe(value: Any) -> str:
    kinds = {bool: "boolean", int: "number", float: "number", list: "list", dict: "map",
             str: "text", type(None): "empty value"}
    return kinds.get(type(value), type(value).__name__)


def check_structure(doc: Document) -> list[Finding]:
    if not isinstance(doc.data, dict):
        return [doc.finding((), "S004", "a question set file must be a map of keys, "
                                        f"not {_describe(doc.data)}")]
    walk = _Walk(doc)
    walk.mapping((), doc.data, SET_KEYS, SET_REQUIRED, "the question set")
    return walk.findings + _values(doc)


def _values(doc: Document) -> list[Finding]:
    from imi_cli.reference.areas import area_ids

    data, out = doc.data, []
    if data.get("schema", SCHEMA_VERSION) != SCHEMA_VERSION:
        out.append(doc.finding(("schema",), "S004", f"schema {data['schema']} is not supported; "
                                                    f"this version of imi reads schema {SCHEMA_VERSION}"))
    if "status" in data and data["status"] not in STATUSES:
        out.append(doc.finding(("status",), "S005", f"status {data['status']!r} is not one of "
                                                    + ", ".join(STATUSES)))
    if "area" in data and data["area"] not in area_ids():
        out.append(doc.finding(("area",), "S006", f"area {data['area']!r} is not a legislative area; "
                                                  "known: " + ", ".join(sorted(area_ids()))))
    return out + _set_id(doc) + _item_ids(doc) + _types(doc)


def _set_id(doc: Document) -> list[Finding]:
    from pathlib import PurePath

    set_id, stem = doc.data.get("id"), PurePath(doc.file).name.removesuffix(".yaml")
    if set_id is None:
        return []
    if not SET_ID.fullmatch(set_id):
        return [doc.finding(("id",), "S007", f"id {set_id!r} must use only a-z, 0-9 and -")]
    if doc.file == "<string>" or stem == set_id:
        return []
    kept = stem.partition("@")  # a previous version kept beside the current one: <id>@<version>
    if kept[1] and kept[0] == set_id:
        if kept[2] != doc.data.get("version"):
            return [doc.finding(("version",), "S007", f"version {doc.data.get('version')!r} differs "
                                                      f"from the file name {stem!r}")]
        return []
    return [doc.finding(("id",), "S007", f"id {set_id!r} differs from the file name {stem!r}")]


def _item_ids(doc: Document) -> list[Finding]:
    out = []
    for path, value, what in _ids(doc.data):
        if not ITEM_ID.fullmatch(value):
            out.append(doc.finding(path, "S007", f"{what} {value!r} must use only a-z, 0-9 and _",
                                   on_key=what == "choice list id"))
    return out


def _ids(data: dict) -> list[tuple[tuple, str, str]]:
    found: list[tuple[tuple, str, str]] = [(("questions", i, "id"), q["id"], "question id")
             for i, q in questions(data) if "id" in q]
    found += [(("choice_lists", list_id), list_id, "choice list id")
              for list_id in data.get("choice_lists", {})]
    found += [(("choice_lists", list_id, i, "code"), c["code"], "choice code")
              for list_id, i, c in choices(data) if "code" in c]
    return found


def _types(doc: Document) -> list[Finding]:
    out = []
    for index, question in questions(doc.data):
        kind = question.get("type")
        if kind is not None and kind not in QUESTION_TYPES:
            out.append(doc.finding(("questions", index, "type"), "S003",
                                   f"unknown question type {kind!r}; use one of "
                                   + ", ".join(QUESTION_TYPES)))
            del question["type"]  # later checks skip type rules for it
    return out
