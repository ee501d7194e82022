"""What the session-wide test networks (alerts, notifications, repositories) share: a clock that
only moves forward, and a network built once per session on its first use and closed at exit.

Every test runs at a later IMI_NOW than the one before, so no store ever pulls an event from
its future; the network is built at the clock's start."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any


class Clock:
    """IMI_NOW for the tests: it only moves forward, a minute per test unless told more."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def set(self, monkeypatch: Any, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta) if delta else dt.timedelta(minutes=1)
        monkeypatch.setenv("IMI_NOW", self.now.isoformat())
        return self.now

    def to(self, monkeypatch: Any, day: dt.date) -> dt.datetime:
        """Jump to 08:00 UTC of ``day`` (which must be after today)."""
        assert day > self.now.date(), (day, self.now)
        return self.set(monkeypatch, seconds=(dt.datetime.combine(day, dt.time(8), dt.UTC) - self.now)
                        .total_seconds())

    def today(self, days: int = 0) -> str:
        return (self.now.date() + dt.timedelta(days=days)).isoformat()


def shared(cache: dict[str, Any], build: Callable[[Path], Any], clock: Clock, tmp_path_factory: Any,
           name: str) -> Any:
    """The network ``build`` makes, once per session (kept in ``cache``), at the clock's time;
    closed, with its hub, when the session ends."""
    if "net" not in cache:
        import atexit

        before = os.environ.get("IMI_NOW")
        os.environ["IMI_NOW"] = clock.now.isoformat()
        try:
            net = cache["net"] = build(tmp_path_factory.mktemp(name))
        finally:
            os.environ.pop("IMI_NOW") if before is None else os.environ.__setitem__("IMI_NOW", before)

        def stop() -> None:
            net.close()
            net.served.__exit__(None, None, None)
            net.hub.store.close()

        atexit.register(stop)
    return cache["net"]
