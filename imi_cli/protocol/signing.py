"""Requests to the hub are signed by the user's key: no reusable secret is stored on the hub.

The signed line is ``METHOD\\nPATH?QUERY\\nTIME\\nNONCE\\nSHA256(BODY)``; the hub accepts a
time within ``WINDOW_SECONDS`` of its clock and each nonce once. Both use the one clock
(``imi_cli.log.clock``), so a hub with ``IMI_NOW`` set keeps nonces as long as their
requests stay within the window.

``check_headers`` checks all that can be checked without the body (the hub calls it before
reading one); ``verify_request`` checks everything, the signature over the body included.
A client may send the body's SHA-256 ahead in ``X-IMI-Body-SHA256`` (``sign_request`` does):
then the signature itself is checked before the body is read, and the body must match it.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any, NamedTuple

from imi_cli.i18n import N_
from imi_cli.log import clock
from imi_cli.log.crypto import Signer, b64, sha256_hex, verify_bytes

WINDOW_SECONDS = 120
HEADERS = ("x-imi-user", "x-imi-time", "x-imi-nonce", "x-imi-signature")
BODY_HEADER = "x-imi-body-sha256"  # optional: hex SHA-256 of the body, the one in the signed line
MAX_USER_ID = 200


@cache
def _shapes() -> tuple[Any, Any, Any]:
    """(body digest, nonce, signature) patterns, compiled on first use: a client that signs
    never needs them (compiling them was ~0.5 ms of every `imi sync`)."""
    import re

    # a nonce is 16 to 128 characters of base64url (sign_request makes 22); a signature is the
    # base64url of 64 bytes (86 characters, padding allowed); a user id is short
    return (re.compile(r"[0-9a-f]{64}"), re.compile(r"[A-Za-z0-9_-]{16,128}"),
            re.compile(r"[A-Za-z0-9_-]{80,100}={0,2}"))


def signed_line(method: str, target: str, when: str, nonce: str, body: bytes) -> bytes:
    return _line(method, target, when, nonce, sha256_hex(body))


def _line(method: str, target: str, when: str, nonce: str, digest: str) -> bytes:
    return "\n".join([method.upper(), target, when, nonce, digest]).encode()


def sign_request(signer: Signer, method: str, target: str, body: bytes) -> dict[str, str]:
    when = clock.iso(clock.now())
    nonce = b64(os.urandom(16))  # what secrets.token_urlsafe(16) makes; secrets imports hashlib
    digest = sha256_hex(body)
    return {"X-IMI-User": signer.user_id, "X-IMI-Time": when, "X-IMI-Nonce": nonce,
            "X-IMI-Signature": signer.sign_bytes(_line(method, target, when, nonce, digest)),
            "X-IMI-Body-SHA256": digest}


class AuthError(Exception):
    """A request that is not signed as it must be. ``msgid`` is its sentence, marked with ``N_``
    where it is raised (the hub sends it so that the node can translate it); ``reason`` the code
    a program acts on, and ``params`` what the node needs beyond the sentence (short values)."""

    def __init__(self, message: str, reason: str = "unauthenticated", **params: Any) -> None:
        super().__init__(message)
        self.msgid, self.reason, self.params = message, reason, params


CLOCK_SKEW = "clock_skew"  # the reason of a request whose time is outside the window


class Signed(NamedTuple):
    user: str
    authority: str | None
    public_key: str
    when: str
    nonce: str
    signature: str
    verified: bool  # the signature was checked already (over X-IMI-Body-SHA256)


def check_headers(hub: Any, headers: Any, method: str | None = None, target: str | None = None) -> Signed:
    """All that the signature headers show without the body: present and well-formed, a time
    within the window, a known key that is not revoked; given the method and target and an
    X-IMI-Body-SHA256 header, the signature too. AuthError otherwise."""
    values = [headers.get(h) for h in HEADERS]
    if not all(values):
        raise AuthError(N_("the request is not signed"))
    user, when, nonce, signature = values
    now = clock.now()
    try:
        ahead = (clock.parse_instant(when) - now).total_seconds()  # the client's clock ahead of the hub's
    except Exception:
        raise AuthError(N_("the request time is not an ISO 8601 time")) from None
    if abs(ahead) > WINDOW_SECONDS:
        # the sentence names no numbers (other clients read it as it was); the node reads how far
        # its clock is off, and which way, from the parameters
        raise AuthError(N_("the request time is outside the replay window; check the clock"), CLOCK_SKEW,
                        skew_seconds=round(ahead), hub_time=clock.iso(now), window_seconds=WINDOW_SECONDS)
    hex64, nonce_shape, signature_shape = _shapes()
    if not nonce_shape.fullmatch(nonce):
        raise AuthError(N_("the request nonce must be 16 to 128 characters of base64url"))
    if not signature_shape.fullmatch(signature):
        raise AuthError(N_("the request signature is not the base64url of an Ed25519 signature"))
    principal = hub.principal(user) if len(user) <= MAX_USER_ID else None
    if principal is None or principal[2]:
        raise AuthError(N_("unknown or revoked key"))
    digest = headers.get(BODY_HEADER)
    if digest is None or method is None or target is None:
        return Signed(user, principal[1], principal[0], when, nonce, signature, False)
    if not hex64.fullmatch(digest):
        raise AuthError(N_("X-IMI-Body-SHA256 must be the body's SHA-256 in lower-case hex"))
    if not verify_bytes(principal[0], signature, _line(method, target, when, nonce, digest)):
        raise AuthError(N_("the request signature does not verify"))
    return Signed(user, principal[1], principal[0], when, nonce, signature, True)


def verify_request(hub: Any, method: str, target: str, headers: Any, body: bytes, *,
                   nonces: list[str] | None = None, checked: Signed | None = None) -> tuple[str, str | None]:
    """(user id, authority id) of a correctly signed, fresh, never-seen request; else AuthError.
    Given ``nonces``, the nonce is appended there instead of recorded: the caller records it
    with ``use_nonce`` in the transaction it writes anyway (one commit instead of two).
    ``checked``: what ``check_headers`` found for these headers, this method and target before
    the body was read; if it verified the signature over X-IMI-Body-SHA256, and the body
    matches that digest, the signature is not verified a second time."""
    signed = check_headers(hub, headers)
    digest = headers.get(BODY_HEADER)
    body_digest = sha256_hex(body)
    if digest is not None and digest != body_digest:
        raise AuthError(N_("the body does not match its X-IMI-Body-SHA256"))
    verified = checked is not None and checked.verified and digest is not None and \
        (checked.user, checked.public_key, checked.when, checked.nonce, checked.signature) == \
        (signed.user, signed.public_key, signed.when, signed.nonce, signed.signature)
    if not verified and not verify_bytes(signed.public_key, signed.signature,
                                         _line(method, target, signed.when, signed.nonce, body_digest)):
        raise AuthError(N_("the request signature does not verify"))
    if nonces is not None:
        nonces.append(signed.nonce)
    else:  # on its own: never under the hub's writer scope (a pull must not wait for pushes)
        hub.use_nonce(signed.nonce)
    return signed.user, signed.authority


def use_nonce(conn: Any, nonce: str) -> None:
    """Record a request's nonce inside the caller's transaction; AuthError if it was seen.
    A nonce is kept while a request made with it could still be within the window, by the
    same clock as the window (with IMI_NOW fixed, for as long as the clock stays put)."""
    now = clock.now().timestamp()
    conn.execute("DELETE FROM request_nonces WHERE at < ?", (now - 2 * WINDOW_SECONDS,))
    cur = conn.execute("INSERT OR IGNORE INTO request_nonces(nonce, at) VALUES (?, ?)", (nonce, now))
    if cur.rowcount != 1:
        raise AuthError(N_("the request was replayed"))
