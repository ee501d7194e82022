"""Unlocking: where a store's key comes from, and the per-user key cache.

Order: a cached key from ``imi unlock`` (if it has not expired), then
``IMI_PASSPHRASE``, then a prompt on a terminal. The cache is a file in the
user's runtime folder (tmpfs on most systems), folder 0700, file 0600,
holding the derived key and its expiry; ``imi lock`` deletes it. Without a
runtime folder it is ``$TMPDIR/imi-<uid>``, a name any local user can take
first: the folder is used only if it is this user's alone (owner, mode, not a
link; see ``private_files``), else nothing is cached or read and the
passphrase is asked for each time.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from imi_cli.errors import ImiError, UsageError, WrongPassphrase
from imi_cli.i18n import t
from imi_cli.log.private_files import (
    CLOEXEC,
    DIRECTORY,
    NOFOLLOW,
    UnsafePath,
    open_private_folder,
    read_private,
    replace_private,
)
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


def _cache_name(store_path: Path) -> str:
    from imi_cli.log.crypto import sha256_hex

    return sha256_hex(str(store_path.resolve()).encode())[:32] + ".key"


def _cache_file(store_path: Path) -> Path:
    return cache_dir() / _cache_name(store_path)


def _unsafe_folder(exc: UnsafePath) -> ImiError:
    """The cache folder is not this user's alone: say so and how to go on (nothing is cached)."""
    # Translators: {problem} says what is wrong with the folder ("can be used by other users (mode 0755)")
    error = t("the key cache folder {path} {problem}, so the key was not cached there", path=str(exc.path),
              problem=exc.problem)
    if exc.mine:  # the user's own folder, too open
        return ImiError(error, hint=t("if you made it, check what is in it, then `chmod 700 {path}`; or set "
                                      "IMI_RUNTIME_DIR to a folder only you can use (`mkdir -m 700 DIR`); until "
                                      "then each command asks for the passphrase (or reads IMI_PASSPHRASE)",
                                      path=str(exc.path)))
    return ImiError(error, hint=t("set IMI_RUNTIME_DIR to a folder only you can use (`mkdir -m 700 DIR`); "
                                  "until then each command asks for the passphrase (or reads IMI_PASSPHRASE)"))


def cached_key(store_path: Path) -> bytes | None:
    """The key ``imi unlock`` cached for this store, if it has not expired. A cache folder
    that others could use is never read (a warning says why): fail closed, ask again."""
    try:
        folder = open_private_folder(cache_dir(), create=False)
    except UnsafePath as exc:
        _warn(_unsafe_folder(exc))
        return None
    except OSError:  # not a folder: `imi unlock` says so; nothing is cached there
        return None
    if folder is None:
        return None
    try:
        return _read_entry(folder, _cache_name(store_path))
    finally:
        os.close(folder)


def _read_entry(folder: int, name: str) -> bytes | None:
    try:
        entry = json.loads(read_private(folder, name) or b"null")
        expired = float(entry["expires"]) < time.time()
        key = bytes.fromhex(entry["key"])
    except (ValueError, TypeError, KeyError):
        return None
    if expired:
        forget_key_in(folder, name)
        return None
    return key


_WARNED: set[str] = set()


def _warn(error: ImiError) -> None:
    """Once per process: a command may look at the cache more than once."""
    if error.message not in _WARNED:
        _WARNED.add(error.message)
        sys.stderr.write(t("imi: warning: {message}", message=error.message) + "\n"
                         + t("  hint: {hint}", hint=error.hint) + "\n")


def cache_key(store_path: Path, key: bytes, ttl_seconds: int) -> Path:
    """Cache the derived key for ``ttl_seconds`` in a user-only file of a user-only folder;
    refuse (``ImiError``, nothing written) if the folder is not this user's alone."""
    path = _cache_file(store_path)
    entry = json.dumps({"key": key.hex(), "expires": time.time() + ttl_seconds}).encode()
    folder = _cache_folder(path.parent)
    try:
        replace_private(folder, path.name, entry)
    except OSError as exc:
        raise ImiError(t("the key cannot be cached in {path} ({error})", path=str(path.parent), error=exc.strerror),
                       hint=t("point IMI_RUNTIME_DIR at a folder of yours")) from None
    finally:
        os.close(folder)
    return path


def _cache_folder(folder: Path) -> int:
    """The cache folder, made if missing, checked to be this user's alone."""
    try:
        fd = open_private_folder(folder, create=True)
    except UnsafePath as exc:
        raise _unsafe_folder(exc) from None
    except OSError as exc:
        why = t("it is a file") if folder.is_file() else exc.strerror or str(exc)
        raise _cannot_make(folder, why) from None
    if fd is None:  # removed between making and opening it
        raise _cannot_make(folder, t("it was removed meanwhile"))
    return fd


def _cannot_make(folder: Path, why: str) -> ImiError:
    return ImiError(t("the key cache folder {path} cannot be made ({why})", path=str(folder), why=why),
                    hint=t("point IMI_RUNTIME_DIR at a folder of yours"))


def forget_key(store_path: Path) -> bool:
    """Delete the cached key (a link in its place is removed, never followed)."""
    try:
        folder = os.open(cache_dir(), os.O_RDONLY | DIRECTORY | NOFOLLOW | CLOEXEC)
    except OSError:
        return False
    try:
        return forget_key_in(folder, _cache_name(store_path))
    finally:
        os.close(folder)


def forget_key_in(folder: int, name: str) -> bool:
    try:
        os.unlink(name, dir_fd=folder)
    except FileNotFoundError:
        return False
    return True


def passphrase(*, confirm: bool = False) -> str:
    """From IMI_PASSPHRASE, else asked on the terminal (twice when ``confirm``)."""
    value = os.environ.get("IMI_PASSPHRASE")
    if value:
        return value
    if not sys.stdin.isatty():
        raise UsageError(t("no passphrase: set IMI_PASSPHRASE or run on a terminal"),
                         hint=t("for scripts and CI, export IMI_PASSPHRASE"))
    import getpass

    first = getpass.getpass(t("Passphrase: "))
    if confirm and getpass.getpass(t("Passphrase again: ")) != first:
        raise UsageError(t("the two passphrases differ; nothing was created"))
    return first


def key_for(store_path: Path) -> tuple[bytes, bool]:
    """The store's raw key, and whether it came from the cache."""
    key = cached_key(store_path)
    if key is not None:
        return key, True
    salt = read_salt(store_path)
    return derive_key(passphrase(), salt), False


def open_store(store_path: Path, settings: Any, *, create: bool = False, keep_key: bool = False) -> Store:
    """``keep_key``: the store keeps its key for a second connection (a serving hub's checkpoints)."""
    timeout = int(settings.busy_timeout_ms)
    if create:
        return Store.create(store_path, passphrase(confirm=True), busy_timeout_ms=timeout)
    key, from_cache = key_for(store_path)
    try:
        store = Store.open(store_path, key, busy_timeout_ms=timeout, keep_key=keep_key)
    except WrongPassphrase:
        if from_cache:  # a stale cache (the store was re-created): forget it, ask again
            forget_key(store_path)
            return open_store(store_path, settings, keep_key=keep_key)
        raise
    _privacy_clock(store)
    return store


def _privacy_clock(store: Store) -> None:
    """The data-protection clock runs on every command that opens a store: one query when
    nothing is due (``imi_cli.privacy.clock``)."""
    from imi_cli.privacy.clock import run_if_due

    try:
        run_if_due(store)
    except BaseException:
        store.close()
        raise


def unlock(store_path: Path, ttl_seconds: int) -> Path:
    """Check the passphrase and cache the derived key for ``ttl_seconds``."""
    salt = read_salt(store_path)
    key = derive_key(passphrase(), salt)
    Store.open(store_path, key).close()
    return cache_key(store_path, key, ttl_seconds)


__all__ = ["open_store", "unlock", "forget_key", "cached_key", "ImiError"]
