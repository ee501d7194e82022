"""What the hub checks inside a request event: the content's shape, the answers against the
question set (types, required, choice codes, conditions), the entity naming the request."""

from __future__ import annotations

from typing import Any

CONTENT_KEYS = {"area", "requester", "responder", "subject", "questionnaire", "qversion", "questions",
                "deadline", "person", "comments", "attachments"}


CARRY_CONTENT = ("request.drafted", "request.sent", "request.forwarded", "request.reassigned")


def check_request_payload(event: dict[str, Any], refusal: type) -> None:
    entity = event["subject"].get("entity", "")
    if not isinstance(entity, str) or not entity.startswith(("request/", "reminder/")):
        raise refusal("invalid", "a request event names its request as request/<id>")
    p = event["payload"]
    if "request" in p and event["type"] not in CARRY_CONTENT:
        raise refusal("invalid", f"a {event['type']} does not carry the request's content")
    if "request" in p:
        content = p["request"]
        if not isinstance(content, dict) or set(content) - CONTENT_KEYS \
                or not isinstance(content.get("questions"), list):
            raise refusal("invalid", "the request content is not in the expected form")
    if event["type"] == "request.answered":
        _check_answers(p, refusal)
    if event["type"] == "request.closed" and not all(
            type(p.get(k)) is int and 1 <= p[k] <= 5 for k in ("timeliness", "quality")):
        raise refusal("invalid", "ratings of timeliness and quality are whole numbers from 1 to 5")


def _check_answers(p: dict[str, Any], refusal: type) -> None:
    if not isinstance(p.get("answers"), dict) or not isinstance(p.get("lang"), str):
        raise refusal("invalid", "an answer carries answers and their language")
    if not all(isinstance(a, dict) and {"name", "content_b64"} <= set(a) for a in p.get("attachments", [])):
        raise refusal("invalid", "attachments need a name and content")
