"""A hub's receipts signed by a process of their own (``SigningProcess``) while the hub goes on
sequencing the batch's next events: signing is a fifth of what an event costs the hub, and
the hub's one writing thread is what bounds a push.

The process gets the operator's key as the first 32 bytes on its input (never in its
arguments or environment) and keeps it in memory only. Ed25519 is deterministic: the process
and the hub make the very same signature of the same bytes, so whatever it has not answered
when the batch ends (it is starting, lags, ended, or broke its protocol) is signed here, and
the receipts are the same either way.
"""

from __future__ import annotations

from collections.abc import Callable

from imi_cli.log.piped import PRELUDE, PipedProcess

SIGNATURE_BYTES = 64

# The signer (after ``piped.PRELUDE``): it reads the 32-byte seed, answers its start token,
# then signs each request (the data's length in 4 bytes, little-endian, and the data) with a
# 64-byte signature, in order.
_SIGNER = PRELUDE + r"""
import resource
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # it holds a private key: no core dump of it
seed = b""
while len(seed) < 32:
    chunk = os.read(0, 32 - len(seed))
    if not chunk:
        sys.exit(0)
    seed += chunk
public, secret = ffi.new("unsigned char[32]"), ffi.new("unsigned char[64]")
if lib.crypto_sign_seed_keypair(public, secret, seed) != 0:
    sys.exit(1)
del seed
os.write(1, bytes.fromhex(sys.argv[2]))
sign, length, signed, size = lib.crypto_sign, ffi.new("unsigned long long *"), None, 0
out = []
for head, data in requests(4, 0):
    if head is not None:
        if len(data) + 64 > size:
            size = len(data) + 64
            signed = ffi.new("unsigned char[]", size)
        sign(signed, length, data, len(data), secret)
        out.append(ffi.buffer(signed, 64)[:])  # the signed message: the signature, then the data
    if out and (head is None or len(out) == 8):
        os.write(1, b"".join(out))
        out = []
"""


def _spots(count: int) -> list[int]:
    """The signatures of a collection that are checked: the first, the last and two drawn at
    random (a process that signs all wrongly, shifts its answers or fails on some is found out)."""
    import secrets

    return sorted({0, count - 1, secrets.randbelow(count), secrets.randbelow(count)})


class SigningProcess(PipedProcess):
    """``submit`` hands the process data to sign; ``collect`` returns the signatures of all
    submitted since the last ``collect`` (or ``discard``), in order, signing here what the
    process has not answered within ``PATIENCE``. ``sign_here`` is the same signature made in
    this process (the hub's ``Signer``). Of each collection four signatures are checked
    (``_spots``: a fraction of a signature's cost per event): a process that signs wrongly is
    found out, and never used again."""

    def __init__(self, seed: bytes, sign_here: Callable[[bytes], bytes],
                 check: Callable[[bytes, bytes], bool]) -> None:
        """``check(signature, data)``: does the signature verify with the key's public half?"""
        if len(seed) != 32:
            raise ValueError("an Ed25519 seed is 32 bytes")
        super().__init__(_SIGNER, first=seed)
        self._sign_here, self._check = sign_here, check
        self._asked: list[bytes] = []  # what is to sign since the last collect
        self._answers = bytearray()  # signatures read (64 bytes each) for self._asked
        self._unread = 0  # bytes still to come for requests discarded
        self._late = 0  # collections in a row it did not finish in time

    LATE_AT_MOST = 3  # collections in a row it did not finish in time: it is given up
    SEND_EVERY = 16  # requests queued before they are written (a write costs more than a signature's data)

    def submit(self, data: bytes) -> None:
        self._asked.append(data)
        if self.alive:
            self._pending += len(data).to_bytes(4, "little") + data
            if len(self._asked) % self.SEND_EVERY == 0:
                self._pump()

    def collect(self) -> list[bytes]:
        """The signatures of everything submitted since the last ``collect``, in order. The
        process is waited for at most ``PATIENCE``: what it has not signed by then is signed
        here (its late answers are skipped), and one late ``LATE_AT_MOST`` times in a row
        (stopped, starved: it runs nicer than this process) is given up, its work done here
        from then on; one still starting is not waited for (this collection is signed here)."""
        count = len(self._asked)
        if self.alive:
            self._pump()
            if self.started and len(self._answers) < count * SIGNATURE_BYTES:  # (starting: signed here)
                self._wait(lambda: len(self._answers) >= count * SIGNATURE_BYTES)
                if self.alive and len(self._answers) < count * SIGNATURE_BYTES:
                    self._late += 1
                    if self._late >= self.LATE_AT_MOST:
                        self._give_up(f"did not answer in time {self._late} times in a row")
                else:
                    self._late = 0
        made = bytes(self._answers) if self.alive else b""  # (one copy: the count below is of it)
        answered = min(count, len(made) // SIGNATURE_BYTES)
        signatures = [made[at:at + SIGNATURE_BYTES] for at in range(0, answered * SIGNATURE_BYTES, SIGNATURE_BYTES)]
        if signatures and not all(self._check(signatures[i], self._asked[i]) for i in _spots(answered)):
            self._give_up("made a signature that does not verify")
            signatures, answered = [], 0
        signatures += [self._sign_here(data) for data in self._asked[answered:]]
        self._forget(count)
        return signatures

    def _give_up(self, why: str) -> None:
        import logging

        logging.getLogger("imi.hub").warning("the receipt signing process %s; the hub signs from now on", why)
        self._die()

    def discard(self) -> None:
        """Forget what was submitted and not collected (a batch that is done again)."""
        self._forget(len(self._asked))

    def _forget(self, count: int) -> None:
        have = len(self._answers)
        del self._answers[:count * SIGNATURE_BYTES]
        self._unread += max(0, count * SIGNATURE_BYTES - have)
        del self._asked[:count]

    def _answered(self, data: bytes) -> None:
        skipped = min(self._unread, len(data))
        self._unread -= skipped
        self._answers += data[skipped:]

    def _die(self) -> None:
        super()._die()
        self._answers.clear()
        self._unread = 0
