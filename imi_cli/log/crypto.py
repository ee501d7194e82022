"""Ed25519 keys and signatures (libsodium, through PyNaCl), and the encodings we use.

Keys and signatures travel as unpadded base64url text: a private key is the 32-byte seed, a
public key its 32 raw bytes, a signature 64 bytes. Ed25519 is deterministic, so any library
makes the same signature of the same bytes with the same key (``cryptography`` did before:
tests/sync/test_catchup_paths.py checks they agree). libsodium verifies about twice as fast
as ``cryptography`` on this project's machines (bench/bench_catchup.py prints both), and a
node's catch-up and the hub's push are mostly verification.

What is signed is always canonical JSON (``imi_cli.log.event.canonical``) or a canonical
request line.
"""

from __future__ import annotations

import base64
from functools import lru_cache
from typing import Any

from imi_cli.log import canonical as json_text
from imi_cli.log.event import canonical

BACKEND = "pynacl"  # the library that signs and verifies (bench/bench_catchup.py reads it)
SEED_BYTES = 32
PUBLIC_BYTES = 32
SIGNATURE_BYTES = 64


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_private_key() -> str:
    """A new Ed25519 private key, as base64url of its 32 raw bytes (the seed)."""
    import secrets  # (here: hashlib, which it imports, loads OpenSSL, ~3 ms of every `imi sync`)

    return b64(secrets.token_bytes(SEED_BYTES))


def public_key_of(private_key: str) -> str:
    from nacl.bindings import crypto_sign_seed_keypair

    return b64(crypto_sign_seed_keypair(_seed(private_key))[0])


def _seed(private_key: str) -> bytes:
    seed = unb64(private_key)
    if len(seed) != SEED_BYTES:
        raise ValueError("an Ed25519 private key is 32 bytes")
    return seed


class Signer:
    """Signs as one user with a private key held in memory only while needed."""

    def __init__(self, user_id: str, private_key: str) -> None:
        from nacl.bindings import crypto_sign_seed_keypair

        self.user_id = user_id
        self._key = crypto_sign_seed_keypair(_seed(private_key))[1]  # libsodium's secret key: seed + public

    def sign_bytes(self, data: bytes) -> str:
        return b64(self.sign_raw(data))

    def sign_raw(self, data: bytes) -> bytes:
        """The 64-byte signature of ``data``."""
        from nacl.bindings import crypto_sign

        return crypto_sign(data, self._key)[:SIGNATURE_BYTES]  # signed message = signature + data

    def sign_event(self, event: dict[str, Any]) -> dict[str, Any]:
        body = signed_part(event)
        return {**body, "signature": {"by": self.user_id,
                                      "sig": self.sign_bytes(canonical(body).encode())}}


# Outside the signature: the signature itself, and the disclosures of personal fields that
# travel beside the body (log/disclosures.py): withholding or erasing one leaves it valid.
UNSIGNED = ("signature", "disclosures")


def signed_part(event: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in event.items() if k not in UNSIGNED}


@lru_cache(maxsize=4096)
def _public(public_key: str) -> bytes | None:
    """The raw bytes of a public key's text, decoded once per key; None if it is not one."""
    try:
        raw = unb64(public_key)
    except (ValueError, TypeError):
        return None
    return raw if len(raw) == PUBLIC_BYTES else None


def verify_bytes(public_key: str, signature: str, data: bytes) -> bool:
    from nacl.bindings import crypto_sign_open
    from nacl.exceptions import CryptoError

    key = _public(public_key)
    try:
        sig = unb64(signature)
    except (ValueError, TypeError):
        return False
    if key is None or len(sig) != SIGNATURE_BYTES:  # libsodium reads the first 64 bytes as the signature
        return False
    try:
        crypto_sign_open(sig + data, key)
        return True
    except (CryptoError, ValueError, TypeError):
        return False


def verify_event(public_key: str, event: dict[str, Any], signed: bytes | None = None) -> bool:
    """Does ``event`` carry ``public_key``'s signature? ``signed``: the canonical bytes of its
    signed part when the caller has made them already (``canonical_texts``)."""
    signature = event.get("signature")
    if not isinstance(signature, dict) or not isinstance(signature.get("sig"), str):
        return False
    if signed is None:
        signed = canonical(signed_part(event)).encode()
    return verify_bytes(public_key, signature["sig"], signed)


def canonical_texts(event: dict[str, Any], *, plain: bool = False) -> tuple[str, str]:
    """(canonical JSON of the event's signed part, of the event without its disclosures): the
    very texts ``canonical`` makes of each (what is verified; what is stored), for about the
    cost of one. The event's keys are strings (it is parsed JSON). A plain event (what events
    are: ``log/canonical.plain``) in a process using orjson: both by it, the event walked once
    (not at all if the caller knows it is plain: ``plain``, parsed JSON without a float); else
    by the standard encoder, the members before and after "signature" encoded once and joined
    with and without it (a canonical object is its members in key order)."""
    if json_text.in_use() and (plain or json_text.plain(event)):
        body = event if "disclosures" not in event else {k: v for k, v in event.items() if k != "disclosures"}
        full = json_text.fast(body)
        signed = json_text.fast({k: v for k, v in body.items() if k != "signature"}) if "signature" in body else full
        if full is not None and signed is not None:
            return signed.decode(), full.decode()
    encode = json_text.ENCODE
    before = encode({k: v for k, v in event.items() if k < "signature" and k != "disclosures"})[1:-1]
    after = encode({k: v for k, v in event.items() if k > "signature"})[1:-1]
    signed_text = "{" + ",".join(part for part in (before, after) if part) + "}"
    if "signature" not in event:
        return signed_text, signed_text
    signature = '"signature":' + encode(event["signature"])
    return signed_text, "{" + ",".join(part for part in (before, signature, after) if part) + "}"


def new_invitation_code() -> str:
    """A one-time code: 128 random bits, grouped for reading aloud or typing."""
    import secrets

    raw = secrets.token_hex(16).upper()
    return "-".join(raw[i:i + 4] for i in range(0, 32, 4))


def code_hash(code: str) -> str:
    normal = code.strip().upper().replace("-", "").replace(" ", "")
    return sha256_hex(normal.encode())


def public_bytes(public_key: str) -> bytes | None:
    """The raw 32 bytes of a public key's text (decoded once per key); None if it is not one."""
    return _public(public_key)


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256. A short text, in a process that has not loaded hashlib (a node's `imi sync`:
    importing it loads OpenSSL, ~3 ms), by Python's own implementation; anything else by
    hashlib's, several times faster on megabytes (a push). The same digest either way
    (tests/cli/test_startup_sync.py)."""
    import sys

    if len(data) <= 65536 and "hashlib" not in sys.modules:
        try:
            from _sha256 import sha256  # CPython 3.11 (3.12: _sha2)
        except ImportError:
            pass
        else:
            return sha256(data).hexdigest()
    import hashlib

    return hashlib.sha256(data).hexdigest()
