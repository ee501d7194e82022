"""The lifecycle of a request: which event may happen from which state, by which side and
role. The same table serves the node (to refuse at once, naming the state) and the hub."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from imi_cli.errors import Rejected

REOPEN_DAYS = 30
HANDLING = ("request_handler", "allocator", "administrator")


@dataclass(frozen=True)
class Step:
    sources: tuple[str, ...]    # states it may happen from ("" = it creates the request)
    side: str                   # requester | responder | coordinator | hub
    roles: tuple[str, ...]      # any of these roles, in the request's area
    verb: str                   # for messages: "send", "accept" ...
    coordinators_too: bool = False  # a coordinator above that side may take it as well


STEPS: dict[str, Step] = {
    "request.drafted": Step(("",), "requester", ("request_handler",), "draft"),
    "request.approved": Step(("draft",), "requester", ("supervisor", "coordinator"), "approve", True),
    "request.sent": Step(("draft",), "requester", ("request_handler",), "send"),
    "request.accepted": Step(("sent",), "responder", HANDLING, "accept"),
    "request.deadline_agreed": Step(("deadline_proposed",), "requester", ("request_handler",),
                                    "agree to the deadline of"),
    "request.forwarded": Step(("sent",), "responder", HANDLING, "forward"),
    "request.reassigned": Step(("sent", "accepted"), "coordinator", ("coordinator",), "reassign"),
    "request.allocated": Step(("accepted", "deadline_proposed", "info_requested", "reopened"), "responder",
                              ("allocator", "administrator"), "allocate"),
    "request.answered": Step(("accepted", "info_requested", "reopened"), "responder", ("request_handler",), "answer"),
    "request.info_requested": Step(("answered",), "requester", ("request_handler",), "ask more about"),
    "request.closed": Step(("answered",), "requester", ("request_handler",), "close"),
    "request.withdrawn": Step(("draft", "sent", "accepted", "deadline_proposed"), "requester",
                              ("request_handler",), "withdraw"),
    "request.reopened": Step(("closed",), "requester", ("request_handler",), "reopen"),
    "request.reminder": Step(("sent", "accepted", "deadline_proposed", "info_requested", "reopened"), "hub", (),
                             "remind"),
}

# The `imi request` command of each step a person takes.
COMMANDS = {"request.approved": "approve", "request.sent": "send", "request.accepted": "accept",
            "request.deadline_agreed": "agree-deadline", "request.forwarded": "forward",
            "request.reassigned": "reassign", "request.allocated": "allocate", "request.answered": "answer",
            "request.info_requested": "more", "request.closed": "close", "request.withdrawn": "withdraw",
            "request.reopened": "reopen"}

NEXT_STATE = {"request.drafted": "draft", "request.sent": "sent", "request.accepted": "accepted",
              "request.deadline_agreed": "accepted", "request.forwarded": "sent", "request.reassigned": "sent",
              "request.answered": "answered", "request.info_requested": "info_requested",
              "request.closed": "closed", "request.withdrawn": "withdrawn", "request.reopened": "reopened"}
OPEN_STATES = ("sent", "accepted", "deadline_proposed", "info_requested", "reopened")


def has_role(user: dict[str, Any], area: str, roles: tuple[str, ...]) -> bool:
    held = set(user["roles"].get(area, [])) | set(user["roles"].get("*", []))
    return bool(held & set(roles))


def check_step(event_type: str, request: dict[str, Any] | None, actor_authority: dict[str, Any] | None,
               user: dict[str, Any] | None, covers: Callable[[str], bool], now: str,
               payload: dict[str, Any]) -> None:
    """Raise Rejected (not_allowed / illegal_transition) unless this step may happen now.
    ``covers(authority_id)`` tells whether the actor's authority coordinates that one."""
    step = STEPS.get(event_type)
    if step is None:
        raise Rejected(f"unknown request step {event_type!r}", reason="invalid")
    state = request["state"] if request else ""
    if state not in step.sources:
        shown = state or "not yet drafted"
        possible = [COMMANDS[t] for t, s in STEPS.items() if state in s.sources and t in COMMANDS]
        raise Rejected(f"cannot {step.verb} a request that is {shown.replace('_', ' ')}", reason="illegal_transition",
                       hint=f"what can be done now: {', '.join(possible)}" if possible else None)
    if step.side == "hub":
        raise Rejected("only the hub makes reminders", reason="not_allowed")
    if user is None or actor_authority is None:
        raise Rejected("only registered users act on requests", reason="not_allowed")
    area = request["area"] if request else payload.get("request", {}).get("area", "")
    _check_side(step, request, actor_authority, covers, payload)
    if not has_role(user, area, step.roles):
        raise Rejected(f"to {step.verb} a request you need the role {' or '.join(step.roles)} in {area}",
                       reason="not_allowed")
    _check_extra(event_type, request, actor_authority, now, payload)


def _check_side(step: Step, request: dict[str, Any] | None, authority: dict[str, Any],
                covers: Callable[[str], bool], payload: dict[str, Any]) -> None:
    if step.side == "coordinator":
        if not request or not covers(request["responder"]):
            raise Rejected("only a coordinator of the responding authority may reassign", reason="not_allowed")
        return
    owner = (request or payload.get("request", {})).get(step.side)
    if owner != authority["id"] and not (step.coordinators_too and owner is not None and covers(owner)):
        raise Rejected(f"only the {step.side} ({owner}) may {step.verb} this request", reason="not_allowed")


def _check_extra(event_type: str, request: dict[str, Any] | None, authority: dict[str, Any], now: str,
                 payload: dict[str, Any]) -> None:
    # the requesting authority's own setting, from the directory: a node cannot waive it
    if event_type == "request.sent" and authority.get("requires_approval") and not (request or {}).get("approved"):
        raise Rejected("this request needs a supervisor's approval before it is sent", reason="illegal_transition")
    if event_type in ("request.forwarded", "request.reassigned") and request \
            and payload.get("from", request["responder"]) != request["responder"]:
        raise Rejected(f"the request is with {request['responder']}, not {payload.get('from')}", reason="invalid")
    if event_type == "request.reopened" and request and request.get("closed_at"):
        from datetime import timedelta

        from imi_cli.log.clock import iso, parse_instant

        limit = iso(parse_instant(request["closed_at"]) + timedelta(days=REOPEN_DAYS))
        if now > limit:
            raise Rejected(f"a request can be reopened only within {REOPEN_DAYS} days of closure",
                           reason="illegal_transition")
