"""The event-type registry: each type of event is declared once, here or by its domain.

A declaration says everything the network needs to know about a type: the strict schema of
its payload and any further checks, the record it is about, whether it creates that record,
who may make it and from which state, its audience, its projector and its retention class.
The one rules pipeline (``imi_cli.protocol.pipeline``) runs declarations on the node before
an event is queued and on the hub before it is sequenced.

Domains declare their types in their own ``event_types`` modules (``imi_cli.directory``,
``imi_cli.exchanges.requests`` ...); ``DOMAINS`` lists them, and they are loaded on first use.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from imi_cli.protocol.schemas import Compiled

if TYPE_CHECKING:
    from imi_cli.protocol.view import RulesView

Event = dict[str, Any]
Rule = Callable[["RulesView", Event], None]          # raises Refusal
AudienceRule = Callable[["RulesView", Event], list[str]]
Projector = Callable[[Any, Event], None]             # (connection, event)

# Who makes events of a type: users (pushed by nodes), the hub itself (signed by the operator),
# or both (the operator also registers national coordinators and revokes keys).
USERS, HUB, BOTH = "users", "hub", "both"
# What happens at the subject: a new record, an existing one, or either.
CREATE, UPDATE, ANY = "create", "update", "any"

DOMAINS = (
    "imi_cli.directory.event_types",
    "imi_cli.exchanges.message_types",
    "imi_cli.exchanges.requests.event_types",
    "imi_cli.exchanges.alerts.event_types",
    "imi_cli.exchanges.notifications.event_types",
    "imi_cli.repositories.licences.event_types",
    "imi_cli.repositories.registers.event_types",
    "imi_cli.privacy.event_types",
)


@dataclass(frozen=True)
class EventType:
    name: str
    schema: dict[str, Any]               # JSON Schema of the payload: known keys only
    entity: Callable[[dict[str, Any]], str] | str  # the entity its payload is about, or its prefix
    audience: AudienceRule
    authorize: Rule | None = None        # who may make it, from which state (users' events)
    check: Rule | None = None            # payload rules beyond the schema (normal forms, answers)
    party: Rule | None = None            # run first: an outsider learns nothing from a refusal
    project: Projector | None = None
    project_many: Callable[[Any, list[Event]], None] | None = None  # a run of them, at once
    transition: str = UPDATE
    made_by: str = USERS
    hub_only_message: str | None = None  # what a node is told when it pushes a HUB type
    retention: str = "directory"         # directory | exchange | message | hub
    counts_as_change: bool = True        # False: never makes another author's version stale
    # personal data: (path to an object, its personal keys: a set, None = all, or a resolver
    # (connection, event) -> set); signed as salted digests, carried as disclosures
    personal: tuple[tuple[tuple[str, ...], Any], ...] = ()
    # need to know: (hub connection, reader's authority, the event) -> withhold its personal
    # data from this reader? (an incoming-alert coordinator reads an alert without the person)
    withhold: Callable[[Any, str | None, dict[str, Any]], bool] | None = None

    @property
    def compiled(self) -> Compiled:
        cached = _COMPILED.get(self.name)
        if cached is None:
            cached = _COMPILED[self.name] = Compiled(self.schema)
        return cached


_TYPES: dict[str, EventType] = {}
_COMPILED: dict[str, Compiled] = {}
_loaded = False
_quiet: tuple[str, ...] | None = None


def declare(*types: EventType) -> None:
    for event_type in types:
        if event_type.name in _TYPES:
            raise RuntimeError(f"event type {event_type.name} is declared twice")
        _TYPES[event_type.name] = event_type


def _load() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        for module in DOMAINS:
            importlib.import_module(module)


def get(name: Any) -> EventType | None:
    _load()
    return _TYPES.get(name) if isinstance(name, str) else None


def all_types() -> dict[str, EventType]:
    _load()
    return dict(_TYPES)


def quiet_types() -> tuple[str, ...]:
    """Types that never make another author's version stale (``counts_as_change=False``)."""
    global _quiet
    if _quiet is None:
        _quiet = tuple(n for n, t in all_types().items() if not t.counts_as_change)
    return _quiet


def names(*, made_by: tuple[str, ...] = (USERS, HUB, BOTH)) -> list[str]:
    return sorted(n for n, t in all_types().items() if t.made_by in made_by)
