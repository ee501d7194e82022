"""One ``LISTEN imi_hub`` connection per hub process, on a thread of its own: a notification
(another process committed) catches the replica up and wakes this process's long polls.

A notification is only a wake-up. With none for ``recheck_seconds`` the thread catches up all
the same (the follower), and after a lost connection it reconnects, catches up and wakes the
long polls once: what was missed meanwhile is in the ``changes`` stream.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from imi_cli.hub.pg.backend import CHANNEL
from imi_cli.hub.pg.connect import connect

log = logging.getLogger("imi.hub.listener")


def start(hub: Any, *, listen: bool = True) -> tuple[threading.Thread, threading.Event]:
    """Start the thread; set the event (or close the hub) to stop it. ``listen=False`` (a test
    hook: notifications lost) keeps only the periodic catch-up."""
    stop = threading.Event()
    thread = threading.Thread(target=_run, args=(hub, stop, listen), name="imi-hub-listener", daemon=True)
    thread.start()
    return thread, stop


def _follow(hub: Any) -> None:
    try:
        hub.backend.catch_up()
    except Exception as exc:  # the next wake-up tries again; a write catches up by itself
        log.warning("hub replica catch-up failed: %s", type(exc).__name__)


def _run(hub: Any, stop: threading.Event, listen: bool) -> None:
    backend = hub.backend
    while not stop.is_set():
        conn = None
        try:
            if listen:
                conn = connect(backend.url, autocommit=True)
                conn.execute(f"LISTEN {CHANNEL}")
            _follow(hub)
            hub._notify()  # (re)connected: whatever came meanwhile is there to read
            while not stop.is_set():
                woken = False
                if conn is not None:
                    for _ in conn.notifies(timeout=min(1.0, backend.recheck_seconds), stop_after=1):
                        woken = True
                    if woken:  # drain what queued meanwhile without waiting
                        for _ in conn.notifies(timeout=0.0):
                            pass
                else:
                    stop.wait(backend.recheck_seconds)
                if stop.is_set():
                    break
                if woken:
                    hub._notify()
                    _follow(hub)
                elif _due(backend):
                    _follow(hub)
        except Exception as exc:
            log.warning("hub notifications lost (%s); reconnecting", type(exc).__name__)
            stop.wait(1.0)
        finally:
            if conn is not None:
                try:
                    conn.close()
                except Exception:
                    pass


def _due(backend: Any) -> bool:
    """The periodic catch-up, every ``recheck_seconds`` when nothing was heard."""
    import time

    now = time.monotonic()
    last = getattr(backend, "_followed_at", 0.0)
    if now - last >= backend.recheck_seconds:
        backend._followed_at = now
        return True
    return False
