"""The hub key: 32 random bytes in a file only its owner can read, never stored in the database.

It seals (AES-256-GCM) what the hub keeps in PostgreSQL that must stay confidential (event
bodies, disclosures, the operator's private key), and derives the raw key of each process's
SQLCipher replica. ``hub_meta.key_id`` (``key_id``) lets a hub tell a wrong key file at start.

The file holds the key as 64 hexadecimal digits and a newline (printable, for a paper backup).
A sealed blob is ``VERSION || nonce (12 bytes) || ciphertext and tag``; the leading version
byte leaves room for key rotation.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
from pathlib import Path

from imi_cli.errors import Conflict, ImiError, NotFound, UsageError
from imi_cli.i18n import t

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
VERSION = b"\x01"
REPLICA_INFO = b"imi hub replica"


class SealBroken(ImiError):
    """A sealed blob does not open: another key, other associated data, damage, or an unknown version."""


def _sealed_error() -> SealBroken:
    return SealBroken(t("encrypted hub data cannot be read with this key (another key, or damaged data)"))


def _key_file_error(path: Path) -> UsageError:
    return UsageError(t("{path} is not a hub key file (64 hexadecimal digits)", path=str(path)))


def create_key_file(path: Path) -> bytes:
    """A new random key in a new file at ``path`` (mode 0600, its folder created); the key.
    An existing file is never overwritten."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(KEY_BYTES)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)  # user-only from birth
    except FileExistsError:
        raise Conflict(t("{path} already exists", path=str(path))) from None
    try:
        os.write(fd, (key.hex() + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return key


def load_key(path: Path) -> bytes:
    """The key in the file at ``path``. Refuses a missing file, one that is not a key file,
    and (like ssh) one that its group or other users may read or write."""
    path = Path(path)
    try:
        info = path.stat()
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotFound(t("no hub key file at {path}", path=str(path))) from None
    except IsADirectoryError:
        raise _key_file_error(path) from None
    if not stat.S_ISREG(info.st_mode):
        raise _key_file_error(path)
    if os.name == "posix" and info.st_mode & 0o077:
        raise UsageError(t("{path} can be read by other users: run `chmod 600 {path}`", path=str(path)))
    try:
        key = bytes.fromhex(data.decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        raise _key_file_error(path) from None
    if len(key) != KEY_BYTES:
        raise _key_file_error(path)
    return key


def key_id(key: bytes) -> str:
    """What the database records of the key: enough to tell another key, nothing to find it."""
    return hashlib.sha256(key).hexdigest()[:16]


class Sealer:
    """Seals and opens blobs with one key, its cipher made once: a pull of 1,000 events opens
    1,000 bodies (11 us each with a new cipher, 2 us without)."""

    def __init__(self, key: bytes) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self.key, self.aead = key, AESGCM(key)

    def seal(self, plaintext: bytes, aad: bytes) -> bytes:
        """``plaintext`` encrypted and authenticated, bound to ``aad`` (which is not stored)."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        return VERSION + nonce + self.aead.encrypt(nonce, plaintext, aad)

    def open(self, blob: bytes, aad: bytes) -> bytes:
        """The plaintext of a sealed blob; SealBroken if the key, the aad or any byte differs."""
        from cryptography.exceptions import InvalidTag

        blob = bytes(blob)
        if len(blob) < 1 + NONCE_BYTES + TAG_BYTES or blob[:1] != VERSION:
            raise _sealed_error()
        nonce, body = blob[1:1 + NONCE_BYTES], blob[1 + NONCE_BYTES:]
        try:
            return self.aead.decrypt(nonce, body, aad)
        except InvalidTag:
            raise _sealed_error() from None


def seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """``plaintext`` sealed with ``key`` (once: a ``Sealer`` keeps its cipher for many)."""
    return Sealer(key).seal(plaintext, aad)


def open_sealed(key: bytes, blob: bytes, aad: bytes) -> bytes:
    """The plaintext of a ``seal``ed blob; SealBroken if the key, the aad or any byte differs."""
    return Sealer(key).open(blob, aad)


def replica_key(key: bytes) -> bytes:
    """The raw SQLCipher key of a process's private replica (HKDF-SHA256 of the hub key)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=REPLICA_INFO).derive(key)


# what a sealed blob is bound to: the event (its body), the event and digest (a disclosure)
def event_aad(event_id: str) -> bytes:
    return b"imi-event\0" + event_id.encode()


def disclosure_aad(event_id: str, digest: str) -> bytes:
    return b"imi-disclosure\0" + event_id.encode() + b"\0" + digest.encode()
