"""A serving hub copies its write-ahead log back into the database in a thread of its own
(hub/checkpoints.py), not in the commit of whichever push fills the log."""

from __future__ import annotations

import time
from pathlib import Path

from imi_cli.hub.checkpoints import BACKSTOP, DEFAULT, Checkpoints
from imi_cli.hub.state import init_hub

from .conftest import PASSPHRASE


def _fill(hub, pages: int) -> None:
    """Write about ``pages`` pages of rows in one commit."""
    with hub.lock, hub.store.transaction() as conn:
        conn.executemany("INSERT INTO meta(key, value) VALUES (?, ?)",
                         [(f"filler-{i}", "x" * 3000) for i in range(pages)])


def _wait_for(condition, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_the_log_is_copied_back_by_the_thread_not_by_the_commit(tmp_path: Path, cheap_kdf) -> None:
    hub = init_hub(tmp_path / "hub.db", PASSPHRASE, keep_key=True)
    database = tmp_path / "hub.db"
    checkpoints = Checkpoints(hub.store, hub.lock, interval=3600)  # only when told (``now``)
    try:
        assert hub.store.query("PRAGMA wal_autocheckpoint") == [(BACKSTOP,)]
        before = database.stat().st_size
        _fill(hub, 1500)  # past SQLite's own 1,000 pages
        assert database.stat().st_size == before  # the commit left them in the log
        checkpoints.now()
        assert _wait_for(lambda: checkpoints.done == 1)
        assert database.stat().st_size > before + 1000 * 4096  # copied back by the thread
    finally:
        checkpoints.close()
        hub.close()


def test_a_thread_whose_checkpoint_fails_hands_the_job_back_to_the_commits(tmp_path: Path, cheap_kdf) -> None:
    hub = init_hub(tmp_path / "hub.db", PASSPHRASE, keep_key=True)
    checkpoints = Checkpoints(hub.store, hub.lock, interval=0.02)
    try:
        checkpoints._conn.close()  # its next checkpoint fails
        checkpoints.now()
        assert _wait_for(lambda: not checkpoints._thread.is_alive())
        assert hub.store.query("PRAGMA wal_autocheckpoint") == [(DEFAULT,)]
    finally:
        checkpoints._stop.set()
        hub.close()
    assert checkpoints.done == 0


def test_a_hub_store_keeps_its_key_only_when_asked(tmp_path: Path, cheap_kdf) -> None:
    hub = init_hub(tmp_path / "hub.db", PASSPHRASE)
    try:
        assert not hub.store.keeps_key
        hub.start_checker()
        assert hub.checkpoints is None  # no second connection without the key: the commits checkpoint
        assert hub.store.query("PRAGMA wal_autocheckpoint") == [(DEFAULT,)]
    finally:
        hub.close()


def test_a_serving_hub_starts_them_and_stops_them(tmp_path: Path, cheap_kdf) -> None:
    hub = init_hub(tmp_path / "hub.db", PASSPHRASE, keep_key=True)
    hub.start_checker()
    try:
        assert hub.checkpoints is not None and hub.checkpoints._thread.is_alive()
        assert hub.store.query("PRAGMA wal_autocheckpoint") == [(BACKSTOP,)]
    finally:
        thread = hub.checkpoints._thread
        hub.close()
    assert not thread.is_alive()
