"""The node's side of the hub API, every request signed by the user's key.

A hub on this machine over plain HTTP (a test, the demo, a hub beside its node) is reached
with a small HTTP/1.1 client of its own (``loopback_http``); any other through httpx.
Importing httpx and making its TLS context cost some 70 ms, a third of an `imi sync` with
nothing to do (bench/bench_sync_startup.py); http.client's imports, ~10 ms more."""

from __future__ import annotations

import json
import re
import sys
from typing import Any
from urllib.parse import urlencode, urlsplit

from imi_cli.errors import ClockSkew, HubUnreachable, ImiError, Rejected, UsageError
from imi_cli.i18n import N_, t
from imi_cli.log.canonical import FAST_AT_LEAST, fast_utf8, use_fast
from imi_cli.log.crypto import Signer
from imi_cli.protocol.refusal import render_refusal

_URL_HINT = N_("e.g. https://hub.example.eu:8443 (from --hub, IMI_HUB or the `hub` setting)")


def check_url(url: str, *, insecure: bool = False) -> str:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises on a port that is not a number in 0-65535
    except ValueError as exc:
        raise UsageError(t("{url!r} is not a hub URL ({detail})", url=url, detail=str(exc)),
                         hint=t(_URL_HINT)) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(t("{url!r} is not a hub URL", url=url), hint=t(_URL_HINT))
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1") or parts.hostname.startswith("127.")
    if parts.scheme == "http" and not loopback and not insecure:
        raise UsageError(t("plain HTTP is allowed only on loopback"), hint=t("use https://, or --insecure"))
    return url.rstrip("/")


class HubBusy(HubUnreachable):
    """The hub asks this client to slow down (429: too many polls or pushes); ``retry_after``
    is how many seconds it asked for. ``message`` is the hub's, as the user reads it."""

    def __init__(self, url: str, message: str, retry_after: float) -> None:
        from imi_cli.i18n import formats

        super().__init__(t("the hub at {url} is busy with this user's requests: {detail}", url=url, detail=message),
                         hint=t("try again in {seconds} s; changes wait in the outbox",
                                seconds=formats.number(retry_after)))
        self.retry_after = retry_after


def _retry_after(value: str | None) -> float:
    try:
        seconds = float(value) if value is not None else 1.0
    except ValueError:
        seconds = 1.0
    return min(max(seconds, 0.1), 60.0) if seconds == seconds else 1.0  # NaN: one second


class CursorExpired(ImiError):
    """The hub no longer holds events after this node's cursor: re-seed."""


class _Unreachable(Exception):
    """A request that got no answer: ``kind`` names what failed (httpx's names: ConnectError,
    ReadTimeout ...), ``detail`` says more."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind


_PROXY_VARIABLES = ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY")


def _plain_loopback(url: str) -> bool:
    """Is ``url`` a hub on this machine over plain HTTP, that nothing in the environment sends
    through a proxy, without credentials or a query in it (what httpx would treat otherwise)?"""
    import os

    parts = urlsplit(url)
    host = parts.hostname or ""
    return (parts.scheme == "http" and (host in ("127.0.0.1", "localhost", "::1") or host.startswith("127."))
            and not parts.username and not parts.password and not parts.query and not parts.fragment
            and not any(os.environ.get(name) for name in _PROXY_VARIABLES))


class _Loopback:
    """Plain HTTP to a hub on this machine (``loopback_http``, not http.client: its imports were
    a fifth of an `imi sync` with nothing to do): one connection, kept alive, made again when the
    hub has closed it. Nothing is read from the environment."""

    def __init__(self, url: str, timeout: float) -> None:  # (each request says its timeout)
        parts = urlsplit(url)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 80
        self._prefix = parts.path.rstrip("/")  # as httpx joins a base URL's path and a request's
        self._conn: Any = None

    def request(self, method: str, target: str, body: bytes, headers: dict[str, str], timeout: float) -> Any:
        from imi_cli.sync.loopback_http import ProtocolError

        sent = False
        try:
            conn = self._fresh()
            conn.send(method, self._prefix + target, body, headers, timeout)
            sent = True
            response = conn.receive()
        except (OSError, ProtocolError) as exc:
            self.close()
            if isinstance(exc, TimeoutError):
                raise _Unreachable("ReadTimeout" if sent else "ConnectTimeout", str(exc)) from None
            if not sent:  # (a kept connection is used only while the hub has not closed it)
                raise _Unreachable("ConnectError", str(exc)) from None
            raise _Unreachable("RemoteProtocolError" if isinstance(exc, ProtocolError) else "ReadError",
                               str(exc)) from None
        if response.will_close:
            self.close()
        return _Answer(response.status, response.content, response.headers)

    def _fresh(self) -> Any:
        """The kept connection, unless the hub closed it while it was idle (it reads as ready:
        at its end, or with bytes no request asked for); else a new one (connected on sending)."""
        import select

        from imi_cli.sync.loopback_http import Connection

        conn = self._conn
        if conn is not None and conn.sock is not None:
            try:
                ready = select.select([conn.sock], [], [], 0)[0]
            except (OSError, ValueError):
                ready = [conn.sock]
            if ready:
                self.close()
                conn = None
        if conn is None:
            conn = self._conn = Connection(self._host, self._port)
        return conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class _Answer:
    """A response as ``_answer`` reads it (what it reads of an httpx.Response)."""

    def __init__(self, status_code: int, content: bytes, headers: Any) -> None:
        self.status_code, self.content, self.headers = status_code, content, headers  # headers: case-blind .get


class _Httpx:
    """Any other hub (https above all) through httpx, its TLS context made as httpx makes it."""

    def __init__(self, url: str, timeout: float) -> None:
        import httpx

        self._client = httpx.Client(base_url=url, timeout=timeout)

    def request(self, method: str, target: str, body: bytes, headers: dict[str, str], timeout: float) -> Any:
        import httpx

        try:
            return self._client.request(method, target, content=body or None, headers=headers, timeout=timeout)
        except httpx.RequestError as exc:
            raise _Unreachable(type(exc).__name__, str(exc)) from None

    def close(self) -> None:
        self._client.close()


class HubClient:
    def __init__(self, url: str, signer: Signer | None = None, *, timeout: float = 30.0) -> None:
        self.url = check_url(url, insecure=True)
        self.signer = signer
        self.timeout = timeout
        self._http: _Loopback | _Httpx = (_Loopback if _plain_loopback(self.url) else _Httpx)(self.url, timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> HubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(self, method: str, path: str, *, params: dict[str, Any] | None = None,
              payload: Any = None, timeout: float | None = None, body: bytes | None = None) -> Any:
        """``payload``: what to send as JSON; or ``body``: JSON made already."""
        from imi_cli.protocol.signing import sign_request

        target = path + (f"?{urlencode(params)}" if params else "")
        # UTF-8 as it is (not \u escapes): a third smaller for most languages' text, and the
        # hub parses it without a second look for escaped surrogates (hub/app.py _json)
        # (a lone surrogate, from an argument the shell could not decode, is sent as it is:
        # the hub refuses the body as not Unicode, as it did when it came \u-escaped)
        if payload is not None:  # (canonical JSON, by orjson, in a process that pushes much: log/canonical.py)
            body = fast_utf8(payload) or json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode(
                "utf-8", "surrogatepass")
        headers = {"content-type": "application/json"} if body is not None else {}
        body = body or b""
        if self.signer is not None:
            headers.update(sign_request(self.signer, method, target, body))
        try:
            response = self._http.request(method, target, body, headers, timeout or self.timeout)
        except _Unreachable as exc:
            if "CERTIFICATE_VERIFY_FAILED" in str(exc):
                raise HubUnreachable(t("the TLS certificate of {url} is not trusted", url=self.url),
                                     hint=t("point SSL_CERT_FILE at the hub's certificate (or its CA)")) from None
            raise HubUnreachable(t("the hub at {url} cannot be reached ({error})", url=self.url,
                                   error=exc.kind),
                                 hint=t("check the URL and that `imi hub serve` is running; "
                                        "changes wait in the outbox")) from None
        return _answer(response, self.url)

    def info(self) -> dict[str, Any]:
        return self._send("GET", "/v1/info")

    def enrol(self, code: str, public_key: str, proof: str) -> dict[str, Any]:
        data = self._send("POST", "/v1/enrol", payload={"code": code, "public_key": public_key, "proof": proof})
        if not all(isinstance(data.get(k), str) for k in ("user", "authority", "operator_key")):
            raise not_a_hub(self.url, t("its answer to the enrolment lacks the user, authority or operator key"))
        return data

    def push(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if len(events) >= FAST_AT_LEAST:
            use_fast()  # worth loading orjson: the body is encoded in a fraction of the time
        return self._results(self._send("POST", "/v1/events", payload={"events": events}))

    def push_texts(self, texts: list[str]) -> list[dict[str, Any]]:
        """Push events given as their JSON texts (as a node stores them), sent as they are:
        neither parsed nor encoded again."""
        body = ('{"events":[' + ",".join(texts) + "]}").encode("utf-8", "surrogatepass")
        return self._results(self._send("POST", "/v1/events", body=body))

    def _results(self, answer: Any) -> list[dict[str, Any]]:
        results = answer.get("results")
        if not isinstance(results, list) or not all(
                isinstance(r, dict) and {"id", "status"} <= r.keys() for r in results):
            raise not_a_hub(self.url, t("its answer to a push holds no list of results"))
        return results

    def pull(self, after: int, limit: int = 1000, wait: float = 0) -> dict[str, Any]:
        params: dict[str, float] = {"after": after, "limit": limit}
        if wait:
            params["wait"] = wait
        page = self._send("GET", "/v1/events", params=params, timeout=wait + 30)
        events = page.get("events")
        if not isinstance(events, list) or not all(
                isinstance(e, dict) and isinstance(e.get("seq"), int) and isinstance(e.get("event"), dict)
                for e in events):
            raise not_a_hub(self.url, t("its answer to a pull holds no list of events"))
        return page


def not_a_hub(url: str, what: str) -> HubUnreachable:
    return HubUnreachable(t("{url} does not answer like an imi hub: {what}", url=url, what=what),
                          hint=t("check the hub URL (--hub, IMI_HUB or the `hub` setting) "
                                 "points at `imi hub serve`; nothing was changed"))


def told(data: dict[str, Any], message: str) -> str:
    """The hub's sentence ``message`` as the user reads it: in the interface language when the
    hub's ``msgid`` and ``params`` say exactly that sentence, else as the hub wrote it."""
    return render_refusal(message, data.get("msgid"), data.get("params"))


def hub_refusal(data: dict[str, Any], message: str) -> Rejected:
    """The hub's refusal as it sent it: its typed reason, and its message id and parameters
    when it gives them (a program reads them in --json); the sentence in the user's language
    when they are consistent with the hub's English (``render_refusal``)."""
    params = data.get("params")
    msgid = data.get("msgid")
    reason = data.get("reason") if isinstance(data.get("reason"), str) else None
    if isinstance(msgid, str) and isinstance(params, dict):
        return Rejected(t("the hub refused: {detail}", detail=told(data, message)), reason=reason or "not_allowed",
                        msgid=msgid, params=params)
    return Rejected(reason=reason or "not_allowed", msgid="hub_refused",
                    params={"detail": told(data, message), **(params if isinstance(params, dict) else {})})


_OUTSIDE_WINDOW = "the request time is outside the replay window; check the clock"  # the hub's sentence


def clock_skew(data: dict[str, Any], date: str | None) -> ClockSkew | None:
    """The hub's refusal of a request whose time is outside its window, as how far this
    computer's clock is off and which way: from the hub's ``skew_seconds`` (its ``reason`` is
    ``clock_skew``), else, from a hub that does not send it, from its Date header. None if the
    refusal is about something else."""
    from imi_cli.log import clock

    sent = data.get("params")
    params: dict[str, Any] = sent if isinstance(sent, dict) else {}
    if data.get("reason") != "clock_skew" and data.get("msgid") != _OUTSIDE_WINDOW:
        return None
    given, window_given = params.get("skew_seconds"), params.get("window_seconds")
    ahead = given if _whole(given) else _ahead_of(date, clock.now())
    if ahead is None:
        return None
    window = window_given if isinstance(window_given, int) and _whole(window_given) and window_given > 0 else 120
    return ClockSkew(skew_sentence(ahead, window), msgid="clock_skew",
                     params={"skew_seconds": ahead, "window_seconds": window,
                             "hub_time": params.get("hub_time") if isinstance(params.get("hub_time"), str) else None},
                     hint=_skew_hint())


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10**12


def _ahead_of(date: str | None, now: Any) -> int | None:
    """Seconds this clock (``now``) is ahead of an HTTP Date header's time; None without one."""
    from email.utils import parsedate_to_datetime

    try:
        return round((now - parsedate_to_datetime(date or "")).total_seconds())
    except (TypeError, ValueError):
        return None


def skew_sentence(ahead: int, window: int) -> str:
    """"your clock is 7 minutes behind the hub's ..." in the interface language."""
    from datetime import timedelta

    from babel.dates import format_timedelta

    from imi_cli.i18n import formats

    def said(seconds: int) -> str:
        return format_timedelta(timedelta(seconds=max(abs(seconds), 60)), granularity="minute", locale=formats.locale())

    if ahead < 0:
        # Translators: {offset} is a duration ("7 minutes"); the hub refused a request because of it
        return t("your clock is {offset} behind the hub's; the hub takes signed requests only within {window} "
                 "of its own time", offset=said(ahead), window=said(window))
    # Translators: {offset} is a duration ("7 minutes"); the hub refused a request because of it
    return t("your clock is {offset} ahead of the hub's; the hub takes signed requests only within {window} "
             "of its own time", offset=said(ahead), window=said(window))


def _skew_hint() -> str:
    import os

    fixed = os.environ.get("IMI_NOW")
    if fixed:
        return t("IMI_NOW={value} fixes this program's clock: unset it (or set it to the current time) "
                 "and run the command again; changes wait in the outbox", value=fixed)
    return t("set this computer's clock right (automatic time, NTP) and run the command again; "
             "changes wait in the outbox")


MAX_ANSWER_DEPTH = 2_000  # deeper than any body a hub can have parsed itself


def parse_answer(content: bytes) -> Any:
    """The hub's answer as JSON. A page may hold an event nested deeper than Python's parser
    goes at the current stack depth (stored before the hub checked depth, or planted): such an
    answer is parsed again with room for its measured depth, up to MAX_ANSWER_DEPTH, so that the
    event reaches the node's own checks (which skip it) instead of failing every sync."""
    try:
        return json.loads(content)
    except RecursionError:
        depth = nesting_depth(content)
        if depth > MAX_ANSWER_DEPTH:
            raise ValueError(f"an answer nested deeper than {MAX_ANSWER_DEPTH} levels") from None
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(limit + depth + 100)
        try:
            return json.loads(content)
        finally:
            sys.setrecursionlimit(limit)


# compiled on first use (re caches them), not by every `imi sync`
_STRING = rb'"(?:[^"\\]|\\.)*"'
_NOT_BRACKET = rb"[^\[\]{}]+"


def nesting_depth(content: bytes) -> int:
    """How deep the JSON text nests its arrays and objects (strings do not count)."""
    depth = deepest = 0
    for c in re.sub(_NOT_BRACKET, b"", re.sub(_STRING, b"", content, flags=re.DOTALL)):
        depth += 1 if c in b"[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _answer(response: Any, url: str) -> Any:
    try:
        data = parse_answer(response.content)
    except ValueError:
        data = None
    kind = response.headers.get("content-type", "no content type").split(";")[0]
    if response.status_code < 300:
        if not isinstance(data, dict):
            raise not_a_hub(url, t("HTTP {status} with {kind} instead of a JSON object",
                                    status=response.status_code, kind=kind))
        return data
    if response.status_code < 400:
        location = response.headers.get("location")
        if location:
            raise not_a_hub(url, t("HTTP {status} redirects to {location}", status=response.status_code,
                                    location=location))
        raise not_a_hub(url, t("HTTP {status} redirects to nowhere", status=response.status_code))
    if not isinstance(data, dict):
        data = {}
    error = data.get("error")
    message: str = error if isinstance(error, str) and error else f"HTTP {response.status_code}"
    if response.status_code >= 500:
        raise HubUnreachable(t("the hub at {url} failed: {detail}", url=url, detail=told(data, message)),
                             hint=t("try again later; the hub's log says more; changes wait in the outbox"))
    if response.status_code == 410:
        raise CursorExpired(message)
    if response.status_code == 401:
        skew = clock_skew(data, response.headers.get("date"))
        if skew is not None:
            raise skew
    if response.status_code in (401, 403):
        raise hub_refusal(data, message)
    if response.status_code == 429:
        raise HubBusy(url, told(data, message), _retry_after(response.headers.get("retry-after")))
    raise ImiError(t("the hub answered {status}: {detail}", status=response.status_code, detail=told(data, message)))
