"""What a person reads for an alert's codes: its state, its kind, how an authority takes part
and which way it goes. Marked here for the catalog (``N_``), translated where shown
(``state_label(code)``); ``--json`` and tab-separated output keep the codes."""

from __future__ import annotations

from imi_cli.i18n import N_, label

STATES = {
    # Translators: the state of an alert: written, not sent yet
    "draft": N_("draft"),
    # Translators: the state of an alert: sent to the member states
    "sent": N_("sent"),
    # Translators: the state of an alert: withdrawn by its sender (sent in error)
    "withdrawn": N_("withdrawn"),
    # Translators: the state of an alert: closed by its sender (the restriction ended)
    "closed": N_("closed"),
}
KINDS = {
    # Translators: a kind of alert: a professional's practice restricted or prohibited (Directive 2005/36/EC
    # Art. 56a(1))
    "pq-restriction": N_("pq-restriction"),
    # Translators: a kind of alert: falsified evidence of professional qualifications (Directive 2005/36/EC Art. 56a(3))
    "pq-falsified": N_("pq-falsified"),
    # Translators: a kind of alert: a service provider's serious acts (Services Directive Art. 29(3) and 32)
    "services": N_("services"),
}
PARTS = {
    # Translators: how an authority takes part in an alert: it sent it
    "sender": N_("sender"),
    # Translators: how an authority takes part in an alert: it handles it (an alert coordinator forwarded it there)
    "handler": N_("handler"),
    # Translators: how an authority takes part in an alert: its incoming-alert coordinator, who routes it
    "coordinator": N_("coordinator"),
    # Translators: how an authority takes part in an alert: it received it directly
    "recipient": N_("recipient"),
    # Translators: how an authority takes part in an alert: it coordinates its sender or recipients
    "coordinating": N_("coordinating"),
}
DIRECTIONS = {
    # Translators: an alert your authority received (a short column value)
    "in": N_("incoming"),
    # Translators: an alert your authority sent (a short column value)
    "out": N_("outgoing"),
}


def state_label(code: str) -> str:
    """An alert's state in the interface language (an unknown code: the code)."""
    return label(STATES, code)


def kind_label(code: str) -> str:
    """A kind of alert in the interface language (an unknown code: the code)."""
    return label(KINDS, code)


def part_label(code: str) -> str:
    """How the reader's authority takes part in the alert, in the interface language."""
    return label(PARTS, code)


def direction_label(code: str) -> str:
    """``in`` or ``out`` as the interface language says it in a table."""
    return label(DIRECTIONS, code)


def subject_label(kind: str, subject: str) -> str:
    """A list's subject line (``pq-restriction: Doctor``) with its kind in the interface language."""
    if subject == kind:
        return kind_label(kind)
    if subject.startswith(kind + ": "):
        return kind_label(kind) + subject[len(kind):]
    return subject
