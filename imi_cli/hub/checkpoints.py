"""The hub store's write-ahead log copied back into the database by a thread of its own.

SQLite does it by default in the commit that fills the log past 1,000 pages: the push that
happens to commit then also copies them and waits for the disk to take them, under the hub's
lock. A serving hub leaves that to ``Checkpoints``: on a connection of its own, a passive
checkpoint (it never waits for the writer or for readers, and SQLite lets go of the interpreter
lock meanwhile) after each large push (``now``) and every five seconds besides (a trickle of
one-event pushes: a few pages each, copied back and synced in one go). The commit still does
it past ``BACKSTOP`` pages, should the thread fall far behind; a thread whose checkpoint fails
hands the job back to the commits. It needs the store's key for its connection: a serving hub's
store keeps it (``Store.open(keep_key=True)``); a hub without it checkpoints as SQLite does.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

DEFAULT = 1000  # pages: SQLite's own wal_autocheckpoint
BACKSTOP = 20000  # pages (80 MB): the commits checkpoint again past this


class Checkpoints:
    """Passive checkpoints of ``store`` every ``interval`` seconds until ``close``; ``lock``:
    the hub's writer scope, which any use of the store's own connection takes."""

    def __init__(self, store: Any, lock: Any, interval: float = 5.0) -> None:
        self.store, self.lock, self.interval = store, lock, interval
        self.done = 0  # checkpoints made (tests)
        with lock:  # (the store's own connection: only under the hub's lock)
            self._conn = store.connect_again()
            try:
                store.conn.execute(f"PRAGMA wal_autocheckpoint = {BACKSTOP}")
            except BaseException:
                self._conn.close()
                raise
        self._stop, self._soon = threading.Event(), threading.Event()
        self._thread = threading.Thread(target=self._run, name="imi-checkpoints", daemon=True)
        self._thread.start()

    def now(self) -> None:
        """Checkpoint at once (not at the end of the interval)."""
        self._soon.set()

    def _run(self) -> None:
        while True:
            self._soon.wait(self.interval)
            self._soon.clear()
            if self._stop.is_set():
                return
            try:
                self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except Exception as exc:  # noqa: BLE001 -- whatever it is, the commits take the job back
                logging.getLogger("imi.hub").warning("background checkpoints stopped (%s); commits make them",
                                                     type(exc).__name__)
                self._give_back()
                return
            self.done += 1

    def _give_back(self) -> None:
        import contextlib

        with self.lock, contextlib.suppress(Exception):
            self.store.conn.execute(f"PRAGMA wal_autocheckpoint = {DEFAULT}")

    def close(self) -> None:
        """Stop the thread (after its checkpoint in progress) and close its connection."""
        self._stop.set()
        self._soon.set()
        self._thread.join()
        self._conn.close()
        self._give_back()
