"""Which payload fields of which event types are personal data: the one table.

Each entry: a path from the event's root ("*" = every item of a list) to an object, and the
keys of that object that are personal (ALL = every key, or a resolver that names them from
the store, as the personal questions of a request's question set). These fields leave the
signed body as salted digests and travel as disclosures (``imi_cli.log.disclosures``).
The event-type registry takes this table over once it exists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ALL = None
Resolver = Callable[[Any, dict[str, Any]], frozenset[str]]
Keys = frozenset[str] | None | Resolver

ATTACHMENT_CONTENT = frozenset({"content_b64"})


def _personal_answers(conn: Any, event: dict[str, Any]) -> frozenset[str]:
    """Answers to the questions of the request's question set flagged ``personal_data``."""
    from imi_cli.errors import ImiError
    from imi_cli.exchanges.requests.projection import load
    from imi_cli.questionnaires.catalog import find_set

    entity = event.get("subject", {}).get("entity", "")
    request = load(conn, entity.split("/", 1)[1]) if isinstance(entity, str) and "/" in entity else None
    if request is None:
        return frozenset()
    try:
        qset = find_set(request["record"]["questionnaire"])
    except ImiError:
        return frozenset()
    return frozenset(q.id for q in qset.questions if q.personal_data)


_CONTENT: list[tuple[tuple[str, ...], Keys]] = [
    (("payload", "request", "person"), ALL),
    (("payload", "request", "attachments", "*"), ATTACHMENT_CONTENT),
]

PERSONAL_FIELDS: dict[str, list[tuple[tuple[str, ...], Keys]]] = {
    "request.drafted": _CONTENT,
    "request.sent": _CONTENT,
    "request.forwarded": _CONTENT,
    "request.reassigned": _CONTENT,
    "request.answered": [
        (("payload", "answers"), _personal_answers),
        (("payload", "attachments", "*"), ATTACHMENT_CONTENT),
    ],
}


def selection(conn: Any, event: dict[str, Any]) -> list[tuple[tuple[str, ...], frozenset[str] | None]]:
    """Where this event's personal keys are, resolved against the store."""
    return [(path, keys(conn, event) if callable(keys) else keys)
            for path, keys in PERSONAL_FIELDS.get(str(event.get("type")), ())]


def plain_personal(conn: Any, body: dict[str, Any]) -> list[str]:
    """Personal keys a signed body shows in plain (the hub refuses such an event)."""
    from imi_cli.log.disclosures import objects_at

    found = []
    for path, keys in selection(conn, body):
        for obj in objects_at(body, path):
            found += [".".join((*path, k)) for k in obj if not k.startswith("_") and (keys is None or k in keys)]
    return found
