"""The hub API's limits, which nodes and other implementations are held to (the OpenAPI
document states them).

The fixed ones are constants; the ones an operator (or a test) may tune are a ``Limits``
given to ``create_app`` (``imi_cli.hub.app``): the defaults leave honest nodes far below them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_BODY = 8 * 1024 * 1024  # bytes of one request's body
MAX_ENROL_BODY = 16 * 1024  # bytes of an enrolment's body (a code, a key and a signature)
MAX_BATCH = 2000            # events in one push
MAX_WAIT = 30.0             # seconds a long poll may wait


@dataclass(frozen=True)
class Rate:
    """At most ``requests`` at once (a burst), earned back evenly over ``seconds``."""

    requests: int
    seconds: float


@dataclass(frozen=True)
class Limits:
    # Guessing invitation codes: attempts per client address. An enrolment that succeeds does
    # not count (a coordinator's office may enrol all its staff from one address).
    enrol_per_address: Rate = field(default_factory=lambda: Rate(10, 60))
    # Pushes per user (a node pushes its outbox in batches of up to 500 events).
    push_per_user: Rate = field(default_factory=lambda: Rate(240, 60))
    # Requests whose signature headers are refused (401), per client address.
    refused_per_address: Rate = field(default_factory=lambda: Rate(120, 60))
    # Long polls (wait > 0) one user may hold at once; `sync --watch` holds one.
    polls_per_user: int = 4
    # Pushes of one user being received or checked at once: bounds the bodies held in memory.
    pushes_at_once_per_user: int = 4
    # Pushes without X-IMI-Body-SHA256 (their signature can be checked only over the body, so
    # they could be anyone's) being received at once, all users together.
    unverified_pushes_at_once: int = 8
    # Seconds a client may take to send a body (a slow sender holds memory and a connection).
    body_seconds: float = 120.0


LIMITS = Limits()
