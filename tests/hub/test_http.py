"""The hub's HTTP surface: every client mistake is a 4xx with a JSON error, never a 500."""

from __future__ import annotations

import json

import httpx
import pytest

from .conftest import signed_headers


@pytest.fixture
def node(net):
    return net.coordinator("HU")


def _expect_4xx(response, status=None):
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    if status:
        assert response.status_code == status, response.text
    assert isinstance(response.json()["error"], str)


def _signed_post(hub, node, body: bytes, content_type="application/json", path="/v1/events"):
    headers = {"content-type": content_type, **signed_headers(node, "POST", path, body)}
    return httpx.post(hub.url + path, content=body, headers=headers)


@pytest.mark.parametrize("body", [b"{", b"not json", b"\xff\xfe", b"[" * 100_000 + b"]" * 100_000,
                                  b'{"events": 5}', b'{"events": "x"}', b"[]", b"null", b'"s"',
                                  b'{"events": [1, "x", null, [], {"id": 5}, {"id": ["a"]}, {}]}',
                                  b'{"events": [{"id": "x", "type": "message.sent", "actor": {}, "at": "",'
                                  b' "audience": [], "subject": {}, "payload": {}, "signature": {"by": []}}]}'])
def test_malformed_pushes(hub, node, body):
    response = _signed_post(hub, node, body)
    if response.status_code == 200:  # well-formed JSON, bad events: each rejected with a reason
        results = response.json()["results"]
        assert results and all(r["status"] == "rejected" for r in results)
    else:
        _expect_4xx(response)


def test_oversize_batch_and_body(hub, node):
    _expect_4xx(_signed_post(hub, node, json.dumps({"events": [{}] * 2001}).encode()), 400)
    big = b'{"events": [], "pad": "' + b"x" * (9 * 1024 * 1024) + b'"}'
    _expect_4xx(_signed_post(hub, node, big), 413)
    # a lying content-length header is refused before the body is read
    import socket

    with socket.create_connection(("127.0.0.1", int(hub.url.rsplit(":", 1)[1])), timeout=5) as sock:
        sock.sendall(b"POST /v1/enrol HTTP/1.1\r\nHost: hub\r\ncontent-type: application/json\r\n"
                     b"content-length: 999999999999\r\n\r\n{}")
        head = sock.recv(4096)
    assert head.startswith(b"HTTP/1.1 413"), head


def test_wrong_content_type_and_missing_signature(hub, node):
    body = b'{"events": []}'
    _expect_4xx(_signed_post(hub, node, body, content_type="text/plain"), 415)
    _expect_4xx(_signed_post(hub, node, body, content_type="application/x-www-form-urlencoded"), 415)
    _expect_4xx(httpx.post(hub.url + "/v1/events", content=body, headers={"content-type": "application/json"}), 401)
    _expect_4xx(httpx.get(hub.url + "/v1/events"), 401)
    headers = signed_headers(node, "POST", "/v1/events", body)
    for drop in [h for h in headers if h != "X-IMI-Body-SHA256"]:  # that one is optional (below)
        partial = {k: v for k, v in headers.items() if k != drop}
        _expect_4xx(httpx.post(hub.url + "/v1/events", content=body,
                               headers={"content-type": "application/json", **partial}), 401)
    # the body's hash sent ahead must be the body's; without it, the signature is checked over the body
    for digest in ("0" * 64, "X" * 64, "short"):
        _expect_4xx(httpx.post(hub.url + "/v1/events", content=body, headers={
            "content-type": "application/json", **headers, "X-IMI-Body-SHA256": digest}), 401)
    other = signed_headers(node, "POST", "/v1/events", body)
    _expect_4xx(httpx.post(hub.url + "/v1/events", content=b'{"events": [] }', headers={
        "content-type": "application/json", **other}), 401)  # another body than the one announced
    fresh = {k: v for k, v in signed_headers(node, "POST", "/v1/events", body).items() if k != "X-IMI-Body-SHA256"}
    response = httpx.post(hub.url + "/v1/events", content=body, headers={"content-type": "application/json", **fresh})
    assert response.status_code == 200, response.text
    for key, value in (("X-IMI-Time", "yesterday"), ("X-IMI-Signature", "!!!"), ("X-IMI-Signature", "é".encode()),
                       ("X-IMI-User", "nobody"), ("X-IMI-Time", "9999-99-99T99:99:99Z")):
        _expect_4xx(httpx.post(hub.url + "/v1/events", content=body,
                               headers={"content-type": "application/json", **headers, key: value}), 401)


@pytest.mark.parametrize("query", ["after=x", "after=-1", "limit=0", "limit=abc", "wait=nan", "wait=-1",
                                   "after=99999999999999999999999999", "after=1.5", "limit=1e9"])
def test_bad_query_params(hub, node, query):
    target = f"/v1/events?{query}"
    _expect_4xx(httpx.get(hub.url + target, headers=signed_headers(node, "GET", target, b"")), 400)


def test_enrol_mistakes(hub):
    for body in (b"{", b"[]", b'{"code": 1}', b'{"code": "x", "public_key": "y", "proof": "z"}',
                 b'{"code": "x", "public_key": "\xc3\xa9", "proof": "z"}'):
        _expect_4xx(httpx.post(hub.url + "/v1/enrol", content=body, headers={"content-type": "application/json"}))
    _expect_4xx(httpx.post(hub.url + "/v1/enrol", content=b"{}", headers={"content-type": "text/plain"}), 415)


def test_unknown_paths_and_methods(hub):
    _expect_4xx(httpx.get(hub.url + "/nope"), 404)
    _expect_4xx(httpx.delete(hub.url + "/v1/events"), 405)
    _expect_4xx(httpx.put(hub.url + "/v1/info"), 405)
    assert httpx.get(hub.url + "/v1/info").json()["api"] == 1
