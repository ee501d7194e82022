"""The hub's HTTP API as an OpenAPI 3.0 document, served at GET /v1/openapi.json.

It is the contract that other implementations of a node can be written against, and what
the fuzz tests (schemathesis) generate requests from. Keep it in step with ``app.py``.
"""

from __future__ import annotations

from typing import Any

from imi_cli.protocol import registry
from imi_cli.protocol.limits import LIMITS, MAX_BATCH, MAX_BODY, MAX_ENROL_BODY, MAX_WAIT

EVENT_TYPES = registry.names()

_MSGID = {"type": "string",
          "description": "the English sentence's template, with {name} fields filled from params: the "
                         "message id a node looks up in its interface catalogs to say it in its user's "
                         "language (it uses it only if msgid filled with params gives the English sentence)"}
_PARAMS = {"type": "object",
           "description": "the values the sentence names (text, numbers, booleans or null), by field name"}

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string", "description": "one sentence for a person"},
        "reason": {"type": "string", "nullable": True,
                   "description": "a code for programs: unauthenticated, clock_skew (the request's time is "
                                  "too far from the hub's: params skew_seconds, hub_time, window_seconds), "
                                  "cursor_expired, invalid_invitation, rate_limited, too_many_polls, "
                                  "too_many_pushes, timeout ..."},
        "msgid": _MSGID,
        "params": _PARAMS,
    },
}


def _errors(*codes: int, body_limit: int = MAX_BODY) -> dict[str, Any]:
    meaning = {400: "malformed request", 401: "not signed, stale, replayed, or unknown or revoked key",
               403: "refused", 408: f"the body did not arrive within {LIMITS.body_seconds:g} s",
               410: "the cursor predates the hub's retention: re-seed from 0",
               413: f"the body is larger than {body_limit} bytes", 415: "the body is not application/json",
               429: "too many requests: rate_limited (enrolment attempts per client address, pushes per "
                    "user, refused signed requests per client address), too_many_polls (long polls one "
                    "user holds at once) or too_many_pushes (pushes in flight); try again after "
                    "Retry-After seconds"}
    out = {str(code): {"description": meaning[code],
                       "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
           for code in codes}
    if 429 in codes:
        out["429"]["headers"] = {"Retry-After": {"description": "seconds to wait before trying again",
                                                 "schema": {"type": "integer", "minimum": 1}}}
    return out


_EVENT = {
    "type": "object",
    "description": "An event as DESIGN.md describes it, signed by its author over its canonical JSON "
                   "without the signature and disclosures fields.",
    "required": ["id", "type", "at", "actor", "audience", "subject", "payload", "signature"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "description": "UUIDv7, made by the author"},
        "type": {"type": "string", "enum": EVENT_TYPES,
                 "description": "user.enrolled and request.reminder are made by the hub itself"},
        "at": {"type": "string", "description": "ISO 8601 time"},
        "actor": {"type": "object", "required": ["user"],
                  "properties": {"user": {"type": "string"}, "authority": {"type": "string", "nullable": True}}},
        "audience": {"type": "array", "items": {"type": "string"},
                     "description": "authority ids, or '*' for the whole network"},
        "subject": {"type": "object", "required": ["entity", "version"],
                    "properties": {"entity": {"type": "string", "example": "request/0192…"},
                                   "version": {"type": "integer", "minimum": 0,
                                               "description": "the hub sequence number of the last event "
                                                              "about the entity that its author saw"}}},
        "payload": {"type": "object"},
        "signature": {"type": "object", "required": ["by", "sig"],
                      "properties": {"by": {"type": "string"}, "sig": {"type": "string"}}},
        "disclosures": {"type": "array", "maxItems": 1000,
                        "items": {"type": "string", "description": "base64url of the JSON [salt, key, value]"},
                        "description": "personal fields, outside the signature (SD-JWT's technique): an "
                                       "object of the payload holds `_sd`, the sorted base64url SHA-256 "
                                       "digests of its disclosures; a pull carries only those the "
                                       "reader may see"},
    },
}

_RESULT = {
    "type": "object",
    "required": ["id", "status"],
    "properties": {
        "id": {"type": "string", "nullable": True},
        "status": {"type": "string", "enum": ["accepted", "rejected"]},
        "seq": {"type": "integer"},
        "receipt": {"type": "object", "required": ["event", "seq", "at", "sig"],
                    "description": "the operator's signed word (log/receipts.py): sig signs the canonical JSON "
                                   "of {at, root, size}, the head of the batch's Merkle tree (RFC 9162) whose "
                                   "leaves are the canonical JSON of each receipt's {at, event, seq}; without "
                                   "tree (older receipts) it signs {at, event, seq} itself. A push's answer "
                                   "holds its batch's whole tree: those receipts come without path (the node "
                                   "computes it); one given again later is a tree of one, with its path",
                    "properties": {"event": {"type": "string"}, "seq": {"type": "integer"},
                                   "at": {"type": "string"}, "sig": {"type": "string"},
                                   "tree": {"type": "object", "required": ["index", "size"],
                                            "properties": {"index": {"type": "integer"},
                                                           "path": {"type": "array", "items": {"type": "string"},
                                                                    "description": "base64url SHA-256 hashes, "
                                                                                   "from the leaf up"},
                                                           "size": {"type": "integer"}}}}},
        "reason": {"type": "string", "description": "invalid, not_allowed, stale, illegal_transition ..."},
        "message": {"type": "string", "description": "why it was rejected: one English sentence for a person"},
        "msgid": _MSGID,
        "params": _PARAMS,
    },
}

_SIGNED: list[dict[str, list[str]]] = [{"imiUser": [], "imiTime": [], "imiNonce": [], "imiSignature": []}]


def _json_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _ok(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"200": {"description": description, "content": {"application/json": {"schema": schema}}}}


def _header_scheme(name: str, what: str) -> dict[str, Any]:
    return {"type": "apiKey", "in": "header", "name": name, "description": what}


DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {
        "title": "imi hub",
        "version": "1",
        "description": "The hub of an imi-cli network: it sequences signed events and hands each "
                       "authority what concerns it. Requests that act for a user are signed: the four "
                       "X-IMI headers carry the user, an ISO 8601 time within 120 s of the hub's clock, "
                       "a one-time nonce (16 to 128 characters of base64url), and the user's Ed25519 "
                       "signature (base64url) over METHOD\\nPATH?QUERY\\nTIME\\nNONCE\\nSHA256_HEX(BODY). "
                       "A push should also send X-IMI-Body-SHA256 (SHA256_HEX(BODY)): the hub then checks "
                       "the signature before it reads the body. The hub refuses a request on its headers "
                       "before reading its body; a long poll (wait > 0) holds no resources but its "
                       "connection, and a user may hold only a few at once.",
    },
    "paths": {
        "/v1/info": {"get": {
            "summary": "The hub's operator key (the network's trust root)",
            "responses": _ok("the operator's public key", {
                "type": "object", "required": ["operator_key", "api"],
                "properties": {"operator_key": {"type": "string"}, "api": {"type": "integer"}}}),
        }},
        "/v1/enrol": {"post": {
            "summary": "Enrol a new key with a one-time invitation code",
            "requestBody": _json_body({
                "type": "object", "required": ["code", "public_key", "proof"],
                "properties": {"code": {"type": "string"}, "public_key": {"type": "string"},
                               "proof": {"type": "string",
                                         "description": "the new key's signature over SHA-256 of the code"}}}),
            "responses": {**_ok("the identity the key now acts for", {
                "type": "object", "required": ["user", "authority", "operator_key"],
                "properties": {"user": {"type": "string"}, "authority": {"type": "string", "nullable": True},
                               "operator_key": {"type": "string"}}}),
                **_errors(400, 403, 408, 413, 415, 429, body_limit=MAX_ENROL_BODY)},
        }},
        "/v1/events": {
            "post": {
                "summary": "Push a batch of signed events; each is accepted (with a signed receipt) or rejected",
                "security": _SIGNED,
                "parameters": [
                    {"name": "X-IMI-Body-SHA256", "in": "header", "required": False,
                     "description": "SHA256_HEX(BODY), the hash in the signed line: with it the hub checks "
                                    "the signature before reading the body (without it, such pushes share "
                                    "a few places)",
                     "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"}}],
                "requestBody": _json_body({
                    "type": "object", "required": ["events"],
                    "properties": {"events": {"type": "array", "maxItems": MAX_BATCH,
                                              "items": {"$ref": "#/components/schemas/Event"}}}}),
                "responses": {**_ok("a result per event, in order", {
                    "type": "object", "required": ["results"],
                    "properties": {"results": {"type": "array", "items": {"$ref": "#/components/schemas/Result"}}}}),
                    **_errors(400, 401, 408, 413, 415, 429)},
            },
            "get": {
                "summary": "Events after a cursor whose audience includes the caller's authority",
                "security": _SIGNED,
                "parameters": [
                    {"name": "after", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0}},
                    {"name": "limit", "in": "query",
                     "schema": {"type": "integer", "minimum": 1, "default": 1000,
                                "description": "at most 5000 are returned"}},
                    {"name": "wait", "in": "query",
                     "schema": {"type": "number", "minimum": 0, "maximum": MAX_WAIT, "default": 0,
                                "description": "long poll: seconds to wait for a first event"}},
                ],
                "responses": {**_ok("a page of events and the cursor after it", {
                    "type": "object", "required": ["events", "last"],
                    "properties": {
                        "events": {"type": "array", "items": {
                            "type": "object", "required": ["seq", "event"],
                            "properties": {"seq": {"type": "integer"},
                                           "event": {"$ref": "#/components/schemas/Event"}}}},
                        "last": {"type": "integer"}}}),
                    **_errors(400, 401, 410, 429)},
            },
        },
    },
    "components": {
        "schemas": {"Error": _ERROR, "Event": _EVENT, "Result": _RESULT},
        "securitySchemes": {
            "imiUser": _header_scheme("X-IMI-User", "the acting user's id"),
            "imiTime": _header_scheme("X-IMI-Time", "ISO 8601 time of the request"),
            "imiNonce": _header_scheme("X-IMI-Nonce", "a value never sent before"),
            "imiSignature": _header_scheme("X-IMI-Signature", "Ed25519 signature of the signed line"),
        },
    },
}
