"""A helper process fed over a pipe (``PipedProcess``): the bare interpreter (no site, no
imi_cli) running a short script with libsodium's binding only, for the Ed25519 work a node
or a hub hands off (``checker.Checker`` checks signatures).

Its answers count only after it wrote back the random token it was started with, and only
while they keep to its protocol; a process that ends or breaks it is never trusted again
(``alive`` turns False, for good), and what it has not answered is done in the calling one.
"""

from __future__ import annotations

import contextlib
import os

# What each helper's script starts with: libsodium's binding from PyNaCl's folder (its first
# argument), and ``requests(head, length_at)``: the requests on standard input, each a header
# of ``head`` bytes holding the length of the data after it (4 bytes, little-endian, at
# ``length_at``), as (header, data); (None, None) once what one read brought is used up (time
# to write the answers held back). It ends when the input closes.
PRELUDE = r"""
import os, sys
sys.path.insert(0, sys.argv[1])
from nacl._sodium import ffi, lib
if lib.sodium_init() < 0:
    sys.exit(1)


def requests(head, length_at):
    held = b""
    while True:
        chunk = os.read(0, 1 << 20)
        if not chunk:
            return
        held += chunk
        at = 0
        while len(held) - at >= head:
            stop = at + head + int.from_bytes(held[at + length_at:at + length_at + 4], "little")
            if stop > len(held):
                break
            yield held[at:at + head], held[at + head:stop]
            at = stop
        held = held[at:]
        yield None, None
"""


class PipedProcess:
    """The process and its two pipes, both used without blocking. ``_send`` queues bytes for
    it; what it writes back (after its token) goes to ``_answered``, which a subclass keeps
    or refuses (``_die``)."""

    PATIENCE = 0.5  # seconds to wait for an answer before doing the work here

    def __init__(self, script: str) -> None:
        """Start ``script`` (it gets the directory holding PyNaCl and the hex token as its
        arguments)."""
        import subprocess
        import sys

        import nacl

        self._token = os.urandom(16)
        self._process = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", script, os.path.dirname(os.path.dirname(nacl.__file__)),
             self._token.hex()],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0)
        assert self._process.stdin is not None and self._process.stdout is not None
        _yield_to_parent(self._process.pid)
        self._in, self._out = self._process.stdin.fileno(), self._process.stdout.fileno()
        for fd in (self._in, self._out):
            os.set_blocking(fd, False)
        _widen(self._in)
        self._pending = bytearray()  # what the pipe has not taken yet
        self._greeted = b""  # the start token, as far as it came
        self.alive = True

    @property
    def started(self) -> bool:
        """Has it written its whole token back (so that it is working, and soon answers)?"""
        return len(self._greeted) == len(self._token)

    def close(self) -> None:
        """End the process (it also ends of itself when this one does: its input closes)."""
        import contextlib
        import subprocess

        self._die()
        with contextlib.suppress(OSError):
            self._process.stdin.close()  # type: ignore[union-attr]
        try:
            self._process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        with contextlib.suppress(OSError):
            self._process.stdout.close()  # type: ignore[union-attr]

    HELD_AT_MOST = 16 << 20  # bytes waiting for a process that does not read them: it is given up

    def _send(self, data: bytes) -> None:
        if self.alive:
            self._pending += data
            self._pump()

    def _pump(self) -> None:
        """Write what the pipe takes and read what has come, both without waiting."""
        if not self.alive:
            return
        try:
            while self._pending:
                del self._pending[:os.write(self._in, self._pending)]
        except BlockingIOError:
            if len(self._pending) > self.HELD_AT_MOST:  # it does not read (stopped, hung)
                self._die()
                return
        except OSError:
            self._die()
            return
        try:
            data = os.read(self._out, 1 << 16)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._die()  # it ended
            return
        self._took(data)

    def _took(self, data: bytes) -> None:
        if not self.started:
            need = len(self._token) - len(self._greeted)
            self._greeted, data = self._greeted + data[:need], data[need:]
            if not self._token.startswith(self._greeted):
                self._die()  # not the helper
                return
        if data:
            self._answered(data)

    def _answered(self, data: bytes) -> None:
        """Bytes it wrote after its token (a subclass keeps them, or calls ``_die``)."""
        raise NotImplementedError

    def _wait(self, done: object) -> None:
        """Wait (at most ``PATIENCE``) until ``done()`` is true or the process is no longer trusted."""
        import select
        import time

        give_up = time.monotonic() + self.PATIENCE
        while self.alive and not done():  # type: ignore[operator]
            left = give_up - time.monotonic()
            if left <= 0:
                return
            select.select([self._out], [self._in] if self._pending else [], [], left)
            self._pump()

    def _die(self) -> None:
        """The process ended or broke its protocol: everything from now on is done here."""
        self.alive = False
        self._pending.clear()


NICER = 10  # the helper's niceness above its parent's (at most 19)


def _yield_to_parent(pid: int) -> None:
    """Let the calling process's threads come first when the cores are all busy. The helper
    works for one thread of it (a hub's writing thread, a node's applying one) that cannot be
    spread over cores and waits for nothing else; on two shared cores the hub's batched pushes
    went 6 % faster so (bench_hub, helpers at +0 and +10 alternately: 0.437 against 0.464 of
    the verify floor). A helper starved for longer than it is waited for is done without:
    its work is done in the calling process (``PATIENCE``)."""
    with contextlib.suppress(OSError, AttributeError):  # (not POSIX; a limit on niceness)
        os.setpriority(os.PRIO_PROCESS, pid, min(19, os.getpriority(os.PRIO_PROCESS, 0) + NICER))


def _widen(fd: int) -> None:
    """Let the pipe hold a whole batch of requests (Linux; elsewhere it keeps its size)."""
    with contextlib.suppress(Exception):
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)
