"""Attacks on the hub's network surface (issue 10, items 5, 12 and 13), each against a real
hub on loopback:

- long polls must not hold worker threads: many polls from one user never delay another
  user's push, and a user may hold only a few at once;
- an unauthenticated request is refused on its headers, before its body is read;
- enrolment (guessing codes) and pushes are rate-limited, with 429 and Retry-After;
- JSON bodies with NaN or Infinity are refused;
- with IMI_NOW set on the hub, nonces expire by the same clock as the time window.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from types import SimpleNamespace

import httpx
import pytest

from imi_cli.log import clock
from imi_cli.log.crypto import Signer
from imi_cli.protocol.signing import sign_request
from tests.hub.conftest import PASSPHRASE, Network, cheap_kdf, signed_headers, signed_messages, sync  # noqa: F401


@pytest.fixture
def serve(tmp_path, cheap_kdf):  # noqa: F811 - the fixture imported above
    """serve(**limits) -> (hub, network): a hub on loopback with the given API limits."""
    from imi_cli.hub.background import BackgroundHub
    from imi_cli.hub.state import init_hub
    from imi_cli.protocol.limits import Limits

    made: list[tuple] = []

    def make(**limits):
        state = init_hub(tmp_path / f"hub-{len(made)}.db", PASSPHRASE)
        served = BackgroundHub(state, limits=Limits(**limits)).__enter__()
        state.url, state.app = served.url, served.app
        network = Network(state, tmp_path)
        made.append((state, served, network))
        return state, network

    yield make
    for state, served, network in made:
        served.__exit__(None, None, None)
        network.close()
        state.store.close()


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def _poll(url: str, headers: dict[str, str], target: str, out: list, i: int) -> None:
    try:
        with httpx.Client(base_url=url, timeout=60) as client:
            response = client.get(target, headers=headers)
        out[i] = (time.monotonic(), response.status_code, response.json())
    except Exception as exc:  # pragma: no cover - reported by the assertion below
        out[i] = (time.monotonic(), None, repr(exc))


def _start_polls(hub, store, n: int, wait: float = 30) -> tuple[list, list[threading.Thread]]:
    """n long polls by ``store``'s user, each with its own signed request, all waiting at once."""
    cursor = hub.store.query("SELECT max(seq) FROM events")[0][0]
    target = f"/v1/events?after={cursor}&wait={wait:g}"
    signed = [signed_headers(store, "GET", target, b"") for _ in range(n)]  # signed here: one thread uses the store
    out: list = [None] * n
    threads = [threading.Thread(target=_poll, args=(hub.url, signed[i], target, out, i), daemon=True)
               for i in range(n)]
    for t in threads:
        t.start()
    return out, threads


# -- item 5: long polls and worker threads ------------------------------------------------
def _until(done, seconds: float = 10) -> None:
    """Wait until ``done()`` holds (the hub takes its time on a busy machine), at most ``seconds``."""
    deadline = time.monotonic() + seconds
    while not done() and time.monotonic() < deadline:
        time.sleep(0.02)


def _polls_held(hub, node) -> int:
    return hub.app.state.held["polls"].held.get(node.meta("user_id"), 0)


def test_sixty_long_polls_do_not_delay_another_users_push(serve):
    hub, net = serve(polls_per_user=100)  # the per-user limit is tested below: here every poll waits
    hu, ie = net.coordinator("HU"), net.coordinator("IE")
    sync(hu)
    out, threads = _start_polls(hub, hu, 60)
    _until(lambda: _polls_held(hub, hu) == 60)  # all 60 held (more than the 40 worker threads)
    assert _polls_held(hub, hu) == 60
    assert all(o is None for o in out), "the polls were answered before any event arrived"
    (event,) = signed_messages(ie, "HU-NCO", 1)
    body = json.dumps({"events": [event]}).encode()
    headers = {"content-type": "application/json", **signed_headers(ie, "POST", "/v1/events", body)}
    start = time.monotonic()
    response = httpx.post(hub.url + "/v1/events", content=body, headers=headers, timeout=60)
    took = time.monotonic() - start
    assert response.status_code == 200 and response.json()["results"][0]["status"] == "accepted", response.text
    assert took < 3, f"the push waited {took:.1f} s behind long polls"
    for t in threads:
        t.join(10)
    # every waiting poll got the event within a second of the push
    assert all(o is not None and o[1] == 200 for o in out), out
    assert all([e["event"]["id"] for e in o[2]["events"]] == [event["id"]] for o in out)
    late = max(o[0] for o in out) - (start + took)
    print(f"push under 60 polls: {took:.3f} s; last poll answered {late:.3f} s after it")
    assert late < 1, f"a waiting poll got the event {late:.1f} s after the push"


def test_a_user_holds_at_most_a_few_long_polls(serve):
    from imi_cli.protocol.limits import Limits

    hub, net = serve()
    allowed = Limits().polls_per_user
    hu, ie = net.coordinator("HU"), net.coordinator("IE")
    out, threads = _start_polls(hub, hu, allowed + 6, wait=5)
    _until(lambda: _polls_held(hub, hu) == allowed and sum(o is not None for o in out) == 6)
    refused = [o for o in out if o is not None]
    assert len(refused) == 6, out  # the ones over the limit are answered at once ...
    for _, status, data in refused:
        assert status == 429 and data["reason"] == "too_many_polls" and "long polls" in data["error"], data
    # ... while the others still wait, and another user's polls are not affected
    other, other_threads = _start_polls(hub, ie, allowed, wait=5)
    _until(lambda: _polls_held(hub, ie) == allowed)
    assert _polls_held(hub, ie) == allowed and all(o is None for o in other), other
    for t in threads + other_threads:
        t.join(15)
    assert sum(1 for o in out if o[1] == 200) == allowed
    # once they ended, the user may poll again
    target = "/v1/events?after=0&wait=0.1"
    assert httpx.get(hub.url + target, headers=signed_headers(hu, "GET", target, b"")).status_code == 200


def test_a_poll_that_cannot_wait_is_not_counted(serve):
    """wait=0 is a plain read: it never takes one of the user's long-poll places."""
    from imi_cli.protocol.limits import Limits

    hub, net = serve()
    hu = net.coordinator("HU")
    out, threads = _start_polls(hub, hu, Limits().polls_per_user, wait=3)
    _until(lambda: _polls_held(hub, hu) == Limits().polls_per_user)
    assert _polls_held(hub, hu) == Limits().polls_per_user
    target = "/v1/events?after=0"
    assert httpx.get(hub.url + target, headers=signed_headers(hu, "GET", target, b"")).status_code == 200
    for t in threads:
        t.join(10)


# -- item 12: the body is read only for a request whose headers pass ------------------------
def _raw_post(port: int, path: str, headers: dict[str, str], declared: int, send: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    head = f"POST {path} HTTP/1.1\r\nHost: hub\r\ncontent-type: application/json\r\ncontent-length: {declared}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    sock.sendall(head.encode() + send)
    return sock


def _answer(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


@pytest.mark.parametrize("change", ["unknown user", "stale time", "no signature", "bad nonce", "revoked",
                                    "forged signature"])
def test_a_push_with_bad_headers_is_refused_before_its_body_arrives(serve, change):
    hub, net = serve()
    node = net.coordinator("HU")
    headers = signed_headers(node, "POST", "/v1/events", b"whatever")
    if change == "unknown user":
        headers["X-IMI-User"] = "nobody"
    elif change == "stale time":
        headers["X-IMI-Time"] = "2001-01-01T00:00:00Z"
    elif change == "no signature":
        del headers["X-IMI-Signature"]
    elif change == "bad nonce":
        headers["X-IMI-Nonce"] = "x" * 5000
    elif change == "forged signature":  # a known user's id (the directory is public) with a made-up signature
        headers["X-IMI-Signature"] = "A" * 86
    else:
        hub.revoke(node.meta("user_id"))
    # 8 MB declared, 1 KB sent: the hub answers without waiting for (or buffering) the rest
    sock = _raw_post(_port(hub.url), "/v1/events", headers, 8 * 1024 * 1024 - 1, b"{" + b" " * 1023)
    try:
        head = _answer(sock)
    except TimeoutError:
        pytest.fail("the hub waited for the body of a request it could refuse on its headers")
    finally:
        sock.close()
    assert head.startswith(b"HTTP/1.1 401"), head


def test_forty_held_connections_cost_no_bodies(serve):
    """The attack of the issue: 40 connections, each declaring 8 MB and sending a little.
    Each is refused at once; none is buffered while the client dawdles."""
    hub, _ = serve()
    when = clock.iso(clock.now())
    socks = [_raw_post(_port(hub.url), "/v1/events",
                       {"X-IMI-User": f"nobody{i}", "X-IMI-Time": when, "X-IMI-Nonce": f"nonce-{i:020d}",
                        "X-IMI-Signature": "A" * 86}, 8 * 1024 * 1024 - 1, b"[" * 4096) for i in range(40)]
    try:
        heads = [_answer(s) for s in socks]
    except TimeoutError:
        pytest.fail("the hub held connections waiting for bodies it could refuse on their headers")
    finally:
        for s in socks:
            s.close()
    assert all(h.startswith(b"HTTP/1.1 401") for h in heads), heads


def test_the_app_does_not_consume_the_body_of_an_unknown_user(serve):
    """At the ASGI level: a request from an unknown user with an 8 MB body: the app asks
    for none of it."""
    from imi_cli.hub.app import create_app

    hub, _ = serve()
    app = create_app(hub)
    consumed = {"bytes": 0, "calls": 0}
    chunk = b" " * 65536

    async def receive():
        consumed["calls"] += 1
        if consumed["bytes"] >= 8 * 1024 * 1024 - len(chunk):
            return {"type": "http.request", "body": b"", "more_body": False}
        consumed["bytes"] += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    headers = {"content-type": "application/json", "content-length": str(8 * 1024 * 1024 - 1),
               "x-imi-user": "nobody", "x-imi-time": clock.iso(clock.now()), "x-imi-nonce": "n" * 22,
               "x-imi-signature": "A" * 86}
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": "/v1/events", "raw_path": b"/v1/events", "query_string": b"",
             "root_path": "", "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
             "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 8443)}
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 401
    assert consumed["bytes"] == 0, f"the app read {consumed['bytes']} bytes of an unauthenticated body"


def test_enrolment_guesses_are_rate_limited_per_address(serve):
    from imi_cli.protocol.limits import Limits

    hub, net = serve()
    allowed = Limits().enrol_per_address.requests
    guess = json.dumps({"code": "0000-0000-0000-0000-0000-0000-0000-0000", "public_key": "k", "proof": "p"})
    statuses = []
    for _ in range(allowed + 3):
        r = httpx.post(hub.url + "/v1/enrol", content=guess, headers={"content-type": "application/json"})
        statuses.append(r.status_code)
    assert statuses[:allowed] == [403] * allowed, statuses
    assert statuses[allowed:] == [429] * 3, statuses
    assert r.json()["reason"] == "rate_limited" and int(r.headers["retry-after"]) >= 1, (r.headers, r.text)


def test_successful_enrolments_do_not_count_against_the_address(serve):
    from imi_cli.protocol.limits import Rate

    hub, net = serve(enrol_per_address=Rate(2, 60))
    for country in ("HU", "IE", "DE", "FR"):  # four enrolments from one address, with a limit of two
        net.coordinator(country)


def test_pushes_are_rate_limited_per_user(serve):
    from imi_cli.protocol.limits import Rate

    hub, net = serve(push_per_user=Rate(3, 60))
    hu, ie = net.coordinator("HU"), net.coordinator("IE")  # each coordinator's first sync pushed nothing
    statuses = []
    for event in signed_messages(ie, "HU-NCO", 5):
        body = json.dumps({"events": [event]}).encode()
        r = httpx.post(hub.url + "/v1/events", content=body,
                       headers={"content-type": "application/json", **signed_headers(ie, "POST", "/v1/events", body)})
        statuses.append(r.status_code)
    assert statuses == [200, 200, 200, 429, 429], statuses
    assert r.json()["reason"] == "rate_limited" and 1 <= int(r.headers["retry-after"]) <= 60, r.headers
    # another user is not affected
    (event,) = signed_messages(hu, "IE-NCO", 1)
    body = json.dumps({"events": [event]}).encode()
    r = httpx.post(hub.url + "/v1/events", content=body,
                   headers={"content-type": "application/json", **signed_headers(hu, "POST", "/v1/events", body)})
    assert r.status_code == 200, r.text


# -- item 13: NaN and Infinity; one clock for the window and the nonces -------------------------
@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_refused(serve, constant):
    hub, net = serve()
    node = net.coordinator("HU")
    body = f'{{"events": [{{"id": "x", "n": {constant}}}]}}'.encode()
    r = httpx.post(hub.url + "/v1/events", content=body,
                   headers={"content-type": "application/json", **signed_headers(node, "POST", "/v1/events", body)})
    assert r.status_code == 400 and "JSON" in r.json()["error"], r.text
    body = f'{{"code": "x", "public_key": "k", "proof": "p", "n": {constant}}}'.encode()
    r = httpx.post(hub.url + "/v1/enrol", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400 and "JSON" in r.json()["error"], r.text


def test_with_imi_now_set_nonces_expire_by_the_same_clock_as_the_window(serve, monkeypatch):
    """The hub's clock is fixed (a training hub): a request signed at that time stays within the
    window however long the hub runs, so its nonce must be remembered as long."""
    import imi_cli.protocol.signing as signing

    monkeypatch.setenv("IMI_NOW", "2026-03-01T09:00:00+00:00")
    hub, net = serve()
    node = net.coordinator("HU")
    target = "/v1/events?after=0"
    headers = signed_headers(node, "GET", target, b"")
    assert httpx.get(hub.url + target, headers=headers).status_code == 200
    # ten real minutes pass; the hub's clock still says 09:00, so the request is still in its window
    real = time.time
    monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: real() + 600), raising=False)
    other = signed_headers(node, "GET", target, b"")  # any request clears expired nonces
    assert httpx.get(hub.url + target, headers=other).status_code == 200
    replay = httpx.get(hub.url + target, headers=headers)
    assert replay.status_code == 401 and "replayed" in replay.json()["error"], replay.text


def test_nonces_expire_when_the_set_clock_moves_on(serve, monkeypatch):
    """... and they are forgotten once the set clock has left their window (the table stays small)."""
    monkeypatch.setenv("IMI_NOW", "2026-03-01T09:00:00+00:00")
    hub, net = serve()
    node = net.coordinator("HU")
    target = "/v1/events?after=0"
    assert httpx.get(hub.url + target, headers=signed_headers(node, "GET", target, b"")).status_code == 200
    assert hub.store.query("SELECT count(*) FROM request_nonces")[0][0] >= 1
    monkeypatch.setenv("IMI_NOW", "2026-03-01T10:00:00+00:00")
    assert httpx.get(hub.url + target, headers=signed_headers(node, "GET", target, b"")).status_code == 200
    assert hub.store.query("SELECT count(*) FROM request_nonces")[0][0] == 1  # only the newest


def test_signed_requests_use_the_hub_api_as_documented(serve):
    """A sanity check of the helpers above: a correctly signed push and pull pass every new check."""
    hub, net = serve()
    node = net.coordinator("HU")
    signer = Signer(node.meta("user_id"), node.meta("private_key"))
    body = b'{"events": []}'
    r = httpx.post(hub.url + "/v1/events", content=body,
                   headers={"content-type": "application/json", **sign_request(signer, "POST", "/v1/events", body)})
    assert r.status_code == 200 and r.json() == {"results": []}, r.text


def test_a_user_has_a_few_pushes_in_flight_at_most(serve):
    """Pushes whose bodies dawdle: a user (verified by the signature over the body's hash sent
    ahead) holds a few at once; more get 429 at once, before their bodies are read."""
    from imi_cli.protocol.limits import Limits

    hub, net = serve()
    node = net.coordinator("HU")
    most = Limits().pushes_at_once_per_user
    body = b'{"events": []}' + b" " * 100_000
    socks = [_raw_post(_port(hub.url), "/v1/events", signed_headers(node, "POST", "/v1/events", body),
                       len(body), body[:1000]) for _ in range(most)]
    # until the hub holds them all (a fixed sleep loses the race on a busy machine)
    held = hub.app.state.held["pushes"].held
    _until(lambda: held.get(node.meta("user_id"), 0) == most)
    assert held.get(node.meta("user_id"), 0) == most
    extra = _raw_post(_port(hub.url), "/v1/events", signed_headers(node, "POST", "/v1/events", body),
                      len(body), body[:1000])
    try:
        head = _answer(extra)
        # the body may have come with the head or may follow it: read on only if it is not there yet
        whole = head if b"too_many_pushes" in head else head + extra.recv(4096)
        assert head.startswith(b"HTTP/1.1 429") and b"too_many_pushes" in whole, head
        for sock in socks:  # the held ones complete normally
            sock.sendall(body[1000:])
            assert _answer(sock).startswith(b"HTTP/1.1 200")
    finally:
        for sock in socks + [extra]:
            sock.close()


def test_a_body_that_does_not_arrive_in_time_is_refused(serve):
    hub, net = serve(body_seconds=1)
    node = net.coordinator("HU")
    body = b'{"events": []}' + b" " * 10_000
    sock = _raw_post(_port(hub.url), "/v1/events", signed_headers(node, "POST", "/v1/events", body),
                     len(body), body[:100])
    try:
        start = time.monotonic()
        head = _answer(sock)
        assert head.startswith(b"HTTP/1.1 408"), head
        assert time.monotonic() - start < 4
    finally:
        sock.close()


def test_refused_signed_requests_are_rate_limited_per_address(serve):
    from imi_cli.protocol.limits import Rate

    hub, net = serve(refused_per_address=Rate(5, 60))
    node = net.coordinator("HU")
    target = "/v1/events?after=0"
    statuses = []
    for _ in range(7):
        headers = {**signed_headers(node, "GET", target, b""), "X-IMI-Signature": "A" * 86}
        statuses.append(httpx.get(hub.url + target, headers=headers).status_code)
    assert statuses == [401] * 5 + [429] * 2, statuses
    # the address waits: even a correct request is turned away until Retry-After has passed
    r = httpx.get(hub.url + target, headers=signed_headers(node, "GET", target, b""))
    assert r.status_code == 429 and r.json()["reason"] == "rate_limited" and int(r.headers["retry-after"]) >= 1


def test_a_poll_whose_client_went_away_frees_its_place(serve):
    from imi_cli.protocol.limits import Limits

    hub, net = serve()
    hu = net.coordinator("HU")
    cursor = hub.store.query("SELECT max(seq) FROM events")[0][0]
    target = f"/v1/events?after={cursor}&wait=30"
    socks = []
    for _ in range(Limits().polls_per_user):
        sock = socket.create_connection(("127.0.0.1", _port(hub.url)), timeout=5)
        head = f"GET {target} HTTP/1.1\r\nHost: hub\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in signed_headers(hu, "GET", target, b"").items()) + "\r\n"
        sock.sendall(head.encode())
        socks.append(sock)
    time.sleep(0.5)
    blocked = httpx.get(hub.url + target.replace("wait=30", "wait=1"),
                        headers=signed_headers(hu, "GET", target.replace("wait=30", "wait=1"), b""))
    assert blocked.status_code == 429, blocked.text
    for sock in socks:
        sock.close()
    time.sleep(0.5)
    again = target.replace("wait=30", "wait=0.5")
    assert httpx.get(hub.url + again, headers=signed_headers(hu, "GET", again, b"")).status_code == 200


def test_stopping_the_hub_releases_waiting_polls_at_once(serve):
    hub, net = serve()
    hu = net.coordinator("HU")
    out, threads = _start_polls(hub, hu, 4)
    time.sleep(1)
    start = time.monotonic()
    hub.stop()
    for t in threads:
        t.join(5)
    assert all(o is not None and o[1] == 200 and o[0] - start < 1 for o in out), out


def test_pushes_without_the_body_hash_share_a_few_places(serve):
    """Without X-IMI-Body-SHA256 the signature can be checked only over the body, so a known
    user's id with a made-up signature gets its body read: such pushes share a few places
    (whoever they claim to be), and the signature still decides."""
    hub, net = serve(unverified_pushes_at_once=2)
    node = net.coordinator("HU")
    body = b'{"events": []}' + b" " * 100_000

    def forged():
        headers = signed_headers(node, "POST", "/v1/events", body)
        del headers["X-IMI-Body-SHA256"]
        headers["X-IMI-Signature"] = "A" * 86
        return headers

    socks = [_raw_post(_port(hub.url), "/v1/events", forged(), len(body), body[:1000]) for _ in range(2)]
    time.sleep(0.5)
    extra = _raw_post(_port(hub.url), "/v1/events", forged(), len(body), body[:1000])
    try:
        assert _answer(extra).startswith(b"HTTP/1.1 429")
        for sock in socks:
            sock.sendall(body[1000:])
            assert _answer(sock).startswith(b"HTTP/1.1 401")  # read, then refused on the signature
    finally:
        for sock in socks + [extra]:
            sock.close()
    # a correct push without the header still works
    headers = signed_headers(node, "POST", "/v1/events", body)
    del headers["X-IMI-Body-SHA256"]
    r = httpx.post(hub.url + "/v1/events", content=body, headers={"content-type": "application/json", **headers})
    assert r.status_code == 200, r.text
