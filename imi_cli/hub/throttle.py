"""What keeps one client from spending the hub: token buckets for rate limits, counts of
what a user holds at once (long polls, pushes in flight), and the wake-up that lets long
polls wait on the event loop instead of in worker threads. Used by ``imi_cli.hub.app``."""

from __future__ import annotations

import asyncio
import time

from imi_cli.hub.state import Hub
from imi_cli.protocol.limits import Rate


class Buckets:
    """Token buckets by key (a user, a client address): ``rate.requests`` at once, earned back
    evenly over ``rate.seconds``. Used on the event loop only, so without a lock."""

    MAX_KEYS = 100_000  # beyond, buckets that are full again are forgotten (memory stays bounded)

    def __init__(self, rate: Rate) -> None:
        self.rate = rate
        self.every = rate.seconds / rate.requests  # seconds to earn back one request
        self.held: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)

    def _tokens(self, key: str, now: float) -> float:
        tokens, at = self.held.get(key, (self.rate.requests, now))
        return min(float(self.rate.requests), tokens + (now - at) / self.every)

    def wait(self, key: str) -> float:
        """Seconds until ``key`` may make a request (0: now), taking nothing."""
        return max(0.0, (1 - self._tokens(key, time.monotonic())) * self.every)

    def take(self, key: str) -> float:
        """Take one request; 0 when allowed, else the seconds until one is (nothing taken)."""
        now = time.monotonic()
        tokens = self._tokens(key, now)
        if tokens < 1:
            return (1 - tokens) * self.every
        self.held[key] = (tokens - 1, now)
        if len(self.held) > self.MAX_KEYS:
            self.held = {k: v for k, v in self.held.items() if self._tokens(k, now) < self.rate.requests}
            if len(self.held) > self.MAX_KEYS:  # a flood from more addresses than that: start afresh
                self.held = {key: (tokens - 1, now)}
        return 0.0

    def give_back(self, key: str) -> None:
        if key in self.held:
            tokens, at = self.held[key]
            self.held[key] = (min(float(self.rate.requests), tokens + 1), at)


class Arrivals:
    """The hub's wake-up on the event loop: ``Hub._notify`` (in a worker thread, the
    housekeeping thread, or at shutdown) sets the current asyncio.Event through
    ``call_soon_threadsafe`` and puts a fresh one in its place."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.loop: asyncio.AbstractEventLoop | None = None
        self.event: asyncio.Event | None = None

    def current(self) -> asyncio.Event:
        """The event the next arrival sets (on the running loop; bound to it on first use)."""
        loop = asyncio.get_running_loop()
        if self.loop is not loop:
            self.loop, self.event = loop, asyncio.Event()
            if self._from_thread not in self.hub.listeners:
                self.hub.listeners.append(self._from_thread)
        assert self.event is not None
        return self.event

    def _from_thread(self) -> None:
        loop = self.loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(self._wake)
            except RuntimeError:  # the loop closed meanwhile: nobody waits on it
                pass

    def _wake(self) -> None:
        event, self.event = self.event, asyncio.Event()
        if event is not None:
            event.set()


class Counts:
    """How many of something each user holds at once (long polls, pushes in flight)."""

    def __init__(self, most: int) -> None:
        self.most = most
        self.held: dict[str, int] = {}

    def enter(self, key: str) -> bool:
        if self.held.get(key, 0) >= self.most:
            return False
        self.held[key] = self.held.get(key, 0) + 1
        return True

    def leave(self, key: str) -> None:
        self.held[key] -= 1
        if not self.held[key]:
            del self.held[key]
