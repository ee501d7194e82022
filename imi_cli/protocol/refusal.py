"""A refusal: the typed reason the rules give for not taking an event, on the node or the hub."""

from __future__ import annotations

import math
import string
from collections.abc import Mapping
from typing import Any

REASONS = ("invalid", "not_allowed", "illegal_transition", "stale", "unknown_key", "revoked_key", "bad_signature")


class Refusal(Exception):
    """``reason`` is one of REASONS (what a program acts on); ``template`` says it to a person,
    in English, with ``{name}`` fields filled from ``params``:

        Refusal("stale", "{entity} was changed by someone else at {at}", entity=e, at=t)

    The template is the message id of the interface catalogs (``imi_cli.i18n``): the hub
    sends it with the parameters, and the node shows the sentence in its user's language
    (``render_refusal``)."""

    def __init__(self, reason: str, template: str, **params: Any) -> None:
        message = fill(template, params)
        super().__init__(message)
        self.reason, self.message, self.params = reason, message, params
        self.msgid = template

    def wire(self) -> dict[str, Any]:
        """What the hub sends of it: the reason, the English sentence, its template and parameters."""
        return {"reason": self.reason, "message": self.message, "msgid": self.msgid,
                "params": wire_params(self.params)}


def fill(template: str, params: Mapping[str, Any]) -> str:
    """The English sentence: ``template`` with its fields filled (the template itself if they do not fit)."""
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError, AttributeError):
        return template


def wire_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` as JSON carries them: text, numbers, booleans and null as they are; anything
    else (a date, a list) as its text, which is what the sentence shows of it."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if value is None or isinstance(value, (str, bool, int)) or (isinstance(value, float) and math.isfinite(value)):
            out[str(key)] = value
        else:
            out[str(key)] = str(value)
    return out


# What a node accepts of a hub's message id and parameters (beyond that, the hub's sentence is shown as it is)
MAX_TEMPLATE = 1_000
MAX_PARAMS = 20
MAX_PARAM_TEXT = 1_000
MAX_PARAM_INT = 10**18


def _plain_fields(template: str) -> set[str] | None:
    """The names of ``template``'s fields if each is a plain name (no attribute or index access,
    no format spec; ``!r``/``!s`` allowed); None otherwise."""
    names: set[str] = set()
    try:
        for _, field, spec, conversion in string.Formatter().parse(template):
            if field is None:
                continue
            if not field.isidentifier() or spec or conversion not in (None, "r", "s"):
                return None
            names.add(field)
    except ValueError:
        return None
    return names


def _plain_value(value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, str):
        return len(value) <= MAX_PARAM_TEXT
    if isinstance(value, int):
        return abs(value) <= MAX_PARAM_INT
    if isinstance(value, float):
        return math.isfinite(value)
    return False


def consistent(message: Any, msgid: Any, params: Any) -> bool:
    """Do the message id and parameters a hub sent say exactly its English ``message``? Only then
    may the node say it in its own words: a hostile hub's template is never evaluated beyond
    plain named fields, and its parameters are plain short values."""
    if not (isinstance(message, str) and isinstance(msgid, str) and len(msgid) <= MAX_TEMPLATE):
        return False
    if not (isinstance(params, dict) and len(params) <= MAX_PARAMS):
        return False
    if not all(isinstance(k, str) and k.isidentifier() and _plain_value(v) for k, v in params.items()):
        return False
    fields = _plain_fields(msgid)
    if fields is None or not fields <= params.keys():
        return False
    try:
        return msgid.format(**params) == message
    except Exception:
        return False


def render_refusal(message: str, msgid: Any = None, params: Any = None) -> str:
    """A hub's refusal for a person: in the interface language when its message id and
    parameters are consistent with its English ``message``; else ``message`` as the hub sent it
    (shown, like anything from the hub, through ``safe_text``)."""
    if msgid is None or not consistent(message, msgid, {} if params is None else params):
        return message
    from imi_cli.i18n import _, t

    return t(msgid, **params) if params else fill(_(msgid), {})


__all__ = ["MAX_PARAMS", "MAX_PARAM_TEXT", "MAX_TEMPLATE", "REASONS", "Refusal", "consistent", "fill",
           "render_refusal", "wire_params"]
