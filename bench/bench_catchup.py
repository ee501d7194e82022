"""A node's catch-up: applying pulled pages of signed events, beside its floor.

    PYTHONPATH=$PWD .venv/bin/python bench/bench_catchup.py [--quick] [--sizes 10000,30000,100000]

What is timed is the node's own work on pulled events, ``imi_cli.sync.pages.apply_page`` over
pages of 1,000 (checks, signature verification against the author's enrolled key, insert,
projection, the cursor), not the network nor the hub's side (bench/bench_hub.py times a catch-up
end to end). The events are `message.sent` events signed by another authority's coordinator,
pulled by a node that knows that coordinator's key, as a fresh node catching up would.

Floors, measured in the same run on the same events:
- verify: the raw Ed25519 verification of each event's signed bytes (canonical JSON made
  beforehand), the key object loaded once, with the library imi_cli.log.crypto uses;
- insert: raw inserts of the same event rows into a fresh store's events table, one transaction;
- the floor is verify + insert. Target (issue 17): catch-up <= 1.3x that floor at 100,000.

Each is given in wall time and in CPU time (every thread of this process, and the process that
checks the signatures, ended within the timed block): the catch-up checks signatures ahead in
another process beside the applying, which only wall time shows on a machine with a core to
spare; CPU time is steadier on a shared machine and shows the work done. At the first size the
catch-up is also timed with the signatures checked ahead in threads (as before issue 17's last
round: a thread must take the interpreter back after each signature, and waits for it) and one
at a time.

It also prints the raw verify rates of `cryptography` (OpenSSL) and PyNaCl (libsodium), if
installed, measured alternately in the same run.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from figures import record  # noqa: E402
from synth import messages  # noqa: E402

PASS = "bench passphrase 123"


def _cpu() -> float:
    """CPU seconds of this process (every thread) and of its children that ended."""
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


class Timer:
    """Wall and CPU (this process, every thread, and the child processes ended in the block)
    seconds of a block: the catch-up checks signatures in another process beside the applying,
    which only wall time shows; CPU time is the steadier figure on a machine other jobs share,
    and shows the work done."""

    def __enter__(self) -> Timer:
        self.wall, self.cpu = time.perf_counter(), _cpu()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, _cpu() - self.cpu
TARGET = 1.3
PAGE = 1000


# -- floors ---------------------------------------------------------------------------
def signed_bytes(events: list[dict[str, Any]]) -> list[tuple[bytes, bytes]]:
    from imi_cli.log.crypto import signed_part, unb64
    from imi_cli.log.event import canonical

    return [(unb64(e["signature"]["sig"]), canonical(signed_part(e)).encode()) for e in events]


def verify_cryptography(public: bytes, items: list[tuple[bytes, bytes]]) -> Timer:
    """Time to verify every item with `cryptography` (OpenSSL), the key loaded once."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    key = Ed25519PublicKey.from_public_bytes(public)
    with Timer() as timer:
        for sig, data in items:
            key.verify(sig, data)
    return timer


def verify_pynacl(public: bytes, items: list[tuple[bytes, bytes]]) -> Timer | None:
    """Time to verify every item with PyNaCl (libsodium); None if it is not installed."""
    try:
        from nacl.bindings import crypto_sign_open
    except ImportError:
        return None
    with Timer() as timer:
        for sig, data in items:
            crypto_sign_open(sig + data, public)
    return timer


def verify_floor(public: bytes, items: list[tuple[bytes, bytes]]) -> Timer:
    """Raw verification, one at a time, with the library imi_cli.log.crypto uses."""
    from imi_cli.log import crypto

    if getattr(crypto, "BACKEND", "cryptography") == "pynacl":
        timer = verify_pynacl(public, items)
        assert timer is not None
        return timer
    return verify_cryptography(public, items)


def insert_floor(workdir: Path, name: str, events: list[dict[str, Any]]) -> Timer:
    """Raw inserts of the events' rows into a fresh store, one transaction."""
    from imi_cli.log.event import canonical
    from imi_cli.log.store import Store

    rows = [(e["id"], e["type"], e["at"], canonical(e), i + 1, e["subject"]["entity"]) for i, e in enumerate(events)]
    store = Store.create(workdir / name, PASS)
    with Timer() as timer, store.transaction() as conn:
        conn.executemany("INSERT INTO events(id, type, at, body, status, hub_seq, entity) "
                         "VALUES (?,?,?,?,'remote',?,?)",
                         rows)
    store.close()
    (workdir / name).unlink()
    return timer


# -- the catch-up -----------------------------------------------------------------------
def catch_up(workdir: Path, base: Path, events: list[dict[str, Any]], run: int) -> Timer:
    """Time for a copy of the IE store to apply ``events`` in pages of 1,000."""
    from imi_cli.log.store import Store, derive_key, read_salt
    from imi_cli.sync.pages import apply_page, stop_checker

    path = workdir / f"catchup-{run}.db"
    shutil.copy(base, path)
    store = Store.open(path, derive_key(PASS, read_salt(path)))
    start = int(store.meta("cursor", "0"))
    pages = [[{"seq": start + i + 1, "event": e} for i, e in enumerate(events[at:at + PAGE], at)]
             for at in range(0, len(events), PAGE)]
    with Timer() as timer:
        for page in pages:
            skipped = apply_page(store, page)
            assert not skipped, skipped[:1]
        stop_checker()  # as a process that pulled ends it: its CPU time is known once it ended
    held = store.query("SELECT count(*) FROM messages")[0][0]
    assert held >= len(events), (held, len(events))
    assert int(store.meta("cursor")) == start + len(events)
    store.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return timer


def main() -> int:
    from synth import ensure_bytecode

    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes (1,000 and 3,000 events)")
    parser.add_argument("--sizes", default="10000,30000,100000")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size (median)")
    args = parser.parse_args()
    sizes = [1000, 3000] if args.quick else [int(s) for s in args.sizes.split(",")]
    repeat = 1 if args.quick else args.repeat
    ensure_bytecode()
    from imi_cli.log import crypto

    backend = getattr(crypto, "BACKEND", "cryptography")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        hu, base = prepared(workdir)
        public = crypto.unb64(crypto.public_key_of(hu.meta("private_key")))
        events = messages(hu, "IE-NCO", max(sizes))
        hu.close()
        items = signed_bytes(events)
        # raw verify rates of both libraries, alternately, on the same events
        sample = items[:5000]
        rates: dict[str, list[float]] = {"cryptography": [], "pynacl": []}
        for _ in range(3):
            rates["cryptography"].append(len(sample) / verify_cryptography(public, sample).cpu)
            timer = verify_pynacl(public, sample)
            if timer is not None:
                rates["pynacl"].append(len(sample) / timer.cpu)
        crypt = statistics.median(rates["cryptography"])
        record("bench_catchup", "raw Ed25519 verify, cryptography (OpenSSL), CPU", crypt, "/s",
               size=f"{len(sample)} events")
        if rates["pynacl"]:
            nacl = statistics.median(rates["pynacl"])
            record("bench_catchup", "raw Ed25519 verify, PyNaCl (libsodium), CPU", nacl, "/s", floor=crypt,
                   floor_name="cryptography's rate", ratio=nacl / crypt, size=f"{len(sample)} events")
        print(f"imi_cli.log.crypto verifies with: {backend}")
        for n in sizes:
            subset, signed = events[:n], items[:n]
            runs, verifies, inserts = [], [], []
            for run in range(repeat):  # floors and catch-up alternate: the machine is shared
                verifies.append(verify_floor(public, signed))
                inserts.append(insert_floor(workdir, f"floor-{n}-{run}.db", subset))
                runs.append(catch_up(workdir, base, subset, run))
            for clock in ("wall", "cpu"):
                seconds, verify, insert = (statistics.median(getattr(t, clock) for t in v)
                                           for v in (runs, verifies, inserts))
                floor = verify + insert
                print(f"{n:>7,} events, {clock}: catch-up {seconds:6.2f} s ({n / seconds:,.0f}/s); verify "
                      f"{verify:.2f} s, insert {insert:.2f} s; {seconds / verify:.2f}x verify, "
                      f"{seconds / floor:.2f}x verify+insert")
                record("bench_catchup", f"catch-up (apply pulled pages), {clock} time", seconds, "s", floor=floor,
                       floor_name=f"verify ({backend}) + insert", target=f"<= {TARGET}x the floor",
                       met=seconds / floor <= TARGET, size=f"{n // 1000}k events")
            if n == sizes[0]:
                compare_ahead(workdir, base, subset, repeat)
    print(f"load average: {os.getloadavg()[0]:.2f}")
    return 0


def compare_ahead(workdir: Path, base: Path, events: list[dict[str, Any]], repeat: int) -> None:
    """The same catch-up with the signatures checked ahead in another process (as it runs), in
    other threads, and one at a time as each event is applied, alternately: what checking ahead
    gains, and where."""
    from imi_cli.sync import pages

    kept = pages.AHEAD_AT_LEAST, pages.ELSEWHERE_AT_LEAST
    modes = {"in another process": kept, "in threads": (kept[0], 10**9), "one at a time": (10**9, 10**9)}
    timers: dict[str, list[Timer]] = {mode: [] for mode in modes}
    try:
        for run in range(max(repeat, 3)):
            for mode, times in timers.items():
                pages.AHEAD_AT_LEAST, pages.ELSEWHERE_AT_LEAST = modes[mode]
                times.append(catch_up(workdir, base, events, 100 + run))
    finally:
        pages.AHEAD_AT_LEAST, pages.ELSEWHERE_AT_LEAST = kept
    walls = {mode: statistics.median(t.wall for t in times) for mode, times in timers.items()}
    said = ", ".join(f"{mode} {wall:.2f} s" for mode, wall in walls.items())
    print(f"{len(events):>7,} events, wall: signatures checked {said}")
    alone = walls["one at a time"]
    record("bench_catchup", "catch-up, signatures checked ahead in another process, wall time",
           walls["in another process"], "s", floor=alone, floor_name="checked one at a time",
           size=f"{len(events) // 1000}k events")
    record("bench_catchup", "catch-up, signatures checked ahead in threads, wall time", walls["in threads"], "s",
           floor=alone, floor_name="checked one at a time", size=f"{len(events) // 1000}k events")


def prepared(workdir: Path) -> tuple[Any, Path]:
    """The HU coordinator's store (open) and a copy of the IE coordinator's store under the
    bench passphrase, closed: each catch-up starts from a copy of it."""
    from imi_cli.demo import network as demo
    from imi_cli.log.store import Store

    made: dict[str, Path] = {}
    real = demo._node

    def node(where: Path, name: str, hub_url: str, code: str) -> Any:  # the stores under PASS
        from imi_cli.sync.enrolment import enrol

        store = Store.create(where / f"{name}.db", PASS)
        enrol(store, hub_url, code)
        made[name] = store.path
        return store

    demo._node = node
    try:
        from imi_cli.hub.background import BackgroundHub
        from imi_cli.hub.state import init_hub

        os.environ.setdefault("IMI_NOW", "2026-01-05T09:00:00+00:00")
        hub = init_hub(workdir / "hub.db", secrets.token_urlsafe(16))
        with BackgroundHub(hub) as served:
            hu = demo._coordinator(hub, workdir, served.url, "HU", "hu", "HU")
            ie = demo._coordinator(hub, workdir, served.url, "IE", "en", "IE")
        hub.store.close()
    finally:
        demo._node = real
    ie.close()
    return hu, made["ie-coordinator"]


if __name__ == "__main__":
    sys.exit(main())
