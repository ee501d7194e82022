"""Ed25519 work on the other processors: libsodium lets go of the interpreter while it signs
or verifies, so a batch's signatures are checked (and its receipts signed) beside the Python
that applies it, instead of before or after it.

``pool()`` is None on a single processor, where threads would only take turns; callers then
do the same work in their own thread.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any

CHUNK = 32  # signatures per job: a job's bookkeeping is a few microseconds, a check ~60

_POOL: Any = None


def pool() -> Any:
    """The threads that sign and verify (at most 4; one fewer than the processors)."""
    global _POOL
    if _POOL is None:
        workers = min(4, (os.cpu_count() or 1) - 1)
        if workers < 1:
            return None
        from concurrent.futures import ThreadPoolExecutor

        _POOL = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="imi-crypto")
    return _POOL


def verify_all(jobs: Sequence[tuple[str, str, bytes] | None]) -> list[bool | None]:
    """Each (public key, signature, signed bytes) checked; None stays None (no check made)."""
    from imi_cli.log.crypto import verify_bytes

    return [None if job is None else verify_bytes(*job) for job in jobs]


class Checks:
    """Signatures being checked in other threads, in chunks, each read in turn when needed:
    ``result(i)`` waits for the i-th check only (None: no check was asked for it)."""

    def __init__(self, jobs: Sequence[tuple[str, str, bytes] | None], at_least: int = 2 * CHUNK) -> None:
        self._jobs = list(jobs)
        self._futures: list[Future[list[bool | None]]] = []
        self._done: list[bool | None] | None = None
        threads = pool() if sum(job is not None for job in self._jobs) >= at_least else None
        if threads is None:
            return
        for start in range(0, len(self._jobs), CHUNK):
            self._futures.append(threads.submit(verify_all, self._jobs[start:start + CHUNK]))

    def result(self, index: int) -> bool | None:
        if self._futures:
            return self._futures[index // CHUNK].result()[index % CHUNK]
        if self._done is None:  # few, or one processor: checked here, all at once when first asked
            self._done = verify_all(self._jobs)
        return self._done[index]

    def cancel(self) -> None:
        """Drop the checks not started (the batch ended early)."""
        for future in self._futures:
            future.cancel()


def sign_all(sign: Any, texts: Sequence[bytes]) -> list[str]:
    """``sign(data) -> signature`` over each text; when there are many, the threads sign
    parts of them while this thread signs the first."""
    threads = pool() if len(texts) >= 2 * CHUNK else None
    if threads is None:
        return [sign(text) for text in texts]
    size = -(-len(texts) // (threads._max_workers + 1))
    jobs = [threads.submit(_sign_part, sign, texts[i:i + size]) for i in range(size, len(texts), size)]
    return _sign_part(sign, texts[:size]) + [signature for job in jobs for signature in job.result()]


def _sign_part(sign: Any, texts: Sequence[bytes]) -> list[str]:
    return [sign(text) for text in texts]
