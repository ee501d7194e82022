"""Hub and sync benchmarks: push throughput, catch-up, idle sync, delivery latency.

    .venv/bin/python bench/bench_hub.py [--quick] [--events 100000] [--write docs/benchmarks.md]

The one-event push is also timed with 0, 25,000 and 100,000 nonces stored (recent ones, all
within the replay window), beside the rate with none (issue 17: >= 0.9x).

Each figure is printed beside a floor measured in the same run on the same machine
(raw Ed25519 verification, raw SQLCipher inserts), so a slow machine shows as such.
The hub runs as `imi hub serve` in its own process; nodes use the Python API in this one.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import messages  # noqa: E402

PASS = "bench passphrase 123"
# DESIGN.md "How fast": batched push >= 0.5x the raw verify rate, catch-up <= 1.3x the
# verify + insert floor, delivery <= 1 s; one-event push and idle sync as before.
TARGETS = {"push_batched_x": 0.5, "push_single": 300, "catchup_x": 1.3, "idle_ms": 100.0, "delivery_s": 1.0}


def imi(*args):
    return [sys.executable, "-P", "-c", "from imi_cli.cli.app import run; run()", *map(str, args)]


# -- floors ---------------------------------------------------------------------------
def floor_verify(n: int = 5000) -> float:
    from imi_cli.log.crypto import Signer, new_private_key, public_key_of, verify_bytes

    key = new_private_key()
    pub, signer = public_key_of(key), Signer("x", key)
    data = [os.urandom(400) for _ in range(200)]
    sigs = [signer.sign_bytes(d) for d in data]
    t = time.perf_counter()
    for i in range(n):
        verify_bytes(pub, sigs[i % 200], data[i % 200])
    return n / (time.perf_counter() - t)


def floor_insert(workdir: Path, name: str = "floor.db", n: int = 20000) -> float:
    """Raw SQLCipher inserts of event-sized rows, one transaction, as the hub's store is set up."""
    from imi_cli.log.store import Store

    store = Store.create(workdir / name, PASS)
    body = '{"subject":{"entity":"bench/1"},"x":"' + "x" * 560 + '"}'
    t = time.perf_counter()
    with store.transaction() as conn:
        conn.executemany("INSERT INTO events(id, type, at, body, status, entity) "
                         "VALUES (?, 'bench', '', ?, 'local', ?)",
                         ((f"id-{i}", body, f"bench/{i}") for i in range(n)))
    rate = n / (time.perf_counter() - t)
    store.close()
    return rate


# -- a small network ----------------------------------------------------------------------
class Bench:
    def __init__(self, workdir: Path) -> None:
        from imi_cli.hub.background import free_port
        from imi_cli.hub.state import init_hub

        self.workdir = workdir
        os.environ["IMI_RUNTIME_DIR"] = str(workdir / "run")  # where cache_key leaves the watcher's key
        # PYTHONPATH: `imi hub serve` and `imi sync --watch` import this checkout's imi_cli
        self.env = {**os.environ, "IMI_PASSPHRASE": PASS, "PYTHONPATH": str(ROOT)}
        hub = init_hub(workdir / "hub.db", PASS)
        self.codes = {}
        from imi_cli.directory.invitations import coordinator_records

        for c in ("HU", "IE"):
            record, user = coordinator_records(f"{c}-NCO", c, f"NCO {c}", "en", "en", "services",
                                               f"imi@example.{c.lower()}", f"{c.lower()}.coord", "Coordinator",
                                               "c@example.eu")
            self.codes[c] = hub.invite_coordinator(record, user)
        hub.store.close()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.hub_proc = None
        self.start_hub()

    def start_hub(self):
        import httpx

        self.hub_proc = subprocess.Popen(imi("--store", self.workdir / "hub.db", "hub", "serve", "--port", self.port),
                                         env=self.env, stdout=subprocess.DEVNULL)
        for _ in range(300):
            try:
                httpx.get(self.url + "/v1/info", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError("hub did not start")

    def stop_hub(self):
        self.hub_proc.terminate()
        try:
            self.hub_proc.wait(15)
        except subprocess.TimeoutExpired:
            print("the hub did not stop within 15 s of SIGTERM", file=sys.stderr)
            self.hub_proc.kill()
            self.hub_proc.wait()

    def node(self, name: str, code: str):
        from imi_cli.log.store import Store
        from imi_cli.sync.enrolment import enrol

        store = Store.create(self.workdir / f"{name}.db", PASS)
        enrol(store, self.url, code)
        self.sync(store)
        return store

    @staticmethod
    def sync(store, **kw):
        from imi_cli.sync.enrolment import client_for
        from imi_cli.sync.session import sync

        with client_for(store) as client:
            return sync(store, client, **kw)


def bench_push(b: Bench, hu, n_batched: int, n_single: int) -> tuple[float, float, float]:
    """(batched events/s, the verify floor measured in the same moments, one-event pushes/s).
    The floor is a short run of verifies just before each batch (the machine is shared, and its
    speed moves within seconds: a floor measured once before and once after the pushes read it
    at other moments than the pushes ran), summed over the batches like the pushes."""
    from imi_cli.log.event import canonical
    from imi_cli.sync.enrolment import client_for

    events = messages(hu, "IE-NCO", n_batched + n_single)
    texts = [canonical(event) for event in events]  # as a node stores them, and pushes them (sync/session.py)
    pushing = verifying = 0.0
    verified = 0
    with client_for(hu) as client:
        client.push_texts(texts[:1])  # warm the connection
        for start in range(1, n_batched, 500):
            verifying += FLOOR_EACH / floor_verify(FLOOR_EACH)
            verified += FLOOR_EACH
            t = time.perf_counter()
            results = client.push_texts(texts[start:start + 500])
            pushing += time.perf_counter() - t
            assert all(r["status"] == "accepted" for r in results), results[:2]
    return (n_batched - 1) / pushing, verified / verifying, push_single(hu, events[n_batched:])


FLOOR_EACH = 300  # verifies timed before each batch of 500 (~20 ms beside its ~70 ms)


def push_single(hu, events: list[dict]) -> float:
    """Events/s of one-event pushes (one signed request each, each with its nonce)."""
    from imi_cli.sync.enrolment import client_for

    with client_for(hu) as client:
        client.info()  # warm the connection
        t = time.perf_counter()
        for event in events:
            (r,) = client.push([event])
            assert r["status"] == "accepted", r
        return len(events) / (time.perf_counter() - t)


def store_nonces(b: Bench, total: int) -> int:
    """Make the hub's nonce table hold ``total`` nonces of requests made just now (all within
    the replay window, so none is expired yet), the hub stopped and started again."""
    import secrets

    from imi_cli.hub.state import Hub
    from imi_cli.log import clock
    from imi_cli.log.store import Store, derive_key, read_salt

    b.stop_hub()
    path = b.workdir / "hub.db"
    hub = Hub(Store.open(path, derive_key(PASS, read_salt(path))))
    now = clock.now().timestamp()
    with hub.store.transaction() as conn:
        conn.execute("DELETE FROM request_nonces")
        conn.executemany("INSERT INTO request_nonces(nonce, at) VALUES (?, ?)",
                         ((secrets.token_urlsafe(16), now) for _ in range(total)))
    count = hub.store.query("SELECT count(*) FROM request_nonces")[0][0]
    hub.store.close()
    b.start_hub()
    return count


def bench_nonces(b: Bench, hu, sizes: list[int], n_single: int, rounds: int) -> dict[int, float]:
    """Single-event push rate with ``sizes`` nonces stored (median of ``rounds``). Each round
    measures every size in turn: the machine's speed drifts within the minute this takes, and
    sizes measured one after the other would read the drift as the nonces' cost."""
    runs: dict[int, list[float]] = {size: [] for size in sizes}
    stored: dict[int, int] = {}
    for _ in range(rounds):
        for size in sizes:  # the hub restarted each time: a user may make 240 pushes at once (limits.py)
            stored[size] = store_nonces(b, size)
            runs[size].append(push_single(hu, messages(hu, "IE-NCO", n_single)))
    rates = {size: statistics.median(runs[size]) for size in sizes}
    for size in sizes:
        print(f"single push with {stored[size]:,} nonces stored: {rates[size]:,.0f} events/s "
              f"({', '.join(f'{r:,.0f}' for r in runs[size])})", flush=True)
    return rates


def bench_catchup(b: Bench, hu, n: int) -> tuple[float, int]:
    """Fill the hub with n events for IE-NCO (directly, signed by hu.coord), then time a fresh node."""
    from imi_cli.hub.state import Hub
    from imi_cli.log.event import canonical
    from imi_cli.log.store import Store, derive_key, read_salt

    b.stop_hub()
    path = b.workdir / "hub.db"
    hub = Hub(Store.open(path, derive_key(PASS, read_salt(path))))
    current = hub.store.query("SELECT count(*) FROM event_audience WHERE authority IN ('*', 'IE-NCO')")[0][0]
    missing = max(0, n - current)
    events = messages(hu, "IE-NCO", missing)
    with hub.store.transaction() as conn:
        for event in events:
            cur = conn.execute("INSERT INTO events(id, type, at, body, status, entity) VALUES (?,?,?,?, 'accepted', ?)",
                               (event["id"], event["type"], event["at"], canonical(event), event["subject"]["entity"]))
            seq = cur.lastrowid
            conn.execute("UPDATE events SET hub_seq = ? WHERE seq = ?", (seq, seq))
            conn.executemany("INSERT INTO event_audience(authority, seq) VALUES (?, ?)",
                             [("HU-NCO", seq), ("IE-NCO", seq)])
    total = hub.store.query("SELECT count(*) FROM event_audience WHERE authority IN ('*', 'IE-NCO')")[0][0]
    # a second IE coordinator user to enrol fresh
    from imi_cli.directory.invitations import invitation_event
    from imi_cli.log.crypto import new_invitation_code
    from imi_cli.log.event import make_event

    code = new_invitation_code()
    actor = {"user": "operator", "authority": None}
    user = {"id": "ie.fresh", "name": "Fresh", "email": "f@example.ie", "authority": "IE-NCO",
            "roles": {"*": ["request_handler"]}}
    hub.append_own([make_event("user.registered", actor=actor, payload={"user": user},
                               subject={"entity": "user/ie.fresh"}), invitation_event(actor, "ie.fresh", code)])
    hub.store.close()
    b.start_hub()
    from imi_cli.sync.enrolment import enrol

    fresh = Store.create(b.workdir / "fresh.db", PASS)
    enrol(fresh, b.url, code)
    t = time.perf_counter()
    report = b.sync(fresh)
    elapsed = time.perf_counter() - t
    assert report.pulled >= total, (report.pulled, total)
    return elapsed, report.pulled, fresh


def bench_idle(b: Bench, store, rounds: int = 20) -> float:
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        report = b.sync(store)
        times.append(time.perf_counter() - t)
        assert report.pulled == 0 and report.accepted == 0
    return statistics.median(times) * 1000


def bench_delivery(b: Bench, sender, recipient_path: Path, rounds: int = 5) -> list[float]:
    from imi_cli.exchanges.messages import send
    from imi_cli.log.store import Store, derive_key, read_salt
    from imi_cli.log.unlock import cache_key

    key = derive_key(PASS, read_salt(recipient_path))
    cache_key(recipient_path, key, 600)
    env = {k: v for k, v in b.env.items() if k != "IMI_PASSPHRASE"}
    watcher = subprocess.Popen(imi("--store", recipient_path, "sync", "--watch", "--wait", "20"), env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    latencies = []
    try:
        time.sleep(1.5)  # the watcher is up and long-polling
        reader = Store.open(recipient_path, key)
        for i in range(rounds):
            t = time.perf_counter()
            ident = send(sender, "IE-NCO", f"latency {i}", "ping", "en")
            b.sync(sender)
            while not reader.query("SELECT 1 FROM messages WHERE id = ?", (ident,)):
                if time.perf_counter() - t > 30:
                    raise RuntimeError("not delivered in 30 s")
                time.sleep(0.01)
            latencies.append(time.perf_counter() - t)
            time.sleep(0.3)
        reader.close()
    finally:
        watcher.terminate()
        watcher.wait(10)
    return latencies


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from figures import record
    from synth import ensure_bytecode

    ensure_bytecode()
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes (< 30 s), for run_all.py")
    parser.add_argument("--events", type=int, default=None, help="events for the catch-up (default 100,000)")
    parser.add_argument("--batched", type=int, default=None, help="events pushed in batches (default 10,000)")
    parser.add_argument("--single", type=int, default=None,
                        help="one-event pushes per run (default 200: a user's burst is 240 pushes)")
    parser.add_argument("--nonces", default=None, help="stored nonces to push beside (default 0,25000,100000)")
    parser.add_argument("--write", type=Path, help="append/replace the 'Hub and sync' section of this file")
    args = parser.parse_args()
    quick = args.quick
    n_events = args.events or (2_000 if quick else 100_000)
    n_batched = args.batched or (2_001 if quick else 10_000)
    n_single = min(args.single or 200, 230)
    nonce_sizes = [int(x) for x in (args.nonces or ("0,2500,10000" if quick else "0,25000,100000")).split(",")]
    rounds = 1 if quick else 5
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        # floors at the start, after the pushes and at the end (median): the machine is shared
        verifies, inserts = [floor_verify()], [floor_insert(workdir, "floor0.db")]
        b = Bench(workdir)
        try:
            hu = b.node("hu", b.codes["HU"])
            ie = b.node("ie", b.codes["IE"])
            batched, push_floor, single = bench_push(b, hu, n_batched, n_single)
            verifies.append(push_floor)
            verifies.append(floor_verify())
            nonce_rates = bench_nonces(b, hu, nonce_sizes, n_single, rounds)
            inserts.append(floor_insert(workdir, "floor1.db"))
            catchup, pulled, fresh = bench_catchup(b, hu, n_events)
            idle = bench_idle(b, fresh)
            b.sync(ie)  # sender and recipient are up to date before the watch starts
            b.sync(hu)
            ie_path = ie.path
            ie.close()
            latencies = bench_delivery(b, hu, ie_path, 2 if quick else 5)
            verifies.append(floor_verify())
            inserts.append(floor_insert(workdir, "floor2.db"))
            fresh.close()
            hu.close()
        finally:
            b.stop_hub()
    verify_rate, insert_rate = statistics.median(verifies), statistics.median(inserts)
    catchup_floor = pulled / verify_rate + pulled / insert_rate
    figures = [
        ("Push, batched (500/request), signatures verified", f"{batched:,.0f} events/s "
         f"({batched / push_floor:.2f}x verify {push_floor:,.0f}/s before each batch)",
         f">= {TARGETS['push_batched_x']}x verify",
         batched / push_floor >= TARGETS["push_batched_x"]),
        ("Push, one event per request", f"{single:,.0f} events/s", f">= {TARGETS['push_single']}/s",
         single >= TARGETS["push_single"]),
        (f"Catch-up of {pulled:,} events by a fresh node", f"{catchup:.1f} s ({pulled / catchup:,.0f} events/s; "
         f"{catchup / catchup_floor:.2f}x floor {catchup_floor:.1f} s)", f"<= {TARGETS['catchup_x']}x floor",
         catchup / catchup_floor <= TARGETS["catchup_x"]),
        ("Sync with nothing to do (median of 20)", f"{idle:.1f} ms", f"<= {TARGETS['idle_ms']:.0f} ms",
         idle <= TARGETS["idle_ms"]),
        ("Delivery to a `sync --watch` recipient (max)", f"{max(latencies):.2f} s "
         f"(median {statistics.median(latencies):.2f} s)", f"<= {TARGETS['delivery_s']:.0f} s",
         max(latencies) <= TARGETS["delivery_s"]),
    ]
    base = nonce_rates[nonce_sizes[0]]
    for size in nonce_sizes:
        rate = nonce_rates[size]
        figures.append((f"Push, one event per request, {size:,} nonces stored", f"{rate:,.0f} events/s "
                        f"({rate / base:.2f}x the rate with {nonce_sizes[0]:,})", ">= 0.9x", rate / base >= 0.9))
    floors = [("Floor: raw Ed25519 verify (PyNaCl, one thread), median of 3", f"{verify_rate:,.0f} /s "
               f"({', '.join(f'{v:,.0f}' for v in verifies)})"),
              ("Floor: raw SQLCipher insert, one transaction, median of 3", f"{insert_rate:,.0f} rows/s "
               f"({', '.join(f'{v:,.0f}' for v in inserts)})")]
    for name, value, target, met in figures:
        print(f"{name:55} {value:>48}  target {target:>16}  {'ok' if met else 'MISSED'}")
    for name, value in floors:
        print(f"{name:55} {value:>48}")
    print(f"load average: {os.getloadavg()[0]:.2f}")
    bench = "bench_hub"
    record(bench, "push, batched (500 per request), signatures verified", batched, "/s", floor=push_floor,
           floor_name="raw Ed25519 verify, a short run before each batch", ratio=batched / push_floor,
           target=">= 0.5x the verify floor", met=batched / push_floor >= TARGETS["push_batched_x"],
           size=f"{n_batched:,} events")
    for size in nonce_sizes:
        rate = nonce_rates[size]
        record(bench, "push, one event per request", rate, "/s", floor=base,
               floor_name=f"the same with {nonce_sizes[0]:,} nonces stored", ratio=rate / base,
               target=">= 0.9x the rate with none", met=rate / base >= 0.9, size=f"{size:,} nonces")
    record(bench, "catch-up by a fresh node", catchup, "s", floor=catchup_floor, floor_name="verify + insert",
           target=f"<= {TARGETS['catchup_x']}x floor", met=catchup / catchup_floor <= TARGETS["catchup_x"],
           size=f"{pulled:,} events")
    record(bench, "sync with nothing to do", idle, "ms", target=f"<= {TARGETS['idle_ms']:.0f} ms",
           met=idle <= TARGETS["idle_ms"])
    record(bench, "delivery to a sync --watch recipient (max)", max(latencies), "s",
           target=f"<= {TARGETS['delivery_s']:.0f} s", met=max(latencies) <= TARGETS["delivery_s"])
    if args.write:
        write_section(args.write, figures, floors)
    return 0 if all(f[3] for f in figures) else 1


def write_section(path: Path, figures, floors) -> None:
    """Replace (or append) only the '## Hub and sync' section; other sections stay as they are."""
    lines = ["## Hub and sync", "",
             f"`bench/bench_hub.py`, {time.strftime('%Y-%m-%d')}, Python {platform.python_version()}, "
             f"{platform.machine()}, {os.cpu_count()} CPUs. The hub runs as `imi hub serve` (uvicorn) in its "
             "own process on loopback; nodes push and pull through the Python API (httpx). Every pushed "
             "event's signature is verified by the hub, and every pulled one by the node.", "",
             "| What | Measured | Target | |", "|---|---|---|---|"]
    lines += [f"| {n} | {v} | {t} | {'ok' if m else '**missed**'} |" for n, v, t, m in figures]
    lines += [f"| {n} | {v} | | |" for n, v in floors]
    lines += ["", "Each push verifies the request signature and each event's signature, checks the actor's "
              "right and the transition, sequences the event, projects it and makes its receipt (one "
              "signature a batch), all in one transaction per batch. The catch-up verifies each pulled "
              "event against its author's key and applies pages of 1,000 events, moving the cursor in "
              "the same transaction.", ""]
    section = "\n".join(lines)
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    start = text.find("## Hub and sync")
    if start >= 0:
        end = text.find("\n## ", start + 1)
        text = text[:start] + section + (text[end + 1:] if end >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)


if __name__ == "__main__":
    sys.exit(main())
