"""What a person reads for a notification's state. Marked here for the catalog (``N_``),
translated where shown (``state_label(code)``); ``--json`` and tab-separated output keep
the codes. (A notification's kind is shown by its question set's title, already in the
reader's language.)"""

from __future__ import annotations

from imi_cli.i18n import N_, label

STATES = {
    # Translators: the state of a notification: written, not broadcast yet
    "draft": N_("draft"),
    # Translators: the state of a notification: sent to the Commission and every member state (a state, not an action)
    "broadcast": N_("broadcast"),
    # Translators: the state of a notification: withdrawn by the notifying authority
    "withdrawn": N_("withdrawn"),
    # Translators: the state of a notification: closed with the Commission's (or the notifier's) decision
    "closed": N_("closed"),
}


def state_label(code: str) -> str:
    """A notification's state in the interface language (an unknown code: the code)."""
    return label(STATES, code)
