"""The hub's HTTP API: a Starlette app served by uvicorn.

POST /v1/enrol        invitation code + new public key (+ proof) -> identity
POST /v1/events       a signed batch of signed events -> a result per event
GET  /v1/events       events after a cursor whose audience includes the caller (long poll: wait=)
GET  /v1/info         the operator's public key
GET  /v1/openapi.json the OpenAPI 3.0 document of all this (openapi.py)
Client mistakes get a 4xx with a JSON {"error": ...}; never a 500.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from imi_cli.errors import Rejected
from imi_cli.hub.retention import retained_from
from imi_cli.hub.state import Hub
from imi_cli.protocol.limits import MAX_BATCH, MAX_BODY, MAX_WAIT
from imi_cli.protocol.signing import AuthError, verify_request


def _error(status: int, message: str, reason: str | None = None) -> JSONResponse:
    return JSONResponse({"error": message, "reason": reason}, status_code=status)


class ClientError(Exception):
    def __init__(self, status: int, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.reason = status, message, reason


async def _body(request: Request) -> bytes:
    try:
        declared = int(request.headers.get("content-length") or 0)
    except ValueError:
        raise ClientError(400, "the content-length is not a number") from None
    if declared > MAX_BODY:
        raise ClientError(413, "the body is too large")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise ClientError(413, "the body is too large")
    return bytes(body)


def _json(request: Request, body: bytes) -> Any:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise ClientError(415, "send application/json")
    try:
        data = json.loads(body.decode("utf-8"))  # UTF-8 only (json.loads of bytes would take UTF-16 too)
        if b"\\u" in body:  # an escaped lone surrogate parses, but can never be stored or sent back
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        return data
    except (ValueError, UnicodeError, RecursionError):
        raise ClientError(400, "the body is not valid JSON (or not valid Unicode)") from None


def _target(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def _auth(hub: Hub, request: Request, body: bytes, nonces: list[str] | None = None) -> tuple[str, str | None]:
    try:
        return verify_request(hub, request.method, _target(request), request.headers, body, nonces=nonces)
    except AuthError as exc:
        raise ClientError(401, str(exc), "unauthenticated") from None


def create_app(hub: Hub) -> Starlette:
    from starlette.concurrency import run_in_threadpool

    async def info(request: Request) -> JSONResponse:
        return JSONResponse({"operator_key": hub.operator_public_key, "api": 1})

    async def openapi(request: Request) -> JSONResponse:
        from imi_cli.protocol.openapi import DOCUMENT

        return JSONResponse(DOCUMENT)

    async def enrol(request: Request) -> JSONResponse:
        data = _json(request, await _body(request))
        if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in ("code", "public_key", "proof")):
            raise ClientError(400, "enrol needs code, public_key and proof")
        try:
            return JSONResponse(await run_in_threadpool(hub.enrol, data["code"], data["public_key"], data["proof"]))
        except Rejected as exc:
            raise ClientError(403, exc.message, exc.reason) from None

    async def push(request: Request) -> JSONResponse:
        body = await _body(request)

        def check_and_accept() -> list[dict[str, Any]]:  # one trip to a worker thread, not two
            nonces: list[str] = []
            user, _ = _auth(hub, request, body, nonces)
            data = _json(request, body)
            events = data.get("events") if isinstance(data, dict) else None
            if not isinstance(events, list) or len(events) > MAX_BATCH:
                raise ClientError(400, f"send {{\"events\": [...]}} with at most {MAX_BATCH} events")
            try:  # the nonce is recorded in the batch's own transaction: one commit per push
                return hub.accept(events, user, nonce=nonces[0])
            except AuthError as exc:
                raise ClientError(401, str(exc), "unauthenticated") from None

        return JSONResponse({"results": await run_in_threadpool(check_and_accept)})

    async def pull(request: Request) -> Response:
        user, authority = await run_in_threadpool(_auth, hub, request, b"")
        try:
            after = int(request.query_params.get("after", "0"))
            limit = min(int(request.query_params.get("limit", "1000")), 5000)
            wait = min(float(request.query_params.get("wait", "0")), MAX_WAIT)
        except ValueError:
            raise ClientError(400, "after, limit and wait must be numbers") from None
        if not (0 <= after < 2**62 and limit >= 1 and 0 <= wait <= MAX_WAIT):  # also refuses NaN
            raise ClientError(400, f"after must be >= 0, limit >= 1 and wait between 0 and {MAX_WAIT:g}")
        if 0 < after < retained_from(hub):
            raise ClientError(410, "the cursor predates the hub's retention; re-seed from the start",
                              "cursor_expired")
        rows = await run_in_threadpool(hub.wait_for, authority, after, max(limit, 1), wait)
        # The stored bodies are already canonical JSON: spliced in, not parsed and dumped again.
        events = ",".join(f'{{"seq":{seq},"event":{body}}}' for seq, body in rows)
        last = rows[-1][0] if rows else after
        return Response(f'{{"events":[{events}],"last":{last}}}'.encode(), media_type="application/json")

    async def client_error(request: Request, exc: ClientError) -> JSONResponse:
        return _error(exc.status, exc.message, exc.reason)

    async def http_error(request: Request, exc: Any) -> JSONResponse:
        return _error(getattr(exc, "status_code", 400), getattr(exc, "detail", "bad request"))

    from contextlib import asynccontextmanager

    from starlette.exceptions import HTTPException

    @asynccontextmanager
    async def lifespan(app: Starlette):
        yield
        hub.stop()  # wake long polls so that the server (and its worker threads) can end

    handlers: dict[Any, Any] = {ClientError: client_error, HTTPException: http_error}
    return Starlette(lifespan=lifespan, routes=[
        Route("/v1/info", info, methods=["GET"]),
        Route("/v1/openapi.json", openapi, methods=["GET"]),
        Route("/v1/enrol", enrol, methods=["POST"]),
        Route("/v1/events", push, methods=["POST"]),
        Route("/v1/events", pull, methods=["GET"]),
    ], exception_handlers=handlers)
