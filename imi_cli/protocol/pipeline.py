"""The one rules pipeline. The node runs it before it queues an event it authors, the hub
before it sequences an event it is pushed, over the same declarations (``registry``): what
the hub would refuse, the node refuses at once, with the same reason.

Order matters. The outsider's check comes before anything that could say whether a record
exists; the version check ("stale") before the rights, so that whoever acted from an old
version is told that, rather than that the state it could not see forbids the step.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from imi_cli.log import clock
from imi_cli.protocol import audience as audiences
from imi_cli.protocol import registry
from imi_cli.protocol.refusal import Refusal
from imi_cli.protocol.registry import CREATE, HUB, UPDATE, EventType
from imi_cli.protocol.view import RulesView

OPERATOR = "operator"
TOP_LEVEL = {"id": str, "type": str, "at": str, "actor": dict, "audience": list, "subject": dict,
             "payload": dict, "signature": dict}
CLOCK_SKEW_SECONDS = 300


def check(view: RulesView, event: Any, *, shaped: bool = False, bounded: bool = False) -> list[str]:
    """Run every rule on the event; return its audience expanded by the view's directory.
    Raises Refusal with a typed reason. ``shaped``: ``check_shape`` passed already (the hub
    checks it first, before the signature); ``bounded``: the caller knows the payload is nested
    no deeper than ``schemas.MAX_DEPTH`` (it is not walked to find out)."""
    view.begin_checks()  # (not a context manager: this runs for every event a hub is pushed)
    try:
        return _check(view, event, shaped, bounded)
    finally:
        view.end_checks()


def _check(view: RulesView, event: Any, shaped: bool = False, bounded: bool = False) -> list[str]:
    if not shaped:
        check_shape(event)
    event_type = type_of(event)
    if event_type.made_by == HUB and event["signature"]["by"] != OPERATOR:
        if event_type.hub_only_message:  # a template (marked with N_ where the type is registered)
            raise Refusal("not_allowed", event_type.hub_only_message, type=event_type.name)
        raise Refusal("not_allowed", "only the hub makes {type} events", type=event_type.name)
    problem = event_type.compiled.problem(event["payload"], bounded=bounded)
    if problem:
        raise Refusal("invalid", "a {type} event does not have the expected form: {problem}",
                      type=event_type.name, problem=problem)
    if event_type.check:
        event_type.check(view, event)
    check_subject(event_type, event)
    check_time(event["at"])
    if event_type.party and event["signature"]["by"] != OPERATOR:
        event_type.party(view, event)
    terms = audience_of(view, event, event_type)
    if sorted(audiences.check_terms(event["audience"])) != terms:
        raise Refusal("invalid", "the audience of a {type} must be {terms}", type=event_type.name, terms=str(terms))
    check_transition(view, event_type, event)
    if event["signature"]["by"] != OPERATOR and event_type.authorize:
        event_type.authorize(view, event)
    return audiences.expand(view, terms)


def type_of(event: dict[str, Any]) -> EventType:
    event_type = registry.get(event.get("type"))
    if event_type is None:
        raise Refusal("not_allowed", "the hub does not take events of type {type!r}", type=str(event.get("type"))[:60])
    return event_type


def audience_of(view: RulesView, event: dict[str, Any], event_type: EventType | None = None) -> list[str]:
    """The audience terms the event's type (``event_type``, if looked up already) gives it
    (sorted, unexpanded)."""
    return sorted(set((event_type or type_of(event)).audience(view, event)))


def check_shape(event: Any) -> None:
    if not isinstance(event, dict):
        raise Refusal("invalid", "an event must be a JSON object")
    for key, kind in _TOP_LEVEL_ITEMS:
        if not isinstance(event.get(key), kind):
            raise Refusal("invalid", "field {field!r} is missing or of the wrong type", field=key)
    if len(event) > len(TOP_LEVEL):  # (each of them is there)
        raise Refusal("invalid", "unknown top-level fields")
    actor = event["actor"]
    if actor.get("user") != event["signature"].get("by"):
        raise Refusal("invalid", "the signer is not the actor")
    if not _ACTOR_KEYS.issuperset(actor):
        raise Refusal("invalid", "an actor is a user and an authority")


_TOP_LEVEL_ITEMS = tuple(TOP_LEVEL.items())
_ACTOR_KEYS = frozenset({"user", "authority"})


def check_subject(event_type: EventType, event: dict[str, Any]) -> None:
    """The subject names the very record the payload is about, and the version its author saw
    (else an event could change one record while its checks looked at another)."""
    entity, version = event["subject"].get("entity"), event["subject"].get("version")
    if not isinstance(entity, str) or len(entity) > 200 or type(version) is not int or version < 0 \
            or set(event["subject"]) - {"entity", "version"}:
        raise Refusal("invalid", "the subject needs an entity and the version its author saw")
    expected = event_type.entity
    if callable(expected):
        expected = expected(event["payload"])
        if entity != expected:
            raise Refusal("invalid", "the subject of a {type} is {entity}", type=event_type.name, entity=expected)
    elif not entity.startswith(expected) or len(entity) == len(expected):
        raise Refusal("invalid", "the subject of a {type} is {entity}<id>", type=event_type.name, entity=expected)


# the one form: what clock.iso makes (tests/protocol/test_utc_time.py compares the two ways)
_UTC_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")


def utc_time(value: Any, what: str) -> Any:
    """The instant ``value`` names, if it is in the one form stores compare as text
    (2026-01-05T09:00:00.000Z); other ISO 8601 forms would sort wrongly."""
    if isinstance(value, str) and _UTC_TIME.fullmatch(value):
        try:
            return datetime.fromisoformat(value)  # a real date and time (Z: UTC)
        except ValueError:
            pass
    raise Refusal("invalid", "{field} is not a UTC time like 2026-01-05T09:00:00.000Z", field=what)


def check_time(at: str) -> None:
    """An event's time is its author's (work done offline is pushed later), but it is a real
    time and not in the future; what the hub decides by time, it decides by its own clock."""
    when = utc_time(at, "the event's time (at)")
    if when > clock.now() + timedelta(seconds=CLOCK_SKEW_SECONDS):
        raise Refusal("invalid", "the event's time (at) is in the future: check the author's clock")


def check_transition(view: RulesView, event_type: EventType, event: dict[str, Any]) -> None:
    entity, seen = event["subject"]["entity"], event["subject"]["version"]
    if event_type.transition == CREATE and view.exists(entity):
        raise Refusal("illegal_transition", "{entity} already exists", entity=entity)
    if event_type.transition == UPDATE and not view.exists(entity):
        raise Refusal("illegal_transition", "{entity} does not exist", entity=entity)
    if event_type.transition == CREATE and view.at_hub:
        return  # at the hub an entity not made yet has no version, so no change anyone made to it
    # Stale: someone else changed it after the version its author saw. The author's own later
    # events (made offline, in a row) build on each other and do not count, and nor do events
    # that change nothing anyone decides on (the hub's reminders).
    # The refusal names who made the change (user, authority) and when, so that the loser can
    # ask them, look at the record, and send its own change again on top (`imi outbox --resend`).
    newer = view.change_by_others(entity, seen, event["signature"]["by"], registry.quiet_types())
    if newer is None:
        return
    when = {"entity": entity, "seen": seen, "changed": newer["seq"], "at": newer["at"]}
    if newer["user"] is None:  # a change the author may not read: only that there was one
        raise Refusal("stale", "{entity} was changed by someone else at {at} (version {changed}), after the "
                      "version its author saw ({seen})", **when)
    if newer["authority"] is None:
        raise Refusal("stale", "{entity} was changed by {user} at {at} (version {changed}), after the "
                      "version its author saw ({seen})", user=newer["user"], **when)
    raise Refusal("stale", "{entity} was changed by {user} of {authority} at {at} (version {changed}), "
                  "after the version its author saw ({seen})", user=newer["user"], authority=newer["authority"],
                  **when)
