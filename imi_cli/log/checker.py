"""A process of its own that checks Ed25519 signatures (``Checker``), fed over a pipe, for
a node's catch-up and a hub's pushed batches (``crypto_pool`` says when and how it is used).

Nothing is taken from it but bytes 0 and 1, after the random token it was started with; a
signature it has not answered when needed is checked in the calling process.
"""

from __future__ import annotations

from imi_cli.log.piped import PRELUDE, PipedProcess

# The checker (after ``piped.PRELUDE``): it answers its start token, then one byte a signature,
# in order: 1 valid, 0 not (eight at a time while more are waiting). A request is the 32-byte
# key, the 64-byte signature, the length of the data (4 bytes, little-endian) and the data.
_CHECKER = PRELUDE + r"""
os.write(1, bytes.fromhex(sys.argv[2]))
verify, length, out, size = lib.crypto_sign_open, ffi.new("unsigned long long *"), None, 0
answers = bytearray()
for head, data in requests(100, 96):
    if head is not None:
        signed = head[32:96] + data
        if len(signed) > size:
            size = len(signed)
            out = ffi.new("unsigned char[]", size)
        answers.append(verify(out, length, signed, len(signed), head[:32]) == 0)
    if answers and (head is None or len(answers) == 8):
        os.write(1, answers)
        answers = bytearray()
"""


class Checker(PipedProcess):
    """Signatures checked, in order, by a process of their own (``_CHECKER``). ``submit`` hands
    it signatures and returns the ticket of the first; ``outcome(ticket)`` is the check of one:
    waited for when the process is about to give it, else made here and now, so a checker that
    is starting, lags or died never skips a check (nor delays one much). Nothing is taken from
    the process but bytes 0 and 1, after the token it was started with (``piped.PipedProcess``)."""

    AHEAD = 64  # the process is this close to a signature: wait for its answer rather than check here

    def __init__(self) -> None:
        super().__init__(_CHECKER)
        self._asked: list[tuple[bytes, bytes, bytes]] = []  # what each ticket from self._first on asks
        self._first = 0
        self._taken = 0  # the tickets from self._first taken (answered or not), forgotten by the thousand
        self._answers = bytearray()  # the answers read, for the tickets from self._first on
        self._unread = 0  # answers still to come for tickets forgotten

    def submit(self, jobs: list[tuple[bytes, bytes, bytes]]) -> int:
        """Hand the process (raw public key, raw signature, data) triples (a key of 32 bytes, a
        signature of 64); returns the ticket of the first, the others follow it."""
        ticket = self._first + len(self._asked)
        self._asked += jobs
        if self.alive:
            self._send(b"".join(key + sig + len(data).to_bytes(4, "little") + data for key, sig, data in jobs))
        return ticket

    def outcome(self, ticket: int) -> bool:
        """Does the signature of ``ticket`` verify? The tickets before it are forgotten (a page
        takes its own in order; earlier ones not taken are a failed page's)."""
        index = ticket - self._first
        if index < self._taken or index >= len(self._asked):
            raise KeyError(ticket)
        if index >= len(self._answers):  # not answered yet: what has come since?
            self._pump()
            if self.alive and self.started and len(self._answers) <= index < len(self._answers) + self.AHEAD:
                self._wait(lambda: index < len(self._answers))
        if index < len(self._answers):
            valid = self._answers[index] == 1
        else:
            valid = verify_raw(*self._asked[index])
        self._taken = index + 1
        if self._taken >= 1024:
            self._forget()
        return valid

    def answered(self, ticket: int) -> bool:
        """Has the process answered ``ticket`` (read now, without waiting)?"""
        index = ticket - self._first
        if index >= len(self._answers):
            self._pump()
        return 0 <= index < len(self._answers)

    def _forget(self) -> None:
        """Drop the tickets taken (and those before them)."""
        count, self._taken = self._taken, 0
        answered = min(count, len(self._answers))
        del self._answers[:answered]
        self._unread += count - answered
        del self._asked[:count]
        self._first += count

    def _answered(self, data: bytes) -> None:
        if data.strip(b"\x00\x01"):
            self._die()  # not an answer
            return
        skipped = min(self._unread, len(data))
        self._unread -= skipped
        self._answers += data[skipped:]

    def _die(self) -> None:
        super()._die()
        self._answers.clear()  # only trusted from a process that kept to the protocol
        self._unread = 0


def verify_raw(key: bytes, sig: bytes, data: bytes) -> bool:
    """``verify_bytes`` of a raw 32-byte public key and 64-byte signature."""
    from nacl.bindings import crypto_sign_open
    from nacl.exceptions import CryptoError

    try:
        crypto_sign_open(sig + data, key)
        return True
    except (CryptoError, ValueError, TypeError):
        return False
