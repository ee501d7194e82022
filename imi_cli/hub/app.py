"""The hub's HTTP API: a Starlette app served by uvicorn.

POST /v1/enrol        invitation code + new public key (+ proof) -> identity
POST /v1/events       a signed batch of signed events -> a result per event
GET  /v1/events       events after a cursor whose audience includes the caller (long poll: wait=)
GET  /v1/info         the operator's public key
GET  /v1/openapi.json the OpenAPI 3.0 document of all this (openapi.py)
Client mistakes get a 4xx with a JSON {"error": ..., "reason": ...}; never a 500. The error is
an English sentence; beside it ``msgid`` (its template, a message id of the interface
catalogs) and ``params`` (the values it names), so a node can say it in its user's language.

What a client can make the hub spend is bounded (the numbers are in protocol/limits.py):

- a long poll holds no worker thread: it waits on the event loop for the hub's wake-up and
  hops to a thread (of a few kept for reads) only for its query; a user holds at most a few
  long polls at once (429 ``too_many_polls``), so polls never delay a push;
- a push is refused on its signature headers (user enrolled, time, nonce and signature
  well-formed) before its body is read; the body is then read with a size and time limit,
  and the signature over it checked; a user has a few pushes in flight at most;
- enrolment attempts per client address, pushes per user and refused (401) signed requests
  per client address are rate-limited: 429 ``rate_limited`` with Retry-After.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
from collections.abc import Callable
from functools import partial
from typing import Any

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from imi_cli.errors import Rejected
from imi_cli.hub.retention import retained_from
from imi_cli.hub.state import Hub
from imi_cli.hub.throttle import Arrivals, Buckets, Counts
from imi_cli.i18n import N_
from imi_cli.log import collector
from imi_cli.log.canonical import fast
from imi_cli.protocol.limits import LIMITS, MAX_BATCH, MAX_BODY, MAX_ENROL_BODY, MAX_WAIT, Limits
from imi_cli.protocol.refusal import fill, wire_params
from imi_cli.protocol.signing import AuthError, Signed, check_headers, verify_request

POLL_THREADS = 8  # worker threads long polls' queries may use at once (pushes have the others)


def _error(status: int, message: str, reason: str | None = None, headers: dict[str, str] | None = None,
           msgid: str | None = None, params: dict[str, Any] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"error": message, "reason": reason}
    if msgid is not None:
        body.update(msgid=msgid, params=params or {})
    return JSONResponse(body, status_code=status, headers=headers)


class _Results(JSONResponse):
    """A push's answer: a result per event, encoded by orjson where the hub uses it (several
    times faster than Starlette's json.dumps; the hub made every value of it, so it is not
    walked first: log/canonical.py ``fast``)."""

    def render(self, content: Any) -> bytes:
        return fast(content) or super().render(content)


class ClientError(Exception):
    """A 4xx answer. ``template`` is the English sentence with ``{name}`` fields filled from
    ``params`` (mark a literal one with ``N_`` so that the node's catalogs hold it)."""

    def __init__(self, status: int, template: str, reason: str | None = None,
                 headers: dict[str, str] | None = None, **params: Any) -> None:
        message = fill(template, params)
        super().__init__(message)
        self.status, self.message, self.reason, self.headers = status, message, reason, headers
        self.msgid, self.params = template, wire_params(params)


def _too_many(template: str, reason: str, retry_after: float, **params: Any) -> ClientError:
    return ClientError(429, template, reason, {"Retry-After": str(max(1, math.ceil(retry_after)))}, **params)


async def _body(request: Request, limit: int = MAX_BODY, seconds: float = LIMITS.body_seconds) -> bytes:
    try:
        declared = int(request.headers.get("content-length") or 0)
    except ValueError:
        raise ClientError(400, N_("the content-length is not a number")) from None
    if declared > limit:
        raise ClientError(413, N_("the body is too large"))
    body = bytearray()

    async def read() -> None:
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > limit:
                raise ClientError(413, N_("the body is too large"))

    try:
        await asyncio.wait_for(read(), seconds)
    except TimeoutError:
        raise ClientError(408, N_("the body did not arrive within {seconds} s"), "timeout",
                          seconds=f"{seconds:g}") from None
    return bytes(body)


# an escaped UTF-16 surrogate (\ud800-\udfff), or something that looks like one (\\ud8 is a
# backslash and "ud8"): only then is the parsed body encoded again to find a lone one
_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _noted_float(floats: list[str], text: str) -> float:
    floats.append(text)
    return float(text)


def _json(request: Request, body: bytes, floats: list[str] | None = None) -> Any:
    """The body's JSON; ``floats``: gets the text of each number with a fraction or exponent
    (parsed values without one are plain: log/canonical.py)."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise ClientError(415, N_("send application/json"))
    try:
        # UTF-8 only (json.loads of bytes would take UTF-16 too); NaN and Infinity are not JSON
        data = json.loads(body.decode("utf-8"), parse_constant=_no_constants,
                          parse_float=None if floats is None else partial(_noted_float, floats))
        if _SURROGATE.search(body):  # an escaped lone surrogate parses, but can never be stored or sent back
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        return data
    except (ValueError, UnicodeError, RecursionError):
        raise ClientError(400, N_("the body is not valid JSON (or not valid Unicode)")) from None


def _target(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def _auth(hub: Hub, request: Request, body: bytes, nonces: list[str] | None = None,
          checked: Signed | None = None) -> tuple[str, str | None]:
    try:
        return verify_request(hub, request.method, _target(request), request.headers, body, nonces=nonces,
                              checked=checked)
    except AuthError as exc:
        raise ClientError(401, exc.msgid, exc.reason, **exc.params) from None


def _precheck(hub: Hub, request: Request) -> Signed:
    """The signing user, from the headers alone (no body read yet); 401 otherwise. With
    X-IMI-Body-SHA256 the signature is checked too (``verified``)."""
    try:
        return check_headers(hub, request.headers, request.method, _target(request))
    except AuthError as exc:
        raise ClientError(401, exc.msgid, exc.reason, **exc.params) from None


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def create_app(hub: Hub, limits: Limits | None = None) -> Starlette:
    import anyio
    from starlette.concurrency import run_in_threadpool

    limits = limits or LIMITS
    arrivals = Arrivals(hub)
    enrolments = Buckets(limits.enrol_per_address)
    pushes = Buckets(limits.push_per_user)
    refusals = Buckets(limits.refused_per_address)
    polling, pushing = Counts(limits.polls_per_user), Counts(limits.pushes_at_once_per_user)
    unverified = Counts(limits.unverified_pushes_at_once)  # one count for all: such a push may be anyone's
    reads: list[anyio.CapacityLimiter] = []  # made on the loop at first use

    async def in_read_thread(fn: Callable[..., Any], *args: Any) -> Any:
        """Run a quick read in one of the few threads kept for long polls' queries."""
        if not reads:
            reads.append(anyio.CapacityLimiter(POLL_THREADS))
        return await anyio.to_thread.run_sync(fn, *args, limiter=reads[0])

    def refused_address_gate(request: Request) -> None:
        """An address that made too many refused signed requests waits before it may try again."""
        wait = refusals.wait(_address(request))
        if wait:
            raise _too_many(N_("too many refused requests from this address; try again later"),
                            "rate_limited", wait)

    async def info(request: Request) -> JSONResponse:
        return JSONResponse({"operator_key": hub.operator_public_key, "api": 1})

    async def openapi(request: Request) -> JSONResponse:
        from imi_cli.protocol.openapi import DOCUMENT

        return JSONResponse(DOCUMENT)

    async def enrol(request: Request) -> JSONResponse:
        address = _address(request)
        wait = enrolments.take(address)  # every attempt counts until it succeeds (guessing codes)
        if wait:
            raise _too_many(N_("too many enrolment attempts from this address; try again later"),
                            "rate_limited", wait)
        data = _json(request, await _body(request, MAX_ENROL_BODY, limits.body_seconds))
        if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in ("code", "public_key", "proof")):
            raise ClientError(400, N_("enrol needs code, public_key and proof"))
        try:
            identity = await run_in_threadpool(hub.enrol, data["code"], data["public_key"], data["proof"])
        except Rejected as exc:
            raise ClientError(403, exc.message, exc.reason) from None  # a template marked in state.py
        enrolments.give_back(address)
        return JSONResponse(identity)

    async def push(request: Request) -> JSONResponse:
        refused_address_gate(request)
        # the headers first: an unknown, revoked or stale request is refused before its body is read
        signed = await run_in_threadpool(_precheck, hub, request)
        user = signed.user
        # A verified request (X-IMI-Body-SHA256 sent: the signature is checked already) counts
        # against its user; one whose signature can only be checked over the body could be
        # anyone's, so it takes one of the few places for unverified bodies instead.
        holder, places = (user, pushing) if signed.verified else ("", unverified)
        if signed.verified:
            wait = pushes.take(user)
            if wait:
                raise _too_many(N_("too many pushes by this user; try again later"), "rate_limited", wait)
        if not places.enter(holder):
            if signed.verified:
                raise _too_many(N_("too many pushes in flight by this user; send one after the other"),
                                "too_many_pushes", 1)
            raise _too_many(N_("too many pushes in flight; send X-IMI-Body-SHA256 with the request"),
                            "too_many_pushes", 1)
        try:
            body = await _body(request, MAX_BODY, limits.body_seconds)

            def check_and_accept() -> list[dict[str, Any]]:  # one trip to a worker thread, not two
                nonces: list[str] = []
                _auth(hub, request, body, nonces, signed)  # the signature over this very body
                # no cycle hunts among the parsed events (not garbage); they are freed before
                # the collector is back, which then has only the results to look at
                with collector.paused():
                    return parse_and_accept(nonces[0])

            def parse_and_accept(nonce: str) -> list[dict[str, Any]]:
                floats: list[str] = []
                data = _json(request, body, floats)
                events = data.get("events") if isinstance(data, dict) else None
                if not isinstance(events, list) or len(events) > MAX_BATCH:
                    raise ClientError(400, N_('send {{"events": [...]}} with at most {count} events'),
                                      count=MAX_BATCH)
                try:  # the nonce is recorded in the batch's own transaction: one commit per push
                    return hub.accept(events, user, nonce=nonce, plain=not floats)
                except AuthError as exc:
                    raise ClientError(401, exc.msgid, exc.reason, **exc.params) from None

            if not signed.verified:
                await run_in_threadpool(_auth, hub, request, body, [])  # who it is, before the rate
                wait = pushes.take(user)
                if wait:
                    raise _too_many(N_("too many pushes by this user; try again later"), "rate_limited", wait)
            return _Results({"results": await run_in_threadpool(check_and_accept)})
        finally:
            places.leave(holder)

    async def pull(request: Request) -> Response:
        refused_address_gate(request)
        user, authority = await in_read_thread(_auth, hub, request, b"")
        try:
            after = int(request.query_params.get("after", "0"))
            limit = min(int(request.query_params.get("limit", "1000")), 5000)
            wait = min(float(request.query_params.get("wait", "0")), MAX_WAIT)
        except ValueError:
            raise ClientError(400, N_("after, limit and wait must be numbers")) from None
        if not (0 <= after < 2**62 and limit >= 1 and 0 <= wait <= MAX_WAIT):  # also refuses NaN
            raise ClientError(400, N_("after must be >= 0, limit >= 1 and wait between 0 and {wait}"),
                              wait=f"{MAX_WAIT:g}")
        if 0 < after < retained_from(hub):
            raise ClientError(410, N_("the cursor predates the hub's retention; re-seed from the start"),
                              "cursor_expired")
        if wait > 0 and not polling.enter(user):
            raise _too_many(N_("this user already holds {count} long polls; wait for one "
                               "to end (or pull without wait)"), "too_many_polls", 1, count=limits.polls_per_user)
        try:
            rows = await long_poll(request, authority, after, limit, wait)
        finally:
            if wait > 0:
                polling.leave(user)
        # The stored bodies are already canonical JSON: spliced in, not parsed and dumped again.
        events = ",".join(f'{{"seq":{seq},"event":{body}}}' for seq, body in rows)
        last = rows[-1][0] if rows else after
        return Response(f'{{"events":[{events}],"last":{last}}}'.encode(), media_type="application/json")

    def first_query(authority: str | None, after: int, limit: int) -> list[tuple[int, str]]:
        hub.remind_due()  # reminders are due by the hub's clock, not the nodes'; checked when something moved
        return hub.events_for(authority, after, limit)

    async def long_poll(request: Request, authority: str | None, after: int, limit: int,
                        wait: float) -> list[tuple[int, str]]:
        """The events for ``authority`` after ``after``; if none, wait up to ``wait`` seconds
        for an arrival on the event loop (no thread held), until the client goes away."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        query: Callable[..., list[tuple[int, str]]] = first_query
        gone: asyncio.Task[None] | None = None
        try:
            while True:
                woken = arrivals.current()  # taken before the query: an arrival after it sets this one
                rows = await in_read_thread(query, authority, after, limit)
                query = hub.events_for
                left = deadline - loop.time()
                if rows or left <= 0 or hub.stopping:
                    return rows
                if gone is None:
                    gone = asyncio.ensure_future(_disconnected(request))
                arrived = asyncio.ensure_future(woken.wait())
                # woken by an arrival; with several hub processes, also every recheck_seconds
                # (a lost notification costs at most that)
                done, _ = await asyncio.wait({arrived, gone}, timeout=min(left, hub.recheck_seconds),
                                             return_when=asyncio.FIRST_COMPLETED)
                arrived.cancel()
                if gone in done:  # nobody to answer: free the user's place at once
                    return []
        finally:
            if gone is not None:
                gone.cancel()

    async def client_error(request: Request, exc: ClientError) -> JSONResponse:
        if exc.status == 401 and refusals.take(_address(request)):
            exc = _too_many(N_("too many refused requests from this address; try again later"), "rate_limited",
                            refusals.wait(_address(request)) or 1)
        return _error(exc.status, exc.message, exc.reason, exc.headers, exc.msgid, exc.params)

    async def http_error(request: Request, exc: Any) -> JSONResponse:
        return _error(getattr(exc, "status_code", 400), getattr(exc, "detail", "bad request"))

    async def client_gone(request: Request, exc: ClientDisconnect) -> Response:
        return _error(400, "the client went away before the body was complete")  # never delivered

    from contextlib import asynccontextmanager

    from starlette.exceptions import HTTPException

    @asynccontextmanager
    async def lifespan(app: Starlette):
        yield
        hub.stop()  # wake long polls so that the server (and its worker threads) can end

    handlers: dict[Any, Any] = {ClientError: client_error, HTTPException: http_error, ClientDisconnect: client_gone}
    app = Starlette(lifespan=lifespan, routes=[
        Route("/v1/info", info, methods=["GET"]),
        Route("/v1/openapi.json", openapi, methods=["GET"]),
        Route("/v1/enrol", enrol, methods=["POST"]),
        Route("/v1/events", push, methods=["POST"]),
        Route("/v1/events", pull, methods=["GET"]),
    ], exception_handlers=handlers)
    app.state.held = {"polls": polling, "pushes": pushing}  # what each user holds now (tests observe it)
    return app


async def _disconnected(request: Request) -> None:
    """Returns when the client of a request (whose body is read) has disconnected."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return
