"""A hub's receipts signed by a process of their own (``signing_process.SigningProcess``): the
signatures are those made here (Ed25519 is deterministic), in order; whatever the process
has not made, or a process that is not the signer (or signs wrongly, or ends) made, is signed
here; what a batch done again left is never taken for the next batch's."""

from __future__ import annotations

import time

import pytest

from imi_cli.log import signing_process as module
from imi_cli.log.crypto import Signer, b64, new_private_key, public_key_of, verify_bytes
from imi_cli.log.signing_process import SigningProcess


class Here:
    """The signer in this process, counting what it signs."""

    def __init__(self) -> None:
        key = new_private_key()
        self.signer, self.public, self.signed = Signer("operator", key), public_key_of(key), 0

    def sign(self, data: bytes) -> bytes:
        self.signed += 1
        return self.signer.sign_raw(data)

    def check(self, sig: bytes, data: bytes) -> bool:
        return verify_bytes(self.public, b64(sig), data)

    def process(self) -> SigningProcess:
        return SigningProcess(self.signer.seed(), self.sign, self.check)

    def expected(self, texts: list[bytes]) -> list[bytes]:
        return [self.signer.sign_raw(text) for text in texts]


def _collected(process: SigningProcess, texts: list[bytes]) -> list[bytes]:
    """Hand ``texts`` to the process and collect their signatures."""
    for text in texts:
        process.submit(text)
    return process.collect()


def _texts(n: int, tag: str = "") -> list[bytes]:
    return [f'{{"at":"2026-12-01T10:00:00.000Z","event":"{tag}{i}","seq":{i}}}'.encode() + b"x" * (i % 300)
            for i in range(n)]


def _started(process: SigningProcess) -> None:
    give_up = time.monotonic() + 20
    while not process.started and process.alive and time.monotonic() < give_up:
        process._pump()
        time.sleep(0.005)


def test_the_process_makes_the_signatures_made_here_in_order():
    here = Here()
    process = here.process()
    try:
        _started(process)
        for batch in (_texts(300, "a"), _texts(1, "b"), [b""], _texts(40, "c")):
            assert _collected(process, batch) == here.expected(batch)
        assert process.alive and here.signed == 0  # all of them made by the process
        assert process.collect() == []
    finally:
        process.close()
    assert not process.alive


def test_what_a_batch_done_again_left_is_not_taken_for_the_next():
    here = Here()
    process = here.process()
    try:
        _started(process)
        for text in _texts(50, "first try "):
            process.submit(text)
        process.discard()  # the batch failed and is done again
        again = _texts(70, "second try ")
        assert _collected(process, again) == here.expected(again)
        assert here.signed == 0
    finally:
        process.close()


@pytest.mark.parametrize("script", [
    "import os; os.write(1, bytes(64) * 1000)",  # answers without the token
    "import os; os.write(1, bytes(16) + bytes(64) * 1000)",  # the wrong token
    "import sys; sys.exit(0)",  # ends at once
    # the token, then signatures that are not the key's: found out by the check of some of them
    "import os, sys\nos.read(0, 32)\nos.write(1, bytes.fromhex(sys.argv[2]) + bytes(64) * 1000)\n"
    "import time\ntime.sleep(30)",
])
def test_a_process_that_is_not_the_signer_is_never_trusted(monkeypatch, script):
    monkeypatch.setattr(module, "_SIGNER", script)
    monkeypatch.setattr(SigningProcess, "PATIENCE", 0.2)
    here = Here()
    process = here.process()
    try:
        time.sleep(0.2)  # whatever it says has come
        texts = _texts(100)
        assert _collected(process, texts) == here.expected(texts)
        assert not process.alive and here.signed == 100
        assert _collected(process, texts[:5]) == here.expected(texts[:5])  # from now on all signed here
        assert here.signed == 105
    finally:
        process.close()


def test_a_process_that_ends_midway_leaves_the_rest_signed_here():
    here = Here()
    process = here.process()
    try:
        _started(process)
        first = _texts(20, "before ")
        assert _collected(process, first) == here.expected(first)
        process._process.kill()
        process._process.wait()
        texts = _texts(60, "after ")
        assert _collected(process, texts) == here.expected(texts)
        assert not process.alive and here.signed == 60
    finally:
        process.close()


def test_the_key_is_given_on_the_pipe_not_in_the_arguments():
    here = Here()
    process = here.process()
    try:
        arguments = " ".join(process._process.args)
        seed = here.signer.seed()
        assert seed.hex() not in arguments and b64(seed) not in arguments
        assert len(seed) == 32
    finally:
        process.close()
    with pytest.raises(ValueError):
        SigningProcess(b"short", here.sign, here.check)


@pytest.mark.parametrize("wrong", [0, -1])
def test_a_process_that_signs_one_of_a_batch_wrongly_is_found_out(wrong):
    here = Here()
    process = here.process()
    try:
        _started(process)
        texts = _texts(50, "batch ")
        for text in texts:
            process.submit(text)
        give_up = time.monotonic() + 20
        while len(process._answers) < 50 * 64 and time.monotonic() < give_up:
            process._pump()
            time.sleep(0.005)
        at = (wrong % 50) * 64
        process._answers[at] ^= 1  # the first or the last signature made wrongly
        assert process.collect() == here.expected(texts)
        assert not process.alive and here.signed == 50
    finally:
        process.close()


def test_a_stopped_process_costs_a_few_waits_then_is_given_up():
    """Late once (starved: it runs nicer than the hub), what it has not signed is signed here and
    it is kept; late ``LATE_AT_MOST`` times in a row, it is given up."""
    import os
    import signal

    here = Here()
    process = here.process()
    try:
        _started(process)
        os.kill(process._process.pid, signal.SIGSTOP)
        for late in range(1, SigningProcess.LATE_AT_MOST + 1):
            texts = _texts(40, f"stopped {late} ")
            for text in texts:
                process.submit(text)
            started = time.monotonic()
            assert process.collect() == here.expected(texts)
            assert time.monotonic() - started < SigningProcess.PATIENCE + 2
            assert process.alive == (late < SigningProcess.LATE_AT_MOST)
        started = time.monotonic()
        assert _collected(process, texts) == here.expected(texts)  # from now on signed here, at once
        assert time.monotonic() - started < SigningProcess.PATIENCE
    finally:
        os.kill(process._process.pid, signal.SIGCONT)
        process.close()


def test_a_process_late_once_is_kept_and_its_late_answers_are_skipped():
    import os
    import signal

    here = Here()
    process = here.process()
    try:
        _started(process)
        os.kill(process._process.pid, signal.SIGSTOP)
        late = _texts(30, "late ")
        for text in late:
            process.submit(text)
        assert process.collect() == here.expected(late)  # signed here
        os.kill(process._process.pid, signal.SIGCONT)
        signed_here = here.signed
        texts = _texts(50, "after ")
        assert _collected(process, texts) == here.expected(texts)  # its answers to the late ones skipped
        assert process.alive and here.signed == signed_here  # all of these made by the process
    finally:
        os.kill(process._process.pid, signal.SIGCONT)
        process.close()
