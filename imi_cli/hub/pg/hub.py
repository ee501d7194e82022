"""A ``Hub`` whose log is in PostgreSQL: what `imi hub init|serve --database` open.

Each hub process claims a replica slot, ``<replica_dir>/<hub_id>/worker-<n>.db``, by an
exclusive ``flock`` on ``worker-<n>.lock`` (held until ``Hub.close()`` or the process ends), so
two processes never share a replica. A slot's replica is caught up from PostgreSQL; a missing
or damaged one (or one of another hub) is made again from PostgreSQL (``replica.bootstrap``).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import Any

from imi_cli.hub.state import Hub

MAX_SLOTS = 1024


def init_hub_pg(url: str, key_file: Path, replica_dir: Path) -> Hub:
    """A new hub in the empty database at ``url`` (``init.init_database``), opened, with the
    operator's first event, as ``state.init_hub`` makes one in a file."""
    from imi_cli.hub.pg.init import init_database
    from imi_cli.log.crypto import public_key_of
    from imi_cli.log.event import make_event

    init_database(url, key_file)
    hub = open_hub_pg(url, key_file, replica_dir)
    try:
        enrolled = make_event("user.enrolled", actor={"user": "operator", "authority": None},
                              payload={"user": "operator", "authority": None,
                                       "public_key": public_key_of(hub._operator_key)},
                              subject={"entity": "principal/operator", "version": 0})
        hub.append_own([enrolled])
    except BaseException:
        hub.close()
        raise
    return hub


def _claim(folder: Path, slot: int | None) -> tuple[int, int]:
    """(slot number, the open lock file) of a free slot: ``slot`` if given (waiting for it),
    else the first one no live process holds."""
    for n in [slot] if slot is not None else range(MAX_SLOTS):
        fd = os.open(folder / f"worker-{n}.lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if slot is not None else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(fd)
            continue
        return n, fd
    raise RuntimeError("no free hub replica slot")  # 1024 processes on one folder: not a configuration


def _open_replica(path: Path, key: bytes, hub_id: str, operator_key: str) -> tuple[Any, bool]:
    """(the replica's store, whether it is new and must be filled)."""
    from imi_cli.errors import ImiError
    from imi_cli.hub.pg.backend import PG_HUB
    from imi_cli.log.store import Store

    if path.exists():
        try:
            store = Store.open(path, key)
            if store.meta(PG_HUB) == hub_id and store.meta("role") == "hub":
                return store, False
            store.close()
        except ImiError:
            pass
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)
    store = Store.create_raw(path, key)
    with store.transaction():
        store.set_meta("role", "hub")
        store.set_meta("operator_key", operator_key)
        store.set_meta(PG_HUB, hub_id)
    return store, True


def open_hub_pg(url: str, key_file: Path, replica_dir: Path, *, slot: int | None = None,
                listen: bool = True) -> Hub:
    """The hub in the database at ``url``, in this process: a replica slot claimed, the replica
    caught up (or made), the listener started. ``hub.close()`` releases all of it.
    ``listen=False`` (tests): no LISTEN connection, only the periodic catch-up."""
    from imi_cli.hub.pg import keys, listener, replica
    from imi_cli.hub.pg.backend import PgBackend
    from imi_cli.hub.pg.init import open_database

    conn, key, meta = open_database(url, key_file)
    lock_fd = -1
    store = None
    try:
        folder = Path(replica_dir) / meta["hub_id"]
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        n, lock_fd = _claim(folder, slot)
        store, fresh = _open_replica(folder / f"worker-{n}.db", keys.replica_key(key), meta["hub_id"],
                                     meta["operator_key"])
        if conn.info.transaction_status != 0:  # open_database leaves no transaction, but be sure
            conn.rollback()
        backend = PgBackend(url, key, conn, store)
        backend.slot = n
        backend.closing.append(lambda: os.close(lock_fd))
        hub = Hub(backend.store, backend)
        backend.hub = hub
    except BaseException:
        if store is not None:
            store.close()
        conn.close()
        if lock_fd >= 0:
            os.close(lock_fd)
        raise
    try:
        with backend.lock, backend.reads.get() as pg:
            if fresh:
                replica.bootstrap(backend, pg)
            else:
                replica.catch_up(backend, pg)
        thread, stop = listener.start(hub, listen=listen)

        def stop_listener() -> None:
            stop.set()
            thread.join(timeout=5)

        backend.closing.append(stop_listener)
    except BaseException:
        hub.close()
        raise
    return hub


__all__ = ["init_hub_pg", "open_hub_pg"]
