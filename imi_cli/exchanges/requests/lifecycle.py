"""The lifecycle of a request: which event may happen from which state, by which side and
role. The same table serves the node (to refuse at once, naming the state) and the hub."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from imi_cli.errors import Rejected
from imi_cli.i18n import N_, t

REOPEN_DAYS = 30
HANDLING = ("request_handler", "allocator", "administrator")


@dataclass(frozen=True)
class Step:
    sources: tuple[str, ...]    # states it may happen from ("" = it creates the request)
    side: str                   # requester | responder | coordinator | hub
    roles: tuple[str, ...]      # any of these roles, in the request's area
    verb: str                   # the action, in the English of the refusals ("send", "accept" ...)
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

# What a refusal of each step says, whole sentences (the state, a role list, an authority are
# filled in): (the step cannot happen in this state, the role is missing, it is the other side's).
REFUSALS: dict[str, tuple[str, str, str]] = {
    "request.drafted": (N_("cannot draft a request that is {state}"),
                        N_("to draft a request you need the role {roles} in {area}"),
                        N_("only the requester ({owner}) may draft this request")),
    "request.approved": (N_("cannot approve a request that is {state}"),
                         N_("to approve a request you need the role {roles} in {area}"),
                         N_("only the requester ({owner}) may approve this request")),
    "request.sent": (N_("cannot send a request that is {state}"),
                     N_("to send a request you need the role {roles} in {area}"),
                     N_("only the requester ({owner}) may send this request")),
    "request.accepted": (N_("cannot accept a request that is {state}"),
                         N_("to accept a request you need the role {roles} in {area}"),
                         N_("only the responder ({owner}) may accept this request")),
    "request.deadline_agreed": (N_("cannot agree to the deadline of a request that is {state}"),
                                N_("to agree to the deadline of a request you need the role {roles} in {area}"),
                                N_("only the requester ({owner}) may agree to the deadline of this request")),
    "request.forwarded": (N_("cannot forward a request that is {state}"),
                          N_("to forward a request you need the role {roles} in {area}"),
                          N_("only the responder ({owner}) may forward this request")),
    "request.reassigned": (N_("cannot reassign a request that is {state}"),
                           N_("to reassign a request you need the role {roles} in {area}"),
                           N_("only a coordinator of the responding authority may reassign")),
    "request.allocated": (N_("cannot allocate a request that is {state}"),
                          N_("to allocate a request you need the role {roles} in {area}"),
                          N_("only the responder ({owner}) may allocate this request")),
    "request.answered": (N_("cannot answer a request that is {state}"),
                         N_("to answer a request you need the role {roles} in {area}"),
                         N_("only the responder ({owner}) may answer this request")),
    "request.info_requested": (N_("cannot ask more about a request that is {state}"),
                               N_("to ask more about a request you need the role {roles} in {area}"),
                               N_("only the requester ({owner}) may ask more about this request")),
    "request.closed": (N_("cannot close a request that is {state}"),
                       N_("to close a request you need the role {roles} in {area}"),
                       N_("only the requester ({owner}) may close this request")),
    "request.withdrawn": (N_("cannot withdraw a request that is {state}"),
                          N_("to withdraw a request you need the role {roles} in {area}"),
                          N_("only the requester ({owner}) may withdraw this request")),
    "request.reopened": (N_("cannot reopen a request that is {state}"),
                         N_("to reopen a request you need the role {roles} in {area}"),
                         N_("only the requester ({owner}) may reopen this request")),
    "request.reminder": (N_("cannot remind about a request that is {state}"),
                         N_("only the hub makes reminders"), N_("only the hub makes reminders")),
}

NEXT_STATE = {"request.drafted": "draft", "request.sent": "sent", "request.accepted": "accepted",
              "request.deadline_agreed": "accepted", "request.forwarded": "sent", "request.reassigned": "sent",
              "request.answered": "answered", "request.info_requested": "info_requested",
              "request.closed": "closed", "request.withdrawn": "withdrawn", "request.reopened": "reopened"}
OPEN_STATES = ("sent", "accepted", "deadline_proposed", "info_requested", "reopened")


def has_role(user: dict[str, Any], area: str, roles: tuple[str, ...]) -> bool:
    held = set(user["roles"].get(area, [])) | set(user["roles"].get("*", []))
    return bool(held & set(roles))


class StepRefused(Rejected):
    """A step the lifecycle refuses: the sentence in the interface language, and ``template``
    and ``fields``, its English message id and the values it names (English words, codes), which
    the hub's refusal carries (``Refusal(reason, template, **fields)``) for a node to translate."""

    def __init__(self, reason: str, template: str, fields: dict[str, Any] | None = None,
                 shown: dict[str, Any] | None = None, hint: str | None = None) -> None:
        self.template, self.fields = template, dict(fields or {})
        super().__init__(t(template, **{**self.fields, **(shown or {})}), reason=reason, hint=hint)


def _roles(roles: tuple[str, ...]) -> str:
    """Role codes as a list joined by "or" in the interface language ("supervisor or coordinator")."""
    if len(roles) < 2:
        return "".join(roles)
    from babel.lists import format_list

    from imi_cli.i18n import formats

    try:
        return format_list(list(roles), style="or", locale=formats.locale())
    except (ValueError, LookupError):
        return format_list(list(roles), style="or", locale="en")


def check_step(event_type: str, request: dict[str, Any] | None, actor_authority: dict[str, Any] | None,
               user: dict[str, Any] | None, covers: Callable[[str], bool], now: str,
               payload: dict[str, Any]) -> None:
    """Raise Rejected (not_allowed / illegal_transition) unless this step may happen now.
    ``covers(authority_id)`` tells whether the actor's authority coordinates that one."""
    from imi_cli.exchanges.requests.labels import state_label

    step = STEPS.get(event_type)
    if step is None:
        raise StepRefused("invalid", N_("unknown request step {type!r}"), {"type": event_type})
    illegal, needs_role, other_side = REFUSALS[event_type]
    state = request["state"] if request else ""
    if state not in step.sources:
        possible = [COMMANDS[ty] for ty, st in STEPS.items() if state in st.sources and ty in COMMANDS]
        english = (state or "not yet drafted").replace("_", " ")
        raise StepRefused("illegal_transition", illegal, {"state": english}, {"state": state_label(state)},
                          hint=t("what can be done now: {commands}", commands=", ".join(possible))
                          if possible else None)
    if step.side == "hub":
        raise StepRefused("not_allowed", N_("only the hub makes reminders"))
    if user is None or actor_authority is None:
        raise StepRefused("not_allowed", N_("only registered users act on requests"))
    area = request["area"] if request else payload.get("request", {}).get("area", "")
    _check_side(step, other_side, request, actor_authority, covers, payload)
    if not has_role(user, area, step.roles):
        raise StepRefused("not_allowed", needs_role, {"roles": " or ".join(step.roles), "area": area},
                          {"roles": _roles(step.roles)})
    _check_extra(event_type, request, actor_authority, now, payload)


def _check_side(step: Step, other_side: str, request: dict[str, Any] | None, authority: dict[str, Any],
                covers: Callable[[str], bool], payload: dict[str, Any]) -> None:
    if step.side == "coordinator":
        if not request or not covers(request["responder"]):
            raise StepRefused("not_allowed", other_side)
        return
    owner = (request or payload.get("request", {})).get(step.side)
    if owner != authority["id"] and not (step.coordinators_too and owner is not None and covers(owner)):
        raise StepRefused("not_allowed", other_side, {"owner": owner})


def _check_extra(event_type: str, request: dict[str, Any] | None, authority: dict[str, Any], now: str,
                 payload: dict[str, Any]) -> None:
    # the requesting authority's own setting, from the directory: a node cannot waive it
    if event_type == "request.sent" and authority.get("requires_approval") and not (request or {}).get("approved"):
        raise StepRefused("illegal_transition", N_("this request needs a supervisor's approval before it is sent"))
    if event_type in ("request.forwarded", "request.reassigned") and request \
            and payload.get("from", request["responder"]) != request["responder"]:
        raise StepRefused("invalid", N_("the request is with {responder}, not {sender}"),
                          {"responder": request["responder"], "sender": payload.get("from")})
    if event_type == "request.reopened" and request and request.get("closed_at"):
        from datetime import timedelta

        from imi_cli.log.clock import iso, parse_instant

        limit = iso(parse_instant(request["closed_at"]) + timedelta(days=REOPEN_DAYS))
        if now > limit:
            # Translators: {days} is 30
            raise StepRefused("illegal_transition", N_("a request can be reopened only within {days} days of closure"),
                              {"days": REOPEN_DAYS})
