"""Unlocking: where a store's key comes from, and the per-user key cache.

Order: a cached key from ``imi unlock`` (if it has not expired), then
``IMI_PASSPHRASE``, then a prompt on a terminal. The cache is a file in the
user's runtime folder (tmpfs on most systems), folder 0700, file 0600,
holding the derived key and its expiry; ``imi lock`` deletes it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from imi_cli.errors import ImiError, UsageError, WrongPassphrase
from imi_cli.log.store import Store, derive_key, read_salt


def cache_dir() -> Path:
    base = os.environ.get("IMI_RUNTIME_DIR")
    if base:
        return Path(base)
    if os.environ.get("XDG_RUNTIME_DIR") or sys.platform != "linux":
        from platformdirs import user_runtime_dir

        return Path(user_runtime_dir("imi", appauthor=False))
    import tempfile  # no session runtime folder (e.g. a container): a user-only one in /tmp

    return Path(tempfile.gettempdir()) / f"imi-{os.getuid()}"


def _cache_file(store_path: Path) -> Path:
    digest = hashlib.sha256(str(store_path.resolve()).encode()).hexdigest()[:32]
    return cache_dir() / f"{digest}.key"


def cached_key(store_path: Path) -> bytes | None:
    path = _cache_file(store_path)
    try:
        entry = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if entry.get("expires", 0) < time.time():
        path.unlink(missing_ok=True)
        return None
    return bytes.fromhex(entry["key"])


def cache_key(store_path: Path, key: bytes, ttl_seconds: int) -> Path:
    folder = cache_dir()
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
    except OSError as exc:
        why = "it is a file" if folder.is_file() else exc.strerror
        raise ImiError(f"the key cache folder {folder} cannot be made ({why})",
                       hint="point IMI_RUNTIME_DIR at a folder of yours") from None
    path = _cache_file(store_path)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({"key": key.hex(), "expires": time.time() + ttl_seconds}, handle)
    os.replace(tmp, path)
    return path


def forget_key(store_path: Path) -> bool:
    path = _cache_file(store_path)
    existed = path.exists()
    path.unlink(missing_ok=True)
    return existed


def passphrase(*, confirm: bool = False) -> str:
    """From IMI_PASSPHRASE, else asked on the terminal (twice when ``confirm``)."""
    value = os.environ.get("IMI_PASSPHRASE")
    if value:
        return value
    if not sys.stdin.isatty():
        raise UsageError("no passphrase: set IMI_PASSPHRASE or run on a terminal",
                         hint="for scripts and CI, export IMI_PASSPHRASE")
    import getpass

    first = getpass.getpass("Passphrase: ")
    if confirm and getpass.getpass("Passphrase again: ") != first:
        raise UsageError("the two passphrases differ; nothing was created")
    return first


def key_for(store_path: Path) -> tuple[bytes, bool]:
    """The store's raw key, and whether it came from the cache."""
    key = cached_key(store_path)
    if key is not None:
        return key, True
    salt = read_salt(store_path)
    return derive_key(passphrase(), salt), False


def open_store(store_path: Path, settings: Any, *, create: bool = False) -> Store:
    timeout = int(settings.busy_timeout_ms)
    if create:
        return Store.create(store_path, passphrase(confirm=True), busy_timeout_ms=timeout)
    key, from_cache = key_for(store_path)
    try:
        return Store.open(store_path, key, busy_timeout_ms=timeout)
    except WrongPassphrase:
        if from_cache:  # a stale cache (the store was re-created): forget it, ask again
            forget_key(store_path)
            return open_store(store_path, settings)
        raise


def unlock(store_path: Path, ttl_seconds: int) -> Path:
    """Check the passphrase and cache the derived key for ``ttl_seconds``."""
    salt = read_salt(store_path)
    key = derive_key(passphrase(), salt)
    Store.open(store_path, key).close()
    return cache_key(store_path, key, ttl_seconds)


__all__ = ["open_store", "unlock", "forget_key", "cached_key", "ImiError"]
