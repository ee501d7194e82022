"""The event: canonical JSON with id (UUIDv7), type, actor, at, audience, subject and
payload; the author's signature is added by ``imi_cli.log.crypto``."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterable
from typing import Any

from imi_cli.log import clock
from imi_cli.log.canonical import canonical as canonical  # where the modules that make events take it

NETWORK = "*"  # audience of directory and repository entries: the whole network

_uuid_lock = threading.Lock()
_last_ms = 0
_counter = 0


def uuid7() -> str:
    """A UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then a 12-bit counter that keeps
    ids made in the same millisecond in order, then random bits."""
    global _last_ms, _counter
    with _uuid_lock:
        ms = time.time_ns() // 1_000_000
        if ms <= _last_ms:
            ms, _counter = _last_ms, _counter + 1
            if _counter > 0xFFF:
                ms, _counter = ms + 1, 0
        else:
            _counter = 0
        _last_ms = ms
        counter = _counter
    rand = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (ms << 80) | (0x7 << 76) | (counter << 64) | (0b10 << 62) | rand
    return str(uuid.UUID(int=value))


def make_event(type_: str, *, actor: dict[str, Any], payload: dict[str, Any],
               subject: dict[str, Any] | None = None,
               audience: Iterable[str] = (NETWORK,)) -> dict[str, Any]:
    return {
        "id": uuid7(),
        "type": type_,
        "actor": actor,
        "at": clock.iso(clock.now()),
        "audience": sorted(set(audience)),
        "subject": subject or {},
        "payload": payload,
    }
