"""The question set as the rest of the program sees it, once it validates."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

QUESTION_TYPES = ("yes_no", "single_choice", "multiple_choice", "short_text",
                  "long_text", "date", "number", "document")
CHOICE_TYPES = ("single_choice", "multiple_choice")
STATUSES = ("draft", "published", "retired")
YES_NO_CODES = ("yes", "no")

Texts = dict[str, str]  # language -> text


def status_label(status: str) -> str:
    """A set's status as a person reads it (the code stays in JSON and tab-separated output)."""
    from imi_cli.i18n import NP_, label

    return label({"draft": NP_("questionnaire status", "draft"),
                  "published": NP_("questionnaire status", "published"),
                  "retired": NP_("questionnaire status", "retired")}, status)


@dataclass(frozen=True)
class Choice:
    code: str
    label: Texts


@dataclass(frozen=True)
class Condition:
    question: str
    equals: str


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    required: bool
    personal_data: bool
    text: Texts
    help: Texts = field(default_factory=dict)
    choices: str | None = None  # a choice list id
    unit: dict[str, dict[str, str]] = field(default_factory=dict)  # lang -> category -> form
    min: float | None = None
    max: float | None = None
    enable_when: Condition | None = None


@dataclass(frozen=True)
class QuestionSet:
    id: str
    version: str
    status: str
    area: str
    source_language: str
    languages: tuple[str, ...]
    title: Texts
    questions: tuple[Question, ...]
    choice_lists: dict[str, tuple[Choice, ...]] = field(default_factory=dict)
    description: Texts = field(default_factory=dict)
    allow_identical: tuple[str, ...] = ()
    path: Path | None = None
    # a kind of notification: {examination_months, reminder_days_before, decisions}
    notification: dict[str, Any] = field(default_factory=dict)

    def question(self, question_id: str) -> Question:
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(question_id)

    def options(self, question: Question) -> tuple[Choice, ...]:
        return self.choice_lists.get(question.choices or "", ())


def build(data: dict[str, Any], path: Path | None = None) -> QuestionSet:
    """A QuestionSet from data that passed the checks (no error findings)."""
    lists = {list_id: tuple(Choice(c["code"], dict(c["label"])) for c in entries)
             for list_id, entries in (data.get("choice_lists") or {}).items()}
    return QuestionSet(
        id=data["id"], version=data["version"], status=data["status"], area=data["area"],
        source_language=data["source_language"], languages=tuple(data["languages"]),
        title=dict(data["title"]), description=dict(data.get("description") or {}),
        questions=tuple(_question(q) for q in data["questions"]), choice_lists=lists,
        allow_identical=tuple(data.get("allow_identical") or ()), path=path,
        notification=dict(data.get("notification") or {}),
    )


def _question(q: dict[str, Any]) -> Question:
    when = q.get("enable_when")
    return Question(
        id=q["id"], type=q["type"], required=q["required"], personal_data=q["personal_data"],
        text=dict(q["text"]), help=dict(q.get("help") or {}), choices=q.get("choices"),
        unit={lang: dict(forms) for lang, forms in (q.get("unit") or {}).items()},
        min=q.get("min"), max=q.get("max"),
        enable_when=Condition(when["question"], when["equals"]) if when else None,
    )
