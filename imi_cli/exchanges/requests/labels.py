"""The words a person reads for a request's codes: its states, the next steps the inbox
proposes, the reminders in force. One table each, translated where shown (tables, sentences,
`request show`); ``--json`` and tab-separated output keep the codes.

    state_label("deadline_proposed")    # "deadline proposed", "határidő-javaslat" ...
"""

from __future__ import annotations

from typing import Any

from imi_cli.i18n import N_, NP_, _, label, t

STATES = ("draft", "sent", "accepted", "deadline_proposed", "info_requested", "answered", "closed", "withdrawn",
          "reopened")


# The words are looked up with the context "state" (an adjective or participle describing a
# request: "sent", "closed"), apart from the same words as actions and as history steps.
STATE_LABELS = {
    # Translators: the state of an information request: not sent yet
    "draft": NP_("state", "draft"),
    # Translators: the state of an information request
    "sent": NP_("state", "sent"),
    # Translators: the state of an information request
    "accepted": NP_("state", "accepted"),
    # Translators: the state of an information request: the responder proposed another deadline
    "deadline_proposed": NP_("state", "deadline proposed"),
    # Translators: the state of an information request: the requester asked for more information
    "info_requested": NP_("state", "info requested"),
    # Translators: the state of an information request
    "answered": NP_("state", "answered"),
    # Translators: the state of an information request
    "closed": NP_("state", "closed"),
    # Translators: the state of an information request
    "withdrawn": NP_("state", "withdrawn"),
    # Translators: the state of an information request
    "reopened": NP_("state", "reopened"),
    # Translators: the state of an information request that does not exist yet
    "": NP_("state", "not yet drafted"),
}


def state_label(code: str | None) -> str:
    """The state of a request in the interface language (a code it does not know: as it is)."""
    return label(STATE_LABELS, code or "")


# The next step the inbox proposes, by (direction, state): JSON keeps these English words (what
# scripts have read so far); a table shows them translated.
ACTIONS: dict[tuple[str, str], str] = {
    ("incoming", "sent"): N_("accept or forward"),
    ("incoming", "accepted"): N_("answer"),
    ("incoming", "info_requested"): N_("answer the request for more information"),
    ("incoming", "reopened"): N_("answer (reopened)"),
    ("outgoing", "answered"): N_("read the answer; close or ask for more"),
    ("outgoing", "deadline_proposed"): N_("agree to the proposed deadline (or not)"),
    ("outgoing", "draft"): N_("send the draft"),
}

# Reminders the hub makes (their kind is a code in the log and in JSON).
REMINDERS: dict[str, str] = {
    # Translators: a reminder about an information request
    "deadline_near": N_("deadline near"),
    # Translators: a reminder about an information request
    "deadline_passed": N_("deadline passed"),
    # Translators: a reminder about an information request: nothing happened for a month
    "inactive": N_("inactive for a month"),
}

# The flag of an inbox item (JSON keeps the English word).
FLAGS: dict[str, str] = {"overdue": N_("overdue"), "due soon": N_("due soon")}


def reminder_label(kind: str) -> str:
    """A reminder's kind as a person reads it (an unknown kind: its code)."""
    return label(REMINDERS, kind)


def reminders_text(kinds: list[str]) -> str:
    """Reminder kinds as a list a person reads."""
    return ", ".join(reminder_label(k) for k in kinds)


def follow_up(kinds: list[str]) -> str:
    """The English action of an inbox item that only has reminders (what JSON shows)."""
    return "follow up: " + ", ".join(REMINDERS.get(k, k) for k in kinds)


def action_label(item: dict[str, Any]) -> str:
    """The next step of a request's inbox item (``views.inbox``) in the interface language."""
    action = ACTIONS.get((item.get("direction") or "", item.get("state") or ""))
    if action is not None and item.get("direction") != "coordinated":
        return _(action)
    kinds = item.get("reminders") or []
    if kinds:
        # Translators: an inbox item: {reminders} is a list such as "deadline passed, inactive for a month"
        return t("follow up: {reminders}", reminders=reminders_text(kinds))
    return _(str(item.get("action") or ""))


def flag_label(flag: str | None) -> str:
    return label(FLAGS, flag or "")


# The steps of a request's history, as a log lists them (by the last part of the event type)
HISTORY = {
    # Translators: the steps of an information request's history, as a log lists them (context "history")
    "drafted": NP_("history", "drafted"), "approved": NP_("history", "approved"), "sent": NP_("history", "sent"),
    "accepted": NP_("history", "accepted"), "deadline_agreed": NP_("history", "deadline agreed"),
    "forwarded": NP_("history", "forwarded"), "reassigned": NP_("history", "reassigned"),
    "allocated": NP_("history", "allocated"), "answered": NP_("history", "answered"),
    "info_requested": NP_("history", "more information asked for"), "closed": NP_("history", "closed"),
    "withdrawn": NP_("history", "withdrawn"), "reopened": NP_("history", "reopened"),
    "reminder": NP_("history", "reminder"),
}


def history_label(event_type: str) -> str:
    """What a step of a request's history did, in the interface language (``request.sent`` ->
    "sent"); a type it does not know: its last part, as it is."""
    word = event_type.split(".", 1)[-1]
    return label(HISTORY, word) if event_type.startswith("request.") else word
