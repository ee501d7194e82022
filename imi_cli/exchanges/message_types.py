"""The message's event type: one authority writes to another, and nobody else receives it."""

from __future__ import annotations

from typing import Any

from imi_cli.directory.event_types import actor_of
from imi_cli.exchanges import messages
from imi_cli.protocol.refusal import Refusal
from imi_cli.protocol.registry import CREATE, EventType, declare
from imi_cli.protocol.schemas import ID, LANG, obj, text
from imi_cli.protocol.view import RulesView

MESSAGE = obj({"from": ID, "to": ID, "subject": text(500), "text": text(20_000), "lang": LANG})


def _authorize(view: RulesView, event: dict[str, Any]) -> None:
    _, actor = actor_of(view, event)
    p = event["payload"]
    if p["from"] != actor["id"] or view.authority(p["to"]) is None:
        raise Refusal("not_allowed", "a message goes from the author's authority to a registered one")


def _audience(view: RulesView, event: dict[str, Any]) -> list[str]:
    return [event["payload"]["from"], event["payload"]["to"]]


declare(EventType("message.sent", MESSAGE, "message/", _audience, _authorize, project=messages.project,
                  transition=CREATE, retention="message"))
