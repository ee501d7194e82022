"""A refusal: the typed reason the rules give for not taking an event, on the node or the hub."""

from __future__ import annotations

from typing import Any

REASONS = ("invalid", "not_allowed", "illegal_transition", "stale", "unknown_key", "revoked_key", "bad_signature")


class Refusal(Exception):
    """``reason`` is one of REASONS (what a program acts on); ``template`` says it to a person,
    in English, with ``{name}`` fields filled from ``params``:

        Refusal("stale", "{entity} was changed by someone else at {at}", entity=e, at=t)

    The template is the message id of the interface catalogs (``imi_cli.i18n``): the hub
    sends it with the parameters, and the node shows the sentence in its user's language."""

    def __init__(self, reason: str, template: str, **params: Any) -> None:
        try:
            message = template.format(**params) if params else template
        except (KeyError, IndexError, ValueError, AttributeError):
            message = template
        super().__init__(message)
        self.reason, self.message, self.params = reason, message, params
        self.msgid = template
