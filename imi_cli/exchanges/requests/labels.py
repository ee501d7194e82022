"""The words a person reads for a request's codes: its states, the next steps the inbox
proposes, the reminders in force. One table each, translated where shown (tables, sentences,
`request show`); ``--json`` and tab-separated output keep the codes.

    state_label("deadline_proposed")    # "deadline proposed", "határidő-javaslat" ...
"""

from __future__ import annotations

from typing import Any

from imi_cli.i18n import N_, _, pt, t

STATES = ("draft", "sent", "accepted", "deadline_proposed", "info_requested", "answered", "closed", "withdrawn",
          "reopened")


def state_label(code: str | None) -> str:
    """The state of a request in the interface language (a code it does not know: as it is)."""
    # The words are looked up with the context "state" (an adjective or participle describing a
    # request: "sent", "closed"), apart from the same words as actions.
    if code == "draft":
        # Translators: the state of an information request: not sent yet
        return pt("state", "draft")
    if code == "sent":
        # Translators: the state of an information request
        return pt("state", "sent")
    if code == "accepted":
        # Translators: the state of an information request
        return pt("state", "accepted")
    if code == "deadline_proposed":
        # Translators: the state of an information request: the responder proposed another deadline
        return pt("state", "deadline proposed")
    if code == "info_requested":
        # Translators: the state of an information request: the requester asked for more information
        return pt("state", "info requested")
    if code == "answered":
        # Translators: the state of an information request
        return pt("state", "answered")
    if code == "closed":
        # Translators: the state of an information request
        return pt("state", "closed")
    if code == "withdrawn":
        # Translators: the state of an information request
        return pt("state", "withdrawn")
    if code == "reopened":
        # Translators: the state of an information request
        return pt("state", "reopened")
    if not code:
        # Translators: the state of an information request that does not exist yet
        return pt("state", "not yet drafted")
    return str(code)


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
    label = REMINDERS.get(kind)
    return _(label) if label else str(kind)


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
    label = FLAGS.get(flag or "")
    return _(label) if label else str(flag or "")


def history_label(event_type: str) -> str:
    """What a step of a request's history did, in the interface language (``request.sent`` ->
    "sent"); a type it does not know: its last part, as it is."""
    word = event_type.split(".", 1)[-1]
    # Translators: the steps of an information request's history, as a log lists them (context "history")
    words = {
        "drafted": pt("history", "drafted"), "approved": pt("history", "approved"), "sent": pt("history", "sent"),
        "accepted": pt("history", "accepted"), "deadline_agreed": pt("history", "deadline agreed"),
        "forwarded": pt("history", "forwarded"), "reassigned": pt("history", "reassigned"),
        "allocated": pt("history", "allocated"), "answered": pt("history", "answered"),
        "info_requested": pt("history", "more information asked for"), "closed": pt("history", "closed"),
        "withdrawn": pt("history", "withdrawn"), "reopened": pt("history", "reopened"),
        "reminder": pt("history", "reminder"),
    }
    return words.get(word, word) if event_type.startswith("request.") else word
