"""Requests to the hub are signed by the user's key: no reusable secret is stored on the hub.

The signed line is ``METHOD\\nPATH?QUERY\\nTIME\\nNONCE\\nSHA256(BODY)``; the hub accepts a
time within ``WINDOW_SECONDS`` of its clock and each nonce once.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

from imi_cli.log import clock
from imi_cli.log.crypto import Signer, verify_bytes

WINDOW_SECONDS = 120
HEADERS = ("x-imi-user", "x-imi-time", "x-imi-nonce", "x-imi-signature")


def signed_line(method: str, target: str, when: str, nonce: str, body: bytes) -> bytes:
    return "\n".join([method.upper(), target, when, nonce, hashlib.sha256(body).hexdigest()]).encode()


def sign_request(signer: Signer, method: str, target: str, body: bytes) -> dict[str, str]:
    when = clock.iso(clock.now())
    nonce = secrets.token_urlsafe(16)
    return {"X-IMI-User": signer.user_id, "X-IMI-Time": when, "X-IMI-Nonce": nonce,
            "X-IMI-Signature": signer.sign_bytes(signed_line(method, target, when, nonce, body))}


class AuthError(Exception):
    pass


def verify_request(hub: Any, method: str, target: str, headers: Any, body: bytes, *,
                   nonces: list[str] | None = None) -> tuple[str, str | None]:
    """(user id, authority id) of a correctly signed, fresh, never-seen request; else AuthError.
    Given ``nonces``, the nonce is appended there instead of recorded: the caller records it
    with ``use_nonce`` in the transaction it writes anyway (one commit instead of two)."""
    values = [headers.get(h) for h in HEADERS]
    if not all(values):
        raise AuthError("the request is not signed")
    user, when, nonce, signature = values
    try:
        skew = abs((clock.now() - clock.parse_instant(when)).total_seconds())
    except Exception:
        raise AuthError("the request time is not an ISO 8601 time") from None
    if skew > WINDOW_SECONDS:
        raise AuthError("the request time is outside the replay window; check the clock")
    principal = hub.principal(user)
    if principal is None or principal[2]:
        raise AuthError("unknown or revoked key")
    if not verify_bytes(principal[0], signature, signed_line(method, target, when, nonce, body)):
        raise AuthError("the request signature does not verify")
    if nonces is not None:
        nonces.append(nonce)
    else:
        with hub.lock, hub.store.transaction() as conn:
            use_nonce(conn, nonce)
    return user, principal[1]


def use_nonce(conn: Any, nonce: str) -> None:
    """Record a request's nonce inside the caller's transaction; AuthError if it was seen."""
    now = time.time()
    conn.execute("DELETE FROM request_nonces WHERE at < ?", (now - 2 * WINDOW_SECONDS,))
    cur = conn.execute("INSERT OR IGNORE INTO request_nonces(nonce, at) VALUES (?, ?)", (nonce, now))
    if cur.rowcount != 1:
        raise AuthError("the request was replayed")
