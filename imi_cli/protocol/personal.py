"""Which payload fields of an event are personal data, as its type declares (``personal`` in
``imi_cli.protocol.registry.EventType``).

Each entry: a path from the event's root ("*" = every item of a list) to an object, and the
keys of that object that are personal (ALL = every key, or a resolver that names them from
the store, as the personal questions of a request's question set). These fields leave the
signed body as salted digests and travel as disclosures (``imi_cli.log.disclosures``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ALL = None
Resolver = Callable[[Any, dict[str, Any]], frozenset[str]]
Keys = frozenset[str] | None | Resolver

ATTACHMENT_CONTENT = frozenset({"content_b64"})


def fields_of(event_type: Any) -> tuple[tuple[tuple[str, ...], Keys], ...]:
    """Where the personal fields of events of this type are, as its declaration says."""
    from imi_cli.protocol import registry

    declared = registry.get(event_type)
    return declared.personal if declared is not None else ()


def is_personal(event_type: Any) -> bool:
    return bool(fields_of(event_type))


def selection(conn: Any, event: dict[str, Any]) -> list[tuple[tuple[str, ...], frozenset[str] | None]]:
    """Where this event's personal keys are, resolved against the store."""
    return [(path, keys(conn, event) if callable(keys) else keys)
            for path, keys in fields_of(event.get("type"))]


def plain_personal(conn: Any, body: dict[str, Any]) -> list[str]:
    """Personal keys a signed body shows in plain (the hub refuses such an event)."""
    from imi_cli.log.disclosures import objects_at

    found = []
    for path, keys in selection(conn, body):
        for obj in objects_at(body, path):
            found += [".".join((*path, k)) for k in obj if not k.startswith("_") and (keys is None or k in keys)]
    return found
