"""A hub on this machine over plain HTTP is reached with imi's small HTTP/1.1 client
(``sync/loopback_http.py``: no httpx, http.client or TLS to import); every other hub through
httpx. Both answer alike."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from imi_cli.errors import HubUnreachable, Rejected
from imi_cli.sync import hubclient
from imi_cli.sync.hubclient import HubClient


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: list[tuple[str, str, bytes]] = []
    close_after = False  # close the connection after each answer, without saying so
    delay = 0.0

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        type(self).seen.append((self.command, self.path, body))
        time.sleep(type(self).delay)
        data = json.dumps({"hub": "test", "path": self.path}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        if type(self).close_after:
            self.close_connection = True

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, type[_Handler]]]:
    handler = type("Handler", (_Handler,), {"seen": [], "close_after": False, "delay": 0.0})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", handler
    httpd.shutdown()
    httpd.server_close()


def test_a_loopback_hub_answers_through_the_standard_library(pair):
    """(Every test with the ``pair`` fixture syncs through it.)"""
    with HubClient(pair.url) as client:
        assert isinstance(client._http, hubclient._Loopback)
        assert isinstance(client.info(), dict)
        with pytest.raises(Rejected):  # not signed: the hub's refusal, read as it is from httpx
            client.pull(0)


def test_which_hubs_go_through_httpx(monkeypatch):
    monkeypatch.delenv("HTTP_PROXY", raising=False)
    monkeypatch.delenv("http_proxy", raising=False)
    monkeypatch.delenv("ALL_PROXY", raising=False)
    monkeypatch.delenv("all_proxy", raising=False)
    for url in ("http://127.0.0.1:9", "http://localhost:9", "http://[::1]:9", "http://127.0.0.2:9/base"):
        assert hubclient._plain_loopback(url), url
    for url in ("https://127.0.0.1:9", "http://hub.example.eu:9", "http://user:pw@127.0.0.1:9",
                "http://127.0.0.1:9/?x=1"):
        assert not hubclient._plain_loopback(url), url
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")  # httpx honours it: so it goes there
    assert not hubclient._plain_loopback("http://127.0.0.1:9")
    with HubClient("https://127.0.0.1:9") as client:
        assert isinstance(client._http, hubclient._Httpx)


def test_requests_keep_their_path_body_and_headers(server):
    url, handler = server
    with HubClient(url + "/prefix/") as client:
        assert client._send("POST", "/v1/events", params={"after": 3}, payload={"events": []})["hub"] == "test"
        assert client.info()["path"] == "/prefix/v1/info"
    assert handler.seen == [("POST", "/prefix/v1/events?after=3", b'{"events":[]}'), ("GET", "/prefix/v1/info", b"")]


def test_bodies_go_as_utf8_and_a_lone_surrogate_as_the_hub_refuses_it(server):
    url, handler = server
    with HubClient(url) as client:
        client._send("POST", "/v1/events", payload={"events": [{"text": "Nagy Béla ✓"}]})
        client._send("POST", "/v1/events", payload={"events": [{"code": "\udcff"}]})  # not a traceback here
    assert handler.seen[0][2] == '{"events":[{"text":"Nagy Béla ✓"}]}'.encode()
    sent = handler.seen[1][2]
    with pytest.raises(UnicodeDecodeError):
        sent.decode("utf-8")  # what the hub's _json refuses (400, "not valid Unicode")


def test_a_connection_the_hub_closed_is_made_again(server):
    url, handler = server
    handler.close_after = True  # as a hub does with a connection idle past its keep-alive
    with HubClient(url) as client:
        for _ in range(3):
            assert client.info()["hub"] == "test"
            time.sleep(0.05)
    assert len(handler.seen) == 3


def test_a_hub_that_does_not_answer_in_time_or_at_all_is_unreachable(server):
    url, handler = server
    handler.delay = 1.0
    with HubClient(url, timeout=0.2) as client, pytest.raises(HubUnreachable) as late:
        client.info()
    assert "(ReadTimeout)" in str(late.value)
    with HubClient("http://127.0.0.1:9") as client, pytest.raises(HubUnreachable) as down:  # nothing listens
        client.info()
    assert "(ConnectError)" in str(down.value)


def test_a_loopback_sync_imports_no_httpx_and_makes_no_tls_context(server):
    url, _ = server
    probe = ("import sys, ssl\n"
             "made = []\n"
             "real = ssl.SSLContext.__new__\n"
             "ssl.SSLContext.__new__ = lambda cls, *a, **k: made.append(1) or real(cls, *a, **k)\n"
             "from imi_cli.sync.hubclient import HubClient\n"
             f"with HubClient({url!r}) as client:\n"
             "    client.info()\n"
             "print('httpx' in sys.modules, len(made))\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "0"]
