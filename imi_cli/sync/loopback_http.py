"""Plain HTTP/1.1 to imi's own hub on this machine (``hubclient._Loopback``), and nothing else.

The standard library's ``http.client`` imports the email parser and ``ssl`` (which loads
OpenSSL): ~10-15 ms, a fifth of an `imi sync` with nothing to do (issue 17, target 5:
bench/bench_sync_startup.py). What the node needs of a hub on loopback is small: one request
at a time on one kept connection, a body with a Content-Length, and an answer whose body is
sized by Content-Length, chunked, or runs to the end of the connection. No TLS, no proxy, no
redirects, no compression (asked for with ``Accept-Encoding: identity``), no ``Expect``.
Every other hub goes through httpx.

It uses ``_socket``, the C module under ``socket``: importing ``socket`` itself (its enums) is
~2.5 ms more, and nothing of it is needed here.

Errors: ``OSError`` (``TimeoutError`` included) from the socket as it comes; an answer that
is not HTTP/1.x as this module reads it, or ends before its body does, is ``ProtocolError``.
"""

from __future__ import annotations

import _socket
from typing import Any

MAX_LINE = 65536  # as http.client: a status or header line longer than this is refused
MAX_HEADERS = 100
READ_SIZE = 256 * 1024
_NO_BODY = (204, 304)


class ProtocolError(Exception):
    """The hub's answer is not HTTP/1.x as this client reads it (or it ended too soon)."""


class Headers:
    """An answer's headers, read case-blind; ``get`` gives the first of a repeated one."""

    def __init__(self, items: list[tuple[str, str]]) -> None:
        self.items = items
        self._first: dict[str, str] = {}
        for name, value in items:
            self._first.setdefault(name.lower(), value)

    def get(self, name: str, default: Any = None) -> Any:
        return self._first.get(name.lower(), default)


class Response:
    def __init__(self, status: int, headers: Headers, content: bytes, will_close: bool) -> None:
        self.status, self.headers, self.content, self.will_close = status, headers, content, will_close


class Connection:
    """One HTTP/1.1 connection to ``host``:``port`` (an IP literal or ``localhost``), made on
    the first request and kept while the hub keeps it."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.sock: Any = None  # an _socket.socket
        self._buffer = bytearray()  # received, not read yet
        name = f"[{host}]" if ":" in host else host
        self._host_header = name if port == 80 else f"{name}:{port}"

    def connect(self, timeout: float) -> None:
        """As ``socket.create_connection``: each address of the host in turn. The host goes to
        getaddrinfo as bytes: a str one is encoded by the idna codec, an import of its own."""
        error: OSError | None = None
        for family, kind, proto, _, address in _socket.getaddrinfo(self.host.encode("ascii"), self.port, 0,
                                                                   _socket.SOCK_STREAM):
            sock = _socket.socket(family, kind, proto)
            try:
                sock.settimeout(timeout)
                sock.connect(address)
            except OSError as exc:
                sock.close()
                error = exc
                continue
            sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
            self.sock = sock
            self._buffer.clear()
            return
        raise error or OSError(f"no address for {self.host}")

    def send(self, method: str, target: str, body: bytes, headers: dict[str, str], timeout: float) -> None:
        """Send one request (connecting first if need be)."""
        if self.sock is None:
            self.connect(timeout)
        assert self.sock is not None
        self.sock.settimeout(timeout)
        lines = [f"{method} {target} HTTP/1.1", f"Host: {self._host_header}", "Accept-Encoding: identity"]
        if body or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body)}")
        lines.extend(f"{name}: {value}" for name, value in headers.items())
        for line in lines:
            if "\r" in line or "\n" in line:
                raise ValueError(f"a line break in the request header line {line!r}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)

    def receive(self) -> Response:
        """Read the answer to the request sent (an interim 1xx answer is skipped)."""
        while True:
            version, status = self._status_line()
            headers = self._headers()
            if not 100 <= status < 200:
                break
        connection = {token.strip() for token in (headers.get("connection") or "").lower().split(",")}
        will_close = "close" in connection or (version == "HTTP/1.0" and "keep-alive" not in connection)
        coding = (headers.get("transfer-encoding") or "").lower()
        if status in _NO_BODY:
            content = b""
        elif coding == "chunked":
            content = self._chunked()
        elif coding and coding != "identity":
            raise ProtocolError(f"unsupported transfer coding {coding!r}")
        elif headers.get("content-length") is not None:
            content = self._exactly(self._length(headers.get("content-length")))
        else:  # the body runs to the end of the connection
            content, will_close = self._rest(), True
        return Response(status, headers, content, will_close)

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock = None
        self._buffer.clear()

    def _fill(self, size: int = READ_SIZE) -> bool:
        """Receive more into the buffer; False at the end of the connection."""
        data = self.sock.recv(size)
        self._buffer += data
        return bool(data)

    def _line(self) -> bytes:
        """The next line with its line break; at the end of the connection, what is left."""
        searched = 0
        while True:
            end = self._buffer.find(b"\n", searched)
            if end >= 0:
                if end >= MAX_LINE:
                    raise ProtocolError("an answer line is too long")
                line = bytes(self._buffer[:end + 1])
                del self._buffer[:end + 1]
                return line
            searched = len(self._buffer)
            if searched > MAX_LINE:
                raise ProtocolError("an answer line is too long")
            if not self._fill():
                line = bytes(self._buffer)
                self._buffer.clear()
                return line

    def _status_line(self) -> tuple[str, int]:
        line = self._line()
        if not line:
            raise ProtocolError("the hub closed the connection without answering")
        parts = line.decode("latin-1").rstrip("\r\n").split(" ", 2)
        if len(parts) < 2 or parts[0] not in ("HTTP/1.1", "HTTP/1.0") or not (
                len(parts[1]) == 3 and parts[1].isdigit() and parts[1].isascii()):
            raise ProtocolError(f"not an HTTP/1.x status line: {line[:80]!r}")
        return parts[0], int(parts[1])

    def _headers(self) -> Headers:
        items: list[tuple[str, str]] = []
        while True:
            line = self._line()
            if not line.endswith(b"\n"):
                raise ProtocolError("the answer ended within its headers")
            if line in (b"\r\n", b"\n"):
                return Headers(items)
            text = line.decode("latin-1").rstrip("\r\n")
            if text[:1] in (" ", "\t") and items:  # a folded line continues the one before it
                items[-1] = (items[-1][0], items[-1][1] + " " + text.strip())
                continue
            name, colon, value = text.partition(":")
            if not colon or not name or name != name.strip():
                raise ProtocolError(f"not a header line: {line[:80]!r}")
            items.append((name, value.strip()))
            if len(items) > MAX_HEADERS:
                raise ProtocolError(f"more than {MAX_HEADERS} headers")

    @staticmethod
    def _length(value: str) -> int:
        if not (value.isascii() and value.isdigit()):
            raise ProtocolError(f"not a Content-Length: {value[:40]!r}")
        return int(value)

    def _exactly(self, size: int) -> bytes:
        while len(self._buffer) < size:
            if not self._fill():
                raise ProtocolError(f"the answer ended after {len(self._buffer)} of its {size} bytes")
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def _rest(self) -> bytes:
        while self._fill():
            pass
        data = bytes(self._buffer)
        self._buffer.clear()
        return data

    def _chunked(self) -> bytes:
        parts = []
        while True:
            size_text = self._line().split(b";", 1)[0].strip()  # (a chunk extension is ignored)
            if not size_text or size_text.strip(b"0123456789abcdefABCDEF"):
                raise ProtocolError(f"not a chunk size: {size_text[:40]!r}")
            size = int(size_text, 16)
            if size == 0:
                break
            parts.append(self._exactly(size))
            if self._line() not in (b"\r\n", b"\n"):
                raise ProtocolError("a chunk does not end with a line break")
        while True:  # trailers, up to the blank line
            line = self._line()
            if not line.endswith(b"\n"):
                raise ProtocolError("the answer ended within its trailers")
            if line in (b"\r\n", b"\n"):
                return b"".join(parts)
