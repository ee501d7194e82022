"""The hub on PostgreSQL: batched push with 1, 2 and 4 `imi hub serve --database` processes, and
with one `imi hub serve --store` (SQLCipher), 16 nodes pushing at once; catch-up of a fresh
node from PostgreSQL. Beside the floor of the same run: raw Ed25519 verification on one core.

    PYTHONPATH=$PWD .venv/bin/python bench/bench_hub_pg.py [--quick] [--per-node 1000] [--catchup 100000]

Figures: events/s (wall clock), and events per CPU-second of the hub processes plus the
PostgreSQL server's processes (utime + stime from /proc), which is the figure to read on a
small machine: node i pushes to process i mod M, and the 16 nodes run in this process on the
same cores. A 16-core hub's rate is estimated as 16 x events per CPU-second, an upper bound:
the writer's serial section (one writer at a time, in commit order) caps it.

PostgreSQL runs with fsync on (a throwaway cluster made here: initdb + pg_ctl, as root through
the postgres user, like tests/pg_server.py).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import messages  # noqa: E402

PASS = "bench passphrase 123"
NODES = 16
BATCH = 500


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


# -- PostgreSQL, with fsync on ------------------------------------------------------------
class Postgres:
    def __init__(self) -> None:
        from imi_cli.hub.background import free_port
        from tests.pg_server import _binary

        self.folder = Path(tempfile.mkdtemp(prefix="imi-bench-pg-"))
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.port = free_port()
        self.data = self.folder / "data"
        self.pg_ctl = _binary("pg_ctl")
        subprocess.run([*self.as_user, _binary("initdb"), "-D", str(self.data), "-A", "trust", "-U", "imi",
                        "-E", "UTF8", "--locale", "C"], check=True, capture_output=True)
        options = (f"-k {self.folder} -c listen_addresses=127.0.0.1 -p {self.port} -c fsync=on "
                   f"-c max_connections=200 -c shared_buffers=256MB")
        subprocess.run([*self.as_user, self.pg_ctl, "-D", str(self.data), "-o", options, "-l",
                        str(self.folder / "log"), "-w", "start"], check=True, capture_output=True)
        self.postmaster = int((self.data / "postmaster.pid").read_text().split()[0])

    def database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(f"postgresql://imi@127.0.0.1:{self.port}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://imi@127.0.0.1:{self.port}/{name}"

    def pids(self) -> list[int]:
        """The postmaster and every process it started (backends, writers, checkpointer)."""
        found = [self.postmaster]
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == self.postmaster:
                    found.append(int(entry))
        return found

    def stop(self) -> None:
        subprocess.run([*self.as_user, self.pg_ctl, "-D", str(self.data), "stop", "-m", "fast"], capture_output=True)
        shutil.rmtree(self.folder, ignore_errors=True)


_CPU: dict[int, float] = {}  # pid -> CPU seconds last seen (a process gone keeps what it used)


def cpu_seconds(pids: list[int]) -> float:
    tick = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        _CPU[pid] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return sum(_CPU.get(pid, 0.0) for pid in pids)


# -- hub processes and nodes ------------------------------------------------------------------
class Served:
    """`imi hub serve ...` in a subprocess on a free port."""

    def __init__(self, args: list, env: dict[str, str], log: Path) -> None:
        import httpx

        from imi_cli.hub.background import free_port

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        with open(log, "ab") as err:
            self.proc = subprocess.Popen(imi(*args, "--port", self.port), env=env, stdout=subprocess.DEVNULL,
                                         stderr=err)
        deadline = time.monotonic() + 600  # a replica of a large hub is made first
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the hub exited: {log.read_text(errors='replace')[-2000:]}")
            try:
                httpx.get(self.url + "/v1/info", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError("the hub did not start")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def cheap_stores():
    """Nodes' stores with a cheap key derivation (they live in this process only)."""
    import imi_cli.log.store

    imi_cli.log.store.KDF_ITERATIONS = 2


def invite_coordinators(invite) -> dict[str, str]:
    """Codes for two coordinators (HU, IE): ``invite`` is Hub.invite_coordinator."""
    from imi_cli.directory.invitations import coordinator_records

    codes = {}
    for c in ("HU", "IE"):
        record, user = coordinator_records(f"{c}-NCO", c, f"NCO {c}", "en", "en", "services",
                                           f"imi@example.{c.lower()}", f"{c.lower()}.coord", "Coordinator",
                                           "c@example.eu")
        codes[c] = invite(record, user)
    return codes


def network(codes: dict[str, str], workdir: Path, url: str) -> list:
    """The two coordinators enrolled, each registering NODES/2 - 1 users at its authority; NODES
    enrolled nodes, the coordinators first."""
    from imi_cli.demo.network import _node, _sync
    from imi_cli.directory.users import Users

    coords = []
    for c in ("HU", "IE"):
        store = _node(workdir, f"{c.lower()}-coord", url, codes[c])
        _sync(store)
        coords.append(store)
    nodes = list(coords)
    for c, coord in zip(("HU", "IE"), coords, strict=True):
        report = Users(coord).register([("bench", {"id": f"{c.lower()}.u{i}", "name": f"User {i}",
                                                   "email": f"u{i}@example.eu", "authority": f"{c}-NCO",
                                                   "roles": "request_handler"})
                                        for i in range(NODES // 2 - 1)])
        _sync(coord)
        for user, code in report.invitations.items():
            nodes.append(_node(workdir, user, url, code))
    return nodes


def messages_of(store, n: int) -> list[dict]:
    """n messages of ``store``'s coordinator to the other country's."""
    return messages(store, "IE-NCO" if store.meta("authority_id") == "HU-NCO" else "HU-NCO", n)


def push_run(nodes: list, urls: list[str], per_node: int, pids) -> tuple[float, float, int]:
    """Every node pushes per_node messages in batches of BATCH at once, node i to urls[i % M].
    (events/s, events per CPU-second of ``pids()``, events)."""
    from imi_cli.log.crypto import Signer
    from imi_cli.sync.hubclient import HubClient

    signed = [messages_of(store, per_node) for store in nodes]
    failures: list = []

    def push(i: int) -> None:
        try:
            # a batch may queue behind the 15 others for longer than a node's usual 30 s (a node
            # would retry and get receipts of the same numbers); the throughput is what is measured here
            signer = Signer(nodes[i].meta("user_id"), nodes[i].meta("private_key"))
            with HubClient(urls[i % len(urls)], signer, timeout=900) as client:
                for start in range(0, per_node, BATCH):
                    results = client.push(signed[i][start:start + BATCH])
                    if not all(r["status"] == "accepted" for r in results):
                        failures.append([r for r in results if r["status"] != "accepted"][:2])
        except Exception as exc:
            failures.append(repr(exc))

    threads = [threading.Thread(target=push, args=(i,)) for i in range(len(nodes))]
    before = cpu_seconds(pids())
    t = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - t
    used = cpu_seconds(pids()) - before
    if failures:
        raise RuntimeError(f"pushes failed: {failures[:3]}")
    total = per_node * len(nodes)
    return total / wall, total / used if used else float("nan"), total


# -- catch-up ---------------------------------------------------------------------------------
def fill(url: str, key_file: Path, store, n: int) -> None:
    """n messages of ``store``'s user straight into PostgreSQL (sealed, one changes row)."""
    import psycopg

    from imi_cli.hub.pg import keys
    from imi_cli.log import clock
    from imi_cli.log.event import canonical

    key = keys.load_key(key_file)
    events = messages_of(store, n)
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        last_seq, last_change = conn.execute("SELECT last_seq, last_change FROM hub_head FOR UPDATE").fetchone()
        now = clock.iso(clock.now())
        with cur.copy("COPY events (seq, id, type, at, received_at, body) FROM STDIN") as copy:
            for i, event in enumerate(events, last_seq + 1):
                copy.write_row((i, event["id"], event["type"], event["at"], now,
                                keys.seal(key, canonical(event).encode(), b"imi-event\0" + event["id"].encode())))
        with cur.copy("COPY event_audience (authority, seq) FROM STDIN") as copy:
            for i, event in enumerate(events, last_seq + 1):
                for who in event["audience"]:
                    copy.write_row((who, i))
        with cur.copy("COPY entity_versions (entity, version) FROM STDIN") as copy:
            for event in events:
                copy.write_row((event["subject"]["entity"], 0))
        cur.execute("INSERT INTO changes(change_no, kind, first_seq, last_seq, op, at) "
                    "VALUES (%s, 'events', %s, %s, NULL, %s)", (last_change + 1, last_seq + 1, last_seq + n, now))
        cur.execute("UPDATE hub_head SET last_seq = %s, last_change = %s", (last_seq + n, last_change + 1))


def main() -> int:
    from figures import record

    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes (< 1 minute or so)")
    parser.add_argument("--per-node", type=int, default=None, help="messages each of the 16 nodes pushes per run")
    parser.add_argument("--catchup", type=int, default=None, help="events a fresh node catches up with")
    parser.add_argument("--processes", default="1,2,4")
    args = parser.parse_args()
    per_node = args.per_node or (100 if args.quick else 1000)
    catchup = args.catchup or (10_000 if args.quick else 100_000)
    counts = [int(x) for x in args.processes.split(",")]
    workdir = Path(tempfile.mkdtemp(prefix="imi-bench-hub-pg-"))
    env = {**os.environ, "IMI_PASSPHRASE": PASS, "PYTHONPATH": str(ROOT), "IMI_RUNTIME_DIR": str(workdir / "run")}
    os.environ["IMI_RUNTIME_DIR"] = str(workdir / "run")
    print(f"{os.cpu_count()} cores; {NODES} nodes x {per_node} messages per run, batches of {BATCH}; "
          f"catch-up of {catchup} events; workdir {workdir}")
    verify = statistics.median(floor_verify() for _ in range(3))
    print(f"floor: raw Ed25519 verify {verify:,.0f}/s on one core")
    pg = Postgres()
    served: list[Served] = []
    try:
        # -- SQLCipher, one process ---------------------------------------------------------
        from imi_cli.hub.state import init_hub

        hub = init_hub(workdir / "hub.db", PASS)  # the real key derivation: `imi hub serve` opens it
        codes = invite_coordinators(hub.invite_coordinator)
        hub.store.close()
        one = Served(["--store", workdir / "hub.db", "hub", "serve"], env, workdir / "hub-sqlcipher.log")
        served.append(one)
        cheap_stores()
        (workdir / "sq").mkdir()
        nodes = network(codes, workdir / "sq", one.url)
        rate, per_cpu, total = push_run(nodes, [one.url], per_node, lambda: [one.proc.pid])
        record("bench_hub_pg", "batched push, SQLCipher, 1 process, 16 nodes", rate, "/s", floor=verify,
               floor_name="raw Ed25519 verify, 1 core", ratio=rate / verify, size=f"{total} events")
        record("bench_hub_pg", "events per CPU-second, SQLCipher, 1 process", per_cpu, "/cpu-s", floor=verify,
               floor_name="raw Ed25519 verify, 1 core", ratio=per_cpu / verify, size=f"{total} events")
        sqlcipher_per_cpu = per_cpu
        one.stop()
        served.remove(one)
        for store in nodes:
            store.close()

        # -- PostgreSQL, M processes ---------------------------------------------------------
        from imi_cli.hub.pg.hub import init_hub_pg

        url = pg.database("bench")
        key_file, replicas = workdir / "hub.key", workdir / "replicas"
        admin = init_hub_pg(url, key_file, replicas)
        codes = invite_coordinators(admin.invite_coordinator)
        admin.close()  # its replica would follow every push in this process
        first = Served(["hub", "serve", "--database", url, "--key-file", key_file, "--replica-dir", replicas], env,
                       workdir / "hub-pg-0.log")
        served.append(first)
        (workdir / "pg").mkdir()
        nodes = network(codes, workdir / "pg", first.url)
        first.stop()
        served.remove(first)
        cost: dict[int, float] = {}  # processes -> CPU seconds per event (hub processes + PostgreSQL)
        for m in counts:
            procs = [Served(["hub", "serve", "--database", url, "--key-file", key_file, "--replica-dir", replicas],
                            env, workdir / f"hub-pg-{m}-{j}.log") for j in range(m)]
            served.extend(procs)
            rate, per_cpu, total = push_run(nodes, [p.url for p in procs], per_node,
                                            lambda procs=procs: [p.proc.pid for p in procs] + pg.pids())
            cost[m] = 1 / per_cpu
            plural = "es" if m > 1 else ""
            record("bench_hub_pg", f"batched push, PostgreSQL, {m} process{plural}, 16 nodes", rate,
                   "/s", floor=verify, floor_name="raw Ed25519 verify, 1 core", ratio=rate / verify,
                   size=f"{total} events")
            record("bench_hub_pg", f"events per CPU-second (hub + PostgreSQL), {m} process{plural}",
                   per_cpu, "/cpu-s", floor=verify, floor_name="raw Ed25519 verify, 1 core", ratio=per_cpu / verify,
                   size=f"{total} events")
            for p in procs:
                p.stop()
                served.remove(p)
        # CPU per event grows with the processes: each replica replays the others' events. Fit
        # cost(M) = a + b (M - 1) and put 16 processes on 16 cores: 16 / cost(16).
        ms = sorted(cost)
        if len(ms) > 1:
            mean_m, mean_c = statistics.fmean(ms), statistics.fmean(cost[m] for m in ms)
            b = sum((m - mean_m) * (cost[m] - mean_c) for m in ms) / sum((m - mean_m) ** 2 for m in ms)
            b = max(b, 0.0)
            a = mean_c - b * (mean_m - 1)
        else:
            a, b = cost[ms[0]], 0.0
        sixteen = 16 / (a + 15 * b)
        print(f"CPU per event: {a * 1e3:.2f} ms with one process, + {b * 1e3:.2f} ms for each further process "
              f"(its replica replays every event). A 16-core hub with 16 processes: about {sixteen:,.0f} events/s "
              f"(16 x one process's events per CPU-second would say {16 / a:,.0f}); SQLCipher stays one process: "
              f"{sqlcipher_per_cpu:,.0f} per CPU-second, at most one core's worth. An upper bound either way: the "
              f"writer's serial section caps the cluster.")
        record("bench_hub_pg", "16-core estimate, 16 processes (16 / CPU per event at 16), PostgreSQL", sixteen,
               "/s", floor=16 * verify, floor_name="16 cores of raw Ed25519 verify", ratio=sixteen / (16 * verify))

        # -- catch-up from PostgreSQL --------------------------------------------------------
        from imi_cli.demo.network import _node, _sync
        from imi_cli.directory.users import Users

        t = time.perf_counter()
        fill(url, key_file, nodes[0], catchup)
        print(f"filled {catchup} events into PostgreSQL in {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        hub_proc = Served(["hub", "serve", "--database", url, "--key-file", key_file, "--replica-dir", replicas],
                          env, workdir / "hub-pg-catchup.log")
        served.append(hub_proc)
        print(f"a hub process caught its replica up in {time.perf_counter() - t:.1f} s (start included)")
        coord_ie = nodes[1]
        report = Users(coord_ie).register([("bench", {"id": "ie.fresh", "name": "Fresh", "email": "f@example.ie",
                                                      "authority": "IE-NCO", "roles": "request_handler"})])
        from imi_cli.sync.enrolment import client_for
        from imi_cli.sync.session import sync

        with client_for(coord_ie, hub_proc.url) as client:
            sync(coord_ie, client)
        fresh = _node(workdir, "fresh", hub_proc.url, report.invitations["ie.fresh"])
        t = time.perf_counter()
        pulled = _sync(fresh).pulled
        elapsed = time.perf_counter() - t
        assert pulled >= catchup, (pulled, catchup)
        record("bench_hub_pg", "catch-up of a fresh node from PostgreSQL", pulled / elapsed, "/s", floor=verify,
               floor_name="raw Ed25519 verify, 1 core", ratio=pulled / elapsed / verify, size=f"{pulled} events")
        fresh.close()
        for store in nodes:
            store.close()
    finally:
        for s in served:
            s.stop()
        pg.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
