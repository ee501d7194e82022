"""``imi_cli.sync.loopback_http``, the node's HTTP/1.1 client for a hub on loopback (in place of
http.client, whose imports slowed every `imi sync`): answers sized by Content-Length, chunked or
by the end of the connection; a kept connection; clear errors for what is not HTTP. Each case
is a server that writes given bytes, whatever it was asked."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from imi_cli.errors import HubUnreachable
from imi_cli.sync.hubclient import HubClient
from imi_cli.sync.loopback_http import Connection, ProtocolError


class Raw:
    """A loopback server answering each request read with the next of ``answers`` (bytes),
    keeping the connection unless ``close`` (then one answer per connection)."""

    def __init__(self, answers: list[bytes], *, close: bool = False, delay: float = 0.0) -> None:
        self.answers, self.close, self.delay = list(answers), close, delay
        self.requests: list[bytes] = []
        self.connections = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self.answers:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                while self.answers:
                    request = self._request(conn)
                    if request is None:
                        break
                    self.requests.append(request)
                    time.sleep(self.delay)
                    conn.sendall(self.answers.pop(0))
                    if self.close:
                        break

    @staticmethod
    def _request(conn: socket.socket) -> bytes | None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        while len(body) < length:
            body += conn.recv(65536)
        return data

    def stop(self) -> None:
        self.listener.close()


@pytest.fixture
def raw() -> Iterator:
    made: list[Raw] = []

    def start(answers: list[bytes], **kwargs) -> Raw:
        made.append(Raw(answers, **kwargs))
        return made[-1]

    yield start
    for server in made:
        server.stop()


def _ask(conn: Connection, method: str = "GET", target: str = "/v1/info", body: bytes = b""):
    conn.send(method, target, body, {"X-IMI-User": "u1"}, 5.0)
    return conn.receive()


def test_a_request_says_its_host_length_and_headers(raw):
    server = raw([b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"] * 2)
    conn = Connection("127.0.0.1", server.port)
    _ask(conn, "POST", "/v1/events?after=3", b'{"events": []}')
    _ask(conn, "GET", "/v1/info")
    conn.close()
    post, get = server.requests
    assert post.startswith(b"POST /v1/events?after=3 HTTP/1.1\r\n")
    assert f"Host: 127.0.0.1:{server.port}\r\n".encode() in post and b"Content-Length: 14\r\n" in post
    assert b"X-IMI-User: u1\r\n" in post and post.endswith(b'\r\n\r\n{"events": []}')
    assert get.startswith(b"GET /v1/info HTTP/1.1\r\n") and b"Content-Length" not in get
    assert Connection("::1", 80)._host_header == "[::1]" and Connection("localhost", 8)._host_header == "localhost:8"


def test_answers_sized_every_way_on_one_kept_connection(raw):
    server = raw([b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"a\": \"b\"}\n",
                  b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
                  b"4;ext=1\r\n{\"a\"\r\nA\r\n: \"chunked\r\n2\r\n\"}\r\n0\r\nX-Trailer: t\r\n\r\n",
                  b"HTTP/1.1 204 No Content\r\n\r\n",
                  b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"])
    conn = Connection("127.0.0.1", server.port)
    first = _ask(conn)
    assert (first.status, first.content, first.will_close) == (200, b'{"a": "b"}\n', False)
    assert first.headers.get("content-type") == "application/json" == first.headers.get("Content-TYPE")
    assert first.headers.get("retry-after") is None and first.headers.get("date", "none") == "none"
    chunked = _ask(conn, "POST")
    assert (chunked.status, chunked.content) == (201, b'{"a": "chunked"}')
    assert _ask(conn).content == b""
    assert _ask(conn).status == 200  # the interim answer skipped
    conn.close()
    assert server.connections == 1


def test_an_answer_to_the_end_of_the_connection_or_saying_close(raw):
    server = raw([b"HTTP/1.0 200 OK\r\n\r\n{\"until\": \"closed\"}",
                  b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}",
                  b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\n{}"], close=True)
    for content, closes in ((b'{"until": "closed"}', True), (b"{}", True), (b"{}", False)):
        conn = Connection("127.0.0.1", server.port)
        answer = _ask(conn)
        assert (answer.content, answer.will_close) == (content, closes)
        conn.close()


@pytest.mark.parametrize("answer, says", [
    (b"", "closed the connection without answering"),
    (b"SSH-2.0-OpenSSH_9.6\r\n", "not an HTTP/1.x status line"),
    (b"HTTP/1.1 2000 OK\r\n\r\n", "not an HTTP/1.x status line"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}", "ended after 2 of its 10 bytes"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "not a Content-Length"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "not a chunk size"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", "not a chunk size"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}xx", "does not end with a line break"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "unsupported transfer coding"),
    (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "not a header line"),
    (b"HTTP/1.1 200 OK\r\nContent-Len", "ended within its headers"),
    (b"HTTP/1.1 200 OK\r\n" + b"X-A: b\r\n" * 101 + b"\r\n", "more than 100 headers"),
    (b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 70000 + b"\r\n\r\n", "too long"),
])
def test_what_is_not_http_is_a_protocol_error(raw, answer, says):
    server = raw([answer], close=True)
    conn = Connection("127.0.0.1", server.port)
    with pytest.raises(ProtocolError, match=says):
        _ask(conn)
    conn.close()


def test_a_folded_header_line_continues_the_one_before(raw):
    server = raw([b"HTTP/1.1 200 OK\r\nX-Note: one\r\n  two\r\nContent-Length: 0\r\n\r\n"])
    conn = Connection("127.0.0.1", server.port)
    assert _ask(conn).headers.get("x-note") == "one two"
    conn.close()


def test_a_line_break_in_a_header_is_refused_before_sending(raw):
    server = raw([b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"])
    conn = Connection("127.0.0.1", server.port)
    with pytest.raises(ValueError):
        conn.send("GET", "/v1/info", b"", {"X-IMI-User": "u1\r\nX-Evil: 1"}, 5.0)
    conn.close()
    assert server.requests == []


def test_through_the_hub_client_errors_read_as_before(raw):
    """(As httpx names them: ``hubclient._Loopback`` maps this module's errors.)"""
    server = raw([b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}"], close=True)
    with HubClient(f"http://127.0.0.1:{server.port}") as client, pytest.raises(HubUnreachable) as cut:
        client.info()
    assert "(RemoteProtocolError)" in str(cut.value)
    busy = b'HTTP/1.1 503 Busy\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n{"error": "full"}'
    server = raw([busy], close=True)
    with HubClient(f"http://127.0.0.1:{server.port}") as client, pytest.raises(HubUnreachable) as failed:
        client.info()
    assert "failed: full" in str(failed.value)
    server = raw([b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"], delay=1.0)
    with HubClient(f"http://127.0.0.1:{server.port}", timeout=0.2) as client, pytest.raises(HubUnreachable) as late:
        client.info()
    assert "(ReadTimeout)" in str(late.value)


def test_localhost_and_a_large_answer(raw):
    body = b'{"events": [' + b",".join(b'{"seq": %d, "pad": "%s"}' % (i, b"x" * 900) for i in range(3000)) + b"]}"
    server = raw([b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body])
    try:
        conn = Connection("localhost", server.port)
        assert _ask(conn).content == body
    except OSError:  # localhost names ::1 first where nothing listens, and 127.0.0.1 is not tried
        pytest.fail("localhost did not reach 127.0.0.1")
    conn.close()
