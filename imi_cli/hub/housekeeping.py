"""What a serving hub does by itself, on a timer: reminders fall due, forwarded alerts are
delivered, a closed alert's personal data is erased when its time comes, the data-protection
clock blocks and erases closed exchanges' personal data (``privacy_jobs``), and the retention
period removes old exchanges. They run when `imi hub serve` starts and then every minute,
each over everything; a pull also makes what fell due since the last pull, reading only what
can have changed (``Hub.remind_due``, ``due_check``); retention runs with `imi hub prune`.

Housekeeping survives any one record: a request it cannot process is skipped and logged (its
id and the exception's type, never its content), and the others are done. The timer's loop
never dies: a job that fails as a whole is logged and runs again at the next tick.

With several hub processes on one PostgreSQL database, the timer jobs run in one process only:
the ``Leader``, the process holding the session advisory lock ``imi-hub-housekeeping`` on a
connection it keeps. If it dies (or its connection does), PostgreSQL releases the lock and the
next tick of another process takes it. The leader also deletes expired request nonces and runs
``VACUUM disclosures`` after disclosures changed (erasure's counterpart of SQLCipher's scrub)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

INTERVAL_SECONDS = 60.0
log = logging.getLogger("imi.hub.housekeeping")


LEADER_LOCK = "imi-hub-housekeeping"  # pg_try_advisory_lock(hashtext(...)) on the leader's session


class Leader:
    """Leadership of the timer jobs among the hub processes on one PostgreSQL database: held
    while this process's session holds the advisory lock. ``connect`` makes an autocommit
    psycopg connection (the lock lives as long as that session)."""

    def __init__(self, connect: Callable[[], Any]) -> None:
        self._connect = connect
        self.conn: Any = None
        self.held = False
        self._disclosure_changes: int | None = None

    def holds(self) -> bool:
        """Whether this process leads now: keeps the lock it has (if its session is alive),
        else tries to take it. Never raises: a database that is down means "not now"."""
        try:
            if self.conn is None:
                self.conn = self._connect()
                self.held = False
            if self.held:
                self.conn.execute("SELECT 1")  # a broken session lost the lock with it
                return True
            row = self.conn.execute("SELECT pg_try_advisory_lock(hashtext(%s))", (LEADER_LOCK,)).fetchone()
            self.held = bool(row and row[0])
            if self.held:
                log.info("this process leads the housekeeping")
            return self.held
        except Exception as exc:
            log.warning("housekeeping leadership unknown (%s); tried again at the next tick", type(exc).__name__)
            self.close()
            return False

    def database_jobs(self) -> None:
        """What only the database needs: expired nonces and the replicas' old stream go
        (``replica.prune_changes``); erased or blocked disclosures' old row versions are
        vacuumed away once disclosures changed."""
        from imi_cli.hub.pg.backend import EXPIRED_NONCES, NONCE_WINDOW_SECONDS
        from imi_cli.hub.pg.replica import prune_changes
        from imi_cli.log import clock

        try:
            self.conn.execute(EXPIRED_NONCES, (clock.now().timestamp() - NONCE_WINDOW_SECONDS,))
            prune_changes(self.conn, clock.now())
            row = self.conn.execute("SELECT coalesce(n_tup_upd, 0) + coalesce(n_tup_del, 0) FROM pg_stat_user_tables "
                                    "WHERE relname = 'disclosures'").fetchone()
            changes = int(row[0]) if row else 0
            if changes != self._disclosure_changes:
                self.conn.execute("VACUUM disclosures")
                self._disclosure_changes = changes
        except Exception as exc:
            log.error("housekeeping (database) failed: %s", type(exc).__name__)

    def close(self) -> None:
        conn, self.conn, self.held = self.conn, None, False
        if conn is not None:
            try:
                conn.close()  # the session ends: the lock is released
            except Exception:
                pass


def start(hub: Any, retention_days: int | None, interval: float = INTERVAL_SECONDS,
          leader: Leader | None = None) -> Timer:
    """Run housekeeping every ``interval`` seconds in a daemon thread; set the event to stop.
    With a ``leader``, a tick does the jobs only while this process leads."""
    stop = Timer()

    def loop() -> None:
        while not stop.wait(interval):
            tick(hub, retention_days, leader)

    stop.thread = threading.Thread(target=loop, name="imi-hub-housekeeping", daemon=True)
    stop.thread.start()
    return stop


class Timer(threading.Event):
    """The event that stops the timer's thread; ``end`` also waits for a tick in progress."""

    thread: threading.Thread | None = None

    def end(self, timeout: float = 60.0) -> None:
        self.set()
        if self.thread is not None:
            self.thread.join(timeout)


def tick(hub: Any, retention_days: int | None, leader: Leader | None = None) -> dict[str, int] | None:
    """One round of the timer: whatever happens, the loop goes on. With a ``leader`` that
    another process holds, nothing is done (None)."""
    try:
        if leader is not None and not leader.holds():
            return None
        done = run_once(hub, retention_days)
        if leader is not None:
            leader.database_jobs()
        return done
    except Exception as exc:  # RecursionError and MemoryError included: the timer outlives them
        log.error("housekeeping failed (%s); it runs again at the next tick", type(exc).__name__)
        return None


def run_once(hub: Any, retention_days: int | None,
             skipped: list[dict[str, Any]] | None = None) -> dict[str, int]:
    """Make due reminders, then apply the retention period; each job runs even if the other
    fails. What could not be processed is logged and added to ``skipped`` (job, id, error)."""
    from imi_cli.exchanges.requests.reminders import issue
    from imi_cli.hub import notification_jobs, privacy_jobs
    from imi_cli.hub.alert_jobs import deliver, erase_due
    from imi_cli.hub.retention import prune

    skipped = [] if skipped is None else skipped
    done = {"reminders": _job("reminders", lambda: issue(hub, skipped), skipped), "pruned": 0,
            "alerts_delivered": _job("alert delivery", lambda: deliver(hub, skipped), skipped),
            "alerts_erased": _job("alert erasure", lambda: erase_due(hub, skipped), skipped),
            "notifications_delivered": _job("notification delivery",
                                            lambda: notification_jobs.deliver(hub, skipped), skipped),
            "notification_reminders": _job("notification reminders",
                                           lambda: notification_jobs.remind(hub, skipped), skipped),
            "early_erasures": _job("early erasure", lambda: privacy_jobs.erase_requested(hub, skipped), skipped)}
    clock_done = _job_counts("data-protection clock", lambda: privacy_jobs.run(hub, skipped), skipped)
    done["privacy_blocked"], done["privacy_erased"] = clock_done.get("blocked", 0), clock_done.get("erased", 0)
    if retention_days:
        done["pruned"] = _job("retention", lambda: prune(hub, retention_days, skipped), skipped)
    return done


def _job_counts(name: str, work: Callable[[], dict[str, int]], skipped: list[dict[str, Any]]) -> dict[str, int]:
    try:
        return work()
    except Exception as exc:
        log.error("housekeeping (%s) failed: %s", name, type(exc).__name__)
        skipped.append({"job": name, "id": None, "error": type(exc).__name__})
        return {}


def _job(name: str, work: Callable[[], int], skipped: list[dict[str, Any]]) -> int:
    try:
        return work()
    except Exception as exc:
        log.error("housekeeping (%s) failed: %s", name, type(exc).__name__)
        skipped.append({"job": name, "id": None, "error": type(exc).__name__})
        return 0
