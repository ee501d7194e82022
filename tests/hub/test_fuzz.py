"""Schema-driven fuzzing of a real hub on loopback with schemathesis.

The hub serves its own OpenAPI document; schemathesis generates requests from it, both
valid ones (positive) and ones that break it (negative). Requests are signed by an enrolled
coordinator, and in positive mode every generated event is signed too, so the fuzz reaches
the hub's checks of rights, audiences and transitions rather than stopping at the signature.
"""

from __future__ import annotations

import json
import os
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.core import NOT_SET
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from imi_cli.log.crypto import Signer
from imi_cli.protocol.limits import Limits, Rate
from imi_cli.protocol.signing import sign_request

# CI runs the same examples every time (derandomized); IMI_FUZZ_EXAMPLES=2000 fuzzes deeper by hand.
EXAMPLES = int(os.environ.get("IMI_FUZZ_EXAMPLES", "60"))
POSITIVE, NEGATIVE = GenerationMode.POSITIVE, GenerationMode.NEGATIVE
# (path, method, mode): /v1/info takes no input, so there is one request to make and no wrong one
CASES = [("/v1/info", "GET", POSITIVE)] + [
    (path, method, mode) for path, method in (("/v1/enrol", "POST"), ("/v1/events", "POST"), ("/v1/events", "GET"))
    for mode in (POSITIVE, NEGATIVE)]


# The fuzz sends a hundred bad enrolments a minute from one address: with the default rate
# limits most would get 429 and the checks behind them would go unfuzzed (the hub fixture reads this).
HUB_LIMITS = Limits(enrol_per_address=Rate(10_000, 60), push_per_user=Rate(10_000, 60),
                    refused_per_address=Rate(10_000, 60))


def _sign_events(body: Any, signer: Signer) -> Any:
    """Make every generated event the coordinator's own, signed: the checks behind it get fuzzed."""
    if isinstance(body, dict) and isinstance(body.get("events"), list):
        for i, event in enumerate(body["events"]):
            if isinstance(event, dict) and isinstance(event.get("actor"), dict):
                event["actor"]["user"] = signer.user_id
                body["events"][i] = signer.sign_event(event)
    return body


def _request(client: httpx.Client, case: Any, signer: Signer, secured: bool, mode: GenerationMode) -> httpx.Request:
    query = dict(case.query or {})
    if "wait" in query:  # a long poll may rightly hold for 30 s; the fuzz keeps it short
        query["wait"] = 0.05
    body = None if case.body is NOT_SET else case.body
    if mode is GenerationMode.POSITIVE:
        body = _sign_events(body, signer)
    if isinstance(body, bytes):  # negative mode may send raw bytes
        content = body
    else:
        content = json.dumps(body).encode() if body is not None else b""
    headers = {k: str(v) for k, v in (case.headers or {}).items()}
    if body is not None:
        headers.setdefault("content-type", case.media_type or "application/json")
    request = client.build_request(case.method, case.formatted_path, params=query, content=content,
                                   headers=headers)
    if secured:  # signed over exactly what goes on the wire
        request.headers.update(sign_request(signer, case.method, request.url.raw_path.decode("ascii"), content))
    return request


def _check(case: Any, response: httpx.Response, mode: GenerationMode) -> None:
    assert response.status_code < 500, (case.method, case.path, response.status_code, response.text)
    # a documented status, with the documented content type and body (errors included)
    case.validate_response(response, checks=[status_code_conformance, content_type_conformance,
                                             response_schema_conformance])
    data = response.json()
    if response.status_code >= 400:
        assert data["error"], response.text
        return
    if case.method == "POST" and case.path == "/v1/events":
        for result in data["results"]:
            assert result["status"] in ("accepted", "rejected"), result
            if result["status"] == "rejected":
                # every refusal is a typed reason, never an exception swallowed by the hub
                assert "could not be processed" not in result["message"], (case.body, result)
            else:
                assert mode is GenerationMode.POSITIVE, result


@pytest.mark.parametrize("path,method,mode", CASES, ids=[f"{m} {p} {g.value}" for p, m, g in CASES])
def test_generated_requests_never_break_the_hub(hub, net, path, method, mode):
    node = net.coordinator("HU")
    signer = Signer(node.meta("user_id"), node.meta("private_key"))
    with httpx.Client(base_url=hub.url, timeout=10) as client:
        document = client.get("/v1/openapi.json").json()
        operation = schemathesis.openapi.from_dict(document)[path][method]
        secured = "security" in document["paths"][path][method.lower()]
        seen = {"cases": 0}

        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  derandomize="IMI_FUZZ_EXAMPLES" not in os.environ, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def fuzz(case: Any) -> None:
            seen["cases"] += 1
            _check(case, client.send(_request(client, case, signer, secured, mode)), mode)

        fuzz()
    assert seen["cases"] >= (1 if path == "/v1/info" else 10)  # the strategy really produced requests
    count = hub.store.query("SELECT count(*) FROM events")[0][0]
    assert count == len({row for row in hub.store.query("SELECT id FROM events")})  # nothing doubled


def test_the_document_describes_every_route(hub):
    from imi_cli.hub.app import create_app

    document = httpx.get(hub.url + "/v1/openapi.json").json()
    served = {(route.path, method) for route in create_app(hub).routes for method in route.methods
              if method != "HEAD"}
    described = {(p, m.upper()) for p, ops in document["paths"].items() for m in ops}
    assert served - {("/v1/openapi.json", "GET")} == described
