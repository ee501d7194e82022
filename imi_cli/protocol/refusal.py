"""A refusal: the typed reason the rules give for not taking an event, on the node or the hub."""

from __future__ import annotations

from typing import Any

REASONS = ("invalid", "not_allowed", "illegal_transition", "stale", "unknown_key", "revoked_key", "bad_signature")


class Refusal(Exception):
    """``reason`` is one of REASONS (what a program acts on); ``message`` says it to a person;
    ``params`` are the values the message names, for rendering it in another language."""

    def __init__(self, reason: str, message: str, **params: Any) -> None:
        super().__init__(message)
        self.reason, self.message, self.params = reason, message, params
