"""Ed25519 keys and signatures (the ``cryptography`` library), and the encodings we use.

Keys and signatures travel as unpadded base64url text. What is signed is always
canonical JSON (``imi_cli.log.journal.canonical``) or a canonical request line.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any

from imi_cli.log.event import canonical


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_private_key() -> str:
    """A new Ed25519 private key, as base64url of its 32 raw bytes."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    key = Ed25519PrivateKey.generate()
    return b64(key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()))


def public_key_of(private_key: str) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return b64(_private(private_key).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))


def _private(private_key: str):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.from_private_bytes(unb64(private_key))


class Signer:
    """Signs as one user with a private key held in memory only while needed."""

    def __init__(self, user_id: str, private_key: str) -> None:
        self.user_id = user_id
        self._key = _private(private_key)

    def sign_bytes(self, data: bytes) -> str:
        return b64(self._key.sign(data))

    def sign_event(self, event: dict[str, Any]) -> dict[str, Any]:
        body = signed_part(event)
        return {**body, "signature": {"by": self.user_id,
                                      "sig": self.sign_bytes(canonical(body).encode())}}


# Outside the signature: the signature itself, and the disclosures of personal fields that
# travel beside the body (log/disclosures.py): withholding or erasing one leaves it valid.
UNSIGNED = ("signature", "disclosures")


def signed_part(event: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in event.items() if k not in UNSIGNED}


def verify_bytes(public_key: str, signature: str, data: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(unb64(public_key)).verify(unb64(signature), data)
        return True
    except (InvalidSignature, ValueError):
        return False


def verify_event(public_key: str, event: dict[str, Any]) -> bool:
    signature = event.get("signature")
    if not isinstance(signature, dict) or not isinstance(signature.get("sig"), str):
        return False
    body = signed_part(event)
    return verify_bytes(public_key, signature["sig"], canonical(body).encode())


def new_invitation_code() -> str:
    """A one-time code: 128 random bits, grouped for reading aloud or typing."""
    raw = secrets.token_hex(16).upper()
    return "-".join(raw[i:i + 4] for i in range(0, 32, 4))


def code_hash(code: str) -> str:
    normal = code.strip().upper().replace("-", "").replace(" ", "")
    return hashlib.sha256(normal.encode()).hexdigest()
