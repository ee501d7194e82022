"""The erasure's event type: the hub names the digests of personal data it erased, and every
store that holds them deletes them too. Bodies and signatures stay, so every log still
verifies and shows that something was erased."""

from __future__ import annotations

from typing import Any

from imi_cli.log import redaction
from imi_cli.protocol.registry import ANY, HUB, EventType, declare
from imi_cli.protocol.schemas import array, mapping, obj, text
from imi_cli.protocol.view import RulesView

_EVENT_ID = {"type": "string", "pattern": r"^[0-9a-f-]{36}$"}
_DIGEST = {"type": "string", "pattern": r"^[A-Za-z0-9_-]{43}$"}
ERASURE = obj({"entity": text(200, 1), "digests": mapping(array(_DIGEST, 1000, 1), _EVENT_ID, 10_000)})


def _audience(view: RulesView, event: dict[str, Any]) -> list[str]:
    """Whoever received the events whose personal data went."""
    return view.audience_of_events(list(event["payload"]["digests"]))


declare(EventType(redaction.ERASURE, ERASURE, lambda p: f"erasure/{p['entity']}", _audience,
                  project=redaction.apply_erasure, transition=ANY, made_by=HUB,
                  hub_only_message="only the hub erases personal data for the network"))
