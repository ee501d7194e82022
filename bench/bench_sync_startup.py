"""`imi sync` with nothing to do, as a whole process, beside `imi --help` in the same run.

    PYTHONPATH=$PWD .venv/bin/python bench/bench_sync_startup.py [--quick] [--runs 15]

A hub runs as `imi hub serve` on loopback (plain HTTP); one coordinator's store is enrolled
and synced, its key cached (as `imi unlock` leaves it), so what is timed is the command itself:
start-up, opening the store, one push (nothing pending) and one pull (nothing new). The two
commands are run alternately and the medians compared. Target (issue 17): <= 1.5x `imi --help`.
Wall and CPU (user + system) times are both printed; CPU is steadier on a shared machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from figures import record  # noqa: E402
from synth import ensure_bytecode, median  # noqa: E402

PASS = "bench passphrase 123"
TARGET = 1.5


def imi(*args: object) -> list[str]:
    # -P: this checkout's imi_cli (through PYTHONPATH), never one in the working folder
    return [sys.executable, "-P", "-c", "from imi_cli.cli.app import run; run()", *map(str, args)]


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU milliseconds of one whole process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    wall = (time.perf_counter() - started) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000


class Hub:
    """`imi hub serve` in its own process, and one enrolled coordinator store."""

    def __init__(self, workdir: Path) -> None:
        from imi_cli.directory.invitations import coordinator_records
        from imi_cli.hub.background import free_port
        from imi_cli.hub.state import init_hub

        self.workdir = workdir
        os.environ["IMI_RUNTIME_DIR"] = str(workdir / "run")  # where the cached key goes
        self.env = {**os.environ, "IMI_PASSPHRASE": PASS, "PYTHONPATH": str(ROOT)}
        hub = init_hub(workdir / "hub.db", PASS)
        record_, user = coordinator_records("HU-NCO", "HU", "NCO HU", "en", "en", "services", "imi@example.hu",
                                            "hu.coord", "Coordinator", "c@example.eu")
        self.code = hub.invite_coordinator(record_, user)
        hub.store.close()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(imi("--store", workdir / "hub.db", "hub", "serve", "--port", self.port),
                                     env=self.env, stdout=subprocess.DEVNULL)
        self._wait()

    def _wait(self) -> None:
        import socket

        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the hub did not start")

    def node(self) -> Path:
        """An enrolled, synced store with its key cached; the environment to run imi on it."""
        from imi_cli.log.store import Store, derive_key, read_salt
        from imi_cli.log.unlock import cache_key
        from imi_cli.sync.enrolment import client_for, enrol
        from imi_cli.sync.session import sync

        store = Store.create(self.workdir / "node.db", PASS)
        enrol(store, self.url, self.code)
        with client_for(store) as client:
            sync(store, client)
        path = store.path
        store.close()
        cache_key(path, derive_key(PASS, read_salt(path)), 3600)
        return path

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="5 runs of each")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    runs = 5 if args.quick else args.runs
    ensure_bytecode()
    with tempfile.TemporaryDirectory() as tmp:
        hub = Hub(Path(tmp))
        try:
            store = hub.node()
            env = {k: v for k, v in hub.env.items() if k != "IMI_PASSPHRASE"}  # the cached key opens it
            sync_argv, help_argv = imi("--store", store, "sync"), imi("--help")
            timed(sync_argv, env)  # warm the page cache
            timed(help_argv, env)
            syncs, helps = [], []
            for _ in range(runs):  # alternately: the machine is shared
                syncs.append(timed(sync_argv, env))
                helps.append(timed(help_argv, env))
        finally:
            hub.stop()
    sync_wall, sync_cpu = median([w for w, _ in syncs]), median([c for _, c in syncs])
    help_wall, help_cpu = median([w for w, _ in helps]), median([c for _, c in helps])
    print(f"median of {runs}, wall / CPU (user+sys)")
    print(f"imi --help:                  {help_wall:7.1f} ms / {help_cpu:7.1f} ms")
    print(f"imi sync (nothing to do):    {sync_wall:7.1f} ms / {sync_cpu:7.1f} ms")
    print(f"ratio:                       {sync_wall / help_wall:7.2f}x   / {sync_cpu / help_cpu:7.2f}x"
          f"   (target <= {TARGET}x)")
    record("bench_sync_startup", "empty `imi sync`, whole process (wall)", sync_wall, "ms", floor=help_wall,
           floor_name="`imi --help`", target=f"<= {TARGET}x the floor", met=sync_wall / help_wall <= TARGET,
           size="plain HTTP, loopback")
    record("bench_sync_startup", "empty `imi sync`, whole process (CPU)", sync_cpu, "ms", floor=help_cpu,
           floor_name="`imi --help`", target=f"<= {TARGET}x the floor", met=sync_cpu / help_cpu <= TARGET,
           size="plain HTTP, loopback")
    print(f"load average: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
