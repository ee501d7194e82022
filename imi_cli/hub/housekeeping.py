"""What a serving hub does by itself, on a timer: reminders fall due, and the retention
period removes old exchanges. Both also run when asked (`imi hub prune`, each pull)."""

from __future__ import annotations

import threading
from typing import Any

INTERVAL_SECONDS = 60.0


def start(hub: Any, retention_days: int | None, interval: float = INTERVAL_SECONDS) -> threading.Event:
    """Run housekeeping every ``interval`` seconds in a daemon thread; set the event to stop."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(interval):
            run_once(hub, retention_days)

    threading.Thread(target=loop, name="imi-hub-housekeeping", daemon=True).start()
    return stop


def run_once(hub: Any, retention_days: int | None) -> dict[str, int]:
    from imi_cli.exchanges.requests.reminders import issue
    from imi_cli.hub.retention import prune

    done = {"reminders": issue(hub), "pruned": 0}
    if retention_days:
        done["pruned"] = prune(hub, retention_days)
    return done
