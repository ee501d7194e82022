"""Ed25519 checks done beside the Python that applies events: a node's catch-up and a hub's
pushed batch have their signatures checked while they apply.

In a process of their own (``checker.Checker``) where it can run: libsodium lets go of the
interpreter lock while it verifies, but a thread must take the lock back after each
signature, and the applying thread gives it up only every few milliseconds (measured: a
56 µs check took ~2.4 ms beside busy Python). Elsewhere (not POSIX, a frozen build, one
processor, a checker that died) in threads (``threads``) or in the calling thread. A check
is never skipped: what the checker does not answer in time is checked here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from imi_cli.log.checker import Checker
from imi_cli.log.crypto import SIGNATURE_BYTES, public_bytes, unb64
from imi_cli.log.piped import PipedProcess

AT_LEAST = 64  # signatures in a batch for a checker process to be worth handing them
Job = tuple[str, str, bytes]  # (public key text, signature text, signed bytes)
P = TypeVar("P", bound=PipedProcess)

def usable() -> bool:
    """Can a checker process run here (and would it help)?"""
    import sys

    return (os.name == "posix" and not getattr(sys, "frozen", False) and bool(sys.executable)
            and (os.cpu_count() or 1) >= 2)


def new_checker() -> Checker | None:
    """A checker process, or None where none can run (``usable``) or it does not start."""
    if not usable():
        return None
    try:
        return Checker()
    except (OSError, ValueError, ImportError):
        return None


class HelperSlot(Generic[P]):
    """Where a node or a hub keeps a helper process (its checker, by default; a hub's signing
    process): started on first use; one that ended of itself (or never started) is not started
    again, the work is done elsewhere from then on; ``close`` ends it, and a later use starts
    another."""

    def __init__(self, start: Callable[[], P | None] = new_checker) -> None:  # type: ignore[assignment]
        self.process: P | None = None
        self._start = start
        self._given_up = False

    def get(self) -> P | None:
        if self.process is not None and not self.process.alive:
            self.process.close()
            self.process, self._given_up = None, True
        if self.process is None and not self._given_up:
            self.process = self._start()
            self._given_up = self.process is None
        return self.process

    def close(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            process.close()


def raw_job(job: Job) -> tuple[bytes, bytes, bytes] | None:
    """A check as the checker takes it (raw 32-byte key, raw 64-byte signature, data); None if
    the key or the signature is not one (then it is checked in this process, and fails)."""
    key = public_bytes(job[0])
    try:
        sig = unb64(job[1])
    except (ValueError, TypeError):
        return None
    return (key, sig, job[2]) if key is not None and len(sig) == SIGNATURE_BYTES else None


_POOL: Any = None


def threads() -> Any:
    """The threads that sign or verify when no checker is used; None on a single processor,
    where they would only take turns with the calling thread."""
    global _POOL
    if _POOL is None:
        workers = min(4, (os.cpu_count() or 1) - 1)
        if workers < 1:
            return None
        from concurrent.futures import ThreadPoolExecutor

        _POOL = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="imi-crypto")
    return _POOL


def verify_all(jobs: Sequence[Job | None]) -> list[bool | None]:
    """Each (public key, signature, signed bytes) checked; None stays None (no check made)."""
    from imi_cli.log.crypto import verify_bytes

    return [None if job is None else verify_bytes(*job) for job in jobs]


class Checks:
    """The signature checks of one batch, read in turn: ``result(i)`` is the i-th check (None:
    none was asked for it). ``start`` hands them to a checker process at once (when there are
    ``many``), and those ``add``-ed later as they come; without one, each is checked here when
    first asked. Answers are kept, so a batch done again reads them again (and ``start`` a
    second time hands nothing)."""

    def __init__(self, jobs: Sequence[Job | None], at_least: int = AT_LEAST, *, many: bool | None = None) -> None:
        """``many``: whether a checker is worth it, if known before the jobs are (else: whether
        ``at_least`` of ``jobs`` ask for a check)."""
        self._jobs = list(jobs)
        self._answers: list[bool | None] = []
        self._tickets: dict[int, int] = {}
        self._checker: Checker | None = None
        self._started = False
        self.many = sum(job is not None for job in self._jobs) >= at_least if many is None else many

    def start(self, checker: Checker | None) -> None:
        """Hand the checks to ``checker`` (used by one thread at a time: the caller's)."""
        if self._started or checker is None or not checker.alive:
            return
        self._started, self._checker = True, checker
        self._hand(0)

    def add(self, jobs: Sequence[Job | None]) -> None:
        """More checks, after those there are (handed to the checker at once, if started)."""
        first = len(self._jobs)
        self._jobs += jobs
        if self._started:
            self._hand(first)

    def _hand(self, first: int) -> None:
        """Hand the checker the checks from ``first`` on (those not answered here already)."""
        assert self._checker is not None
        raw, indexes = [], []
        for index in range(max(first, len(self._answers)), len(self._jobs)):
            job = self._jobs[index]
            ready = raw_job(job) if job is not None else None
            if ready is not None:
                raw.append(ready)
                indexes.append(index)
        if raw and self._checker.alive:
            ticket = self._checker.submit(raw)
            self._tickets.update((index, ticket + n) for n, index in enumerate(indexes))

    def result(self, index: int) -> bool | None:
        while len(self._answers) <= index:  # in order: the checker's tickets are taken so
            self._answers.append(self._check(len(self._answers)))
        return self._answers[index]

    def ready(self, index: int) -> bool:
        """Can ``result(index)`` be read without waiting for the checker process (answered by
        it, or to be checked here)?"""
        if index < len(self._answers):
            return True
        ticket = self._tickets.get(index)
        return ticket is None or self._checker is None or not self._checker.alive or self._checker.answered(ticket)

    def _check(self, index: int) -> bool | None:
        job = self._jobs[index]
        if job is None:
            return None
        ticket = self._tickets.get(index)
        if ticket is not None and self._checker is not None:
            try:
                return self._checker.outcome(ticket)
            except KeyError:  # taken by another batch meanwhile (a batch done again): checked here
                pass
        return verify_all([job])[0]
