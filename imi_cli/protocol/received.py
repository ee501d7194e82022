"""What a store checks in an event it did not write, before it applies it.

The hub runs the whole pipeline on every pushed event; a node does not trust that it did.
It checks, by the same declarations (``registry``) and the same pipeline steps, what does
not depend on its directory (which may lag the hub's): the event's shape and nesting, a
declared type (and the operator's signature on a hub-only type), the payload's strict
schema, the subject and the form of its time. The rights are the hub's to judge.

Each check returns a reason (a typed refusal reason, a colon, a sentence without any of the
event's values) or None. The node records an event with a reason and skips it
(``imi_cli.log.quarantine``).
"""

from __future__ import annotations

import copy
from typing import Any

from imi_cli.log.disclosures import MARKERS, split
from imi_cli.protocol import registry
from imi_cli.protocol.pipeline import OPERATOR, check_shape, check_subject, utc_time
from imi_cli.protocol.refusal import Refusal
from imi_cli.protocol.registry import HUB, EventType
from imi_cli.protocol.schemas import MAX_DEPTH, Compiled, too_deep

# the event is one level, its payload the next: the payload's own bound, seen from the event
EVENT_DEPTH = MAX_DEPTH + 1
_RELAXED: dict[str, Compiled] = {}


def envelope_problem(wire: Any) -> str | None:
    """Can the event as it came be read at all: bounded nesting (walked without recursion,
    before anything else touches it) and the eight top-level fields?"""
    if too_deep(wire, EVENT_DEPTH):
        return f"invalid: the event is nested deeper than {EVENT_DEPTH} levels"
    body, _ = split(wire) if isinstance(wire, dict) else (wire, [])
    try:
        check_shape(body)
    except Refusal as refusal:
        return f"{refusal.reason}: {refusal.message}"
    return None


def payload_problem(event: dict[str, Any], *, as_received: bool = False) -> str | None:
    """``event`` revealed (its disclosures in place): is it what its type declares?
    ``as_received``: ``event`` is the very body that ``envelope_problem`` and the opening of
    its disclosures (``redaction.open_received``) passed, nothing revealed into it: its payload
    is nested no deeper than MAX_DEPTH, and holds no marker of a withheld or erased field."""
    event_type = registry.get(event["type"])
    if event_type is None:
        return "not_allowed: an event type this program does not know"
    if event_type.made_by == HUB and event["signature"].get("by") != OPERATOR:
        return f"not_allowed: only the hub makes {event_type.name} events"
    problem = _schema_problem(event_type, event["payload"], as_received)
    if problem:
        return f"invalid: {problem}"
    try:
        check_subject(event_type, event)
        utc_time(event["at"], "the event's time (at)")
    except Refusal as refusal:
        return f"{refusal.reason}: {refusal.message}"
    return None


def _schema_problem(event_type: EventType, payload: dict[str, Any], as_received: bool = False) -> str | None:
    """Where the payload departs from its schema (the place only: values may be personal).
    A field whose disclosure this store does not hold (withheld, erased) is a marker in the
    revealed event; such a payload is checked without its markers, its personal keys optional."""
    if not as_received and too_deep(payload):
        return f"the payload is nested deeper than {MAX_DEPTH} levels"
    if not as_received and _has_markers(payload):
        problem = _relaxed(event_type).problem(_without_markers(payload))
    else:
        problem = event_type.compiled.problem(payload, bounded=as_received)
    if problem is None:
        return None
    return f"{problem.split(': ', 1)[0]} does not have the form its type declares"


def _has_markers(value: Any) -> bool:
    if isinstance(value, dict):
        return any(m in value for m in MARKERS) or any(_has_markers(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_markers(v) for v in value)
    return False


def _without_markers(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_markers(v) for k, v in value.items() if k not in MARKERS}
    if isinstance(value, list):
        return [_without_markers(v) for v in value]
    return value


def _relaxed(event_type: EventType) -> Compiled:
    """The type's schema with its personal keys no longer required (compiled once)."""
    cached = _RELAXED.get(event_type.name)
    if cached is None:
        schema = copy.deepcopy(event_type.schema)
        for path, keys in event_type.personal:
            if path[:1] == ("payload",):
                for node in _schemas_at(schema, path[1:]):
                    _optional(node, keys)
        cached = _RELAXED[event_type.name] = Compiled(schema)
    return cached


def _schemas_at(schema: dict[str, Any], path: tuple[str, ...]) -> list[dict[str, Any]]:
    """The object schemas at ``path`` ("*": a list's items), through any ``anyOf``."""
    if "anyOf" in schema:
        return [found for branch in schema["anyOf"] for found in _schemas_at(branch, path)]
    if not path:
        return [schema]
    head, rest = path[0], path[1:]
    child = schema.get("items") if head == "*" else (schema.get("properties") or {}).get(head)
    return _schemas_at(child, rest) if isinstance(child, dict) else []


def _optional(schema: dict[str, Any], keys: Any) -> None:
    if keys is None:  # every key of the object is personal
        schema["required"] = []
    elif isinstance(keys, (set, frozenset)):
        schema["required"] = [k for k in schema.get("required", []) if k not in keys]
    # a resolver's keys depend on the store: such objects (answers) are maps, nothing required
