"""The node's side of the hub API: httpx, every request signed by the user's key."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode, urlsplit

from imi_cli.crypto import Signer
from imi_cli.errors import HubUnreachable, ImiError, Rejected, UsageError


def check_url(url: str, *, insecure: bool = False) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{url!r} is not a hub URL", hint="e.g. https://hub.example.eu:8443")
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1") or parts.hostname.startswith("127.")
    if parts.scheme == "http" and not loopback and not insecure:
        raise UsageError("plain HTTP is allowed only on loopback", hint="use https://, or --insecure")
    return url.rstrip("/")


class CursorExpired(ImiError):
    """The hub no longer holds events after this node's cursor: re-seed."""


class HubClient:
    def __init__(self, url: str, signer: Signer | None = None, *, timeout: float = 30.0) -> None:
        import httpx

        self.url = check_url(url, insecure=True)
        self.signer = signer
        self._http = httpx.Client(base_url=self.url, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "HubClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(self, method: str, path: str, *, params: dict[str, Any] | None = None,
              payload: Any = None, timeout: float | None = None) -> Any:
        import httpx

        from imi_cli.hub.auth import sign_request

        target = path + (f"?{urlencode(params)}" if params else "")
        body = json.dumps(payload).encode() if payload is not None else b""
        headers = {"content-type": "application/json"} if payload is not None else {}
        if self.signer is not None:
            headers.update(sign_request(self.signer, method, target, body))
        try:
            response = self._http.request(method, target, content=body or None, headers=headers,
                                          timeout=timeout or self._http.timeout)
        except httpx.TransportError as exc:
            if "CERTIFICATE_VERIFY_FAILED" in str(exc):
                raise HubUnreachable(f"the TLS certificate of {self.url} is not trusted",
                                     hint="point SSL_CERT_FILE at the hub's certificate (or its CA)") from None
            raise HubUnreachable(f"the hub at {self.url} cannot be reached ({type(exc).__name__})",
                                 hint="check the URL and that `imi hub serve` is running; "
                                      "changes wait in the outbox") from None
        return _answer(response)

    def info(self) -> dict[str, Any]:
        return self._send("GET", "/v1/info")

    def enrol(self, code: str, public_key: str, proof: str) -> dict[str, Any]:
        return self._send("POST", "/v1/enrol", payload={"code": code, "public_key": public_key, "proof": proof})

    def push(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return self._send("POST", "/v1/events", payload={"events": events})["results"]

    def pull(self, after: int, limit: int = 1000, wait: float = 0) -> dict[str, Any]:
        params = {"after": after, "limit": limit}
        if wait:
            params["wait"] = wait
        return self._send("GET", "/v1/events", params=params, timeout=wait + 30)


def _answer(response: Any) -> Any:
    try:
        data = response.json()
    except ValueError:
        data = {}
    if response.status_code < 400:
        return data
    message = data.get("error") or f"HTTP {response.status_code}"
    if response.status_code == 410:
        raise CursorExpired(message)
    if response.status_code in (401, 403):
        raise Rejected(f"the hub refused: {message}", reason=data.get("reason") or "not_allowed")
    raise ImiError(f"the hub answered {response.status_code}: {message}")
