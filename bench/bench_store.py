"""Store open when unlocked (in process; target <= 10 ms), and `imi authority import` from CSV
as a whole process at three sizes (default 30,000 / 100,000 / 300,000 authorities; ``--quick``
1,000 / 3,000 / 10,000, one run each): its time beside the floor of a raw load of the same file (a whole
process that reads the CSV and inserts its rows with one sqlcipher3 executemany), and its peak
RSS beside the floor of a bare process that imported the modules the import uses. Target: peak
RSS <= 200 MiB at any size; time <= 4x the raw load.

    PYTHONPATH=$PWD .venv/bin/python bench/bench_store.py [--quick] [--sizes 30000,100000]"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from figures import record  # noqa: E402
from synth import authorities, machine, median, write_csv  # noqa: E402

from imi_cli.log.store import Store, derive_key, read_salt  # noqa: E402
from imi_cli.log.unlock import cache_key  # noqa: E402

PASSPHRASE = "benchmark passphrase"
SIZES = (30_000, 100_000, 300_000)
QUICK = (1_000, 3_000, 10_000)
MiB = 1024 * 1024

# Peak RSS is the child's own VmHWM, read as it exits: the ru_maxrss of wait4 would count the
# bench's own memory too (Linux keeps the high-water mark of the forked copy across exec).
PEAK = """
import atexit, sys
def peak(name=sys.argv[1]):
    with open("/proc/self/status") as status, open(name, "w") as out:
        out.write(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
atexit.register(peak)
sys.argv = sys.argv[1:]
"""
# A process that imports what `imi authority import` imports, then stops: the RSS floor.
BARE = PEAK + ("import imi_cli.cli.app, imi_cli.commands.authority, imi_cli.directory.authorities, "
               "imi_cli.directory.importing, imi_cli.directory.projection, imi_cli.log.journal, "
               "imi_cli.log.projections, imi_cli.bulk.readers, sqlcipher3")
# `imi ARGS`, its peak RSS written to the file named first
IMI = PEAK + "from imi_cli.cli.app import run\nsys.argv[0] = 'imi'\nsys.exit(run())"
# The time floor: read the CSV and insert its rows, raw, into an encrypted database, one process.
RAW_LOAD = """
import csv, sys, sqlcipher3
path, db, key = sys.argv[1:4]
with open(path, encoding="utf-8", newline="") as handle:
    reader = csv.reader(handle)
    header = next(reader)
    conn = sqlcipher3.connect(db, isolation_level=None)
    conn.execute(f"PRAGMA key = \\"x'{key}'\\"")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"CREATE TABLE raw ({', '.join(f'c{i}' for i in range(len(header)))})")
    conn.execute("BEGIN")
    conn.executemany(f"INSERT INTO raw VALUES ({', '.join('?' * len(header))})", reader)
    conn.execute("COMMIT")
"""


def new_store(folder: Path, name: str) -> tuple[Path, bytes]:
    path = folder / name
    Store.create(path, PASSPHRASE).close()
    return path, derive_key(PASSPHRASE, read_salt(path))


def bench_open(folder: Path) -> tuple[float, float]:
    import sqlcipher3

    path, key = new_store(folder, "open.db")
    Store.open(path, key).close()
    opens = []
    for _ in range(50):
        started = time.perf_counter()
        Store.open(path, key).close()
        opens.append((time.perf_counter() - started) * 1000)
    floors = []
    for _ in range(50):
        started = time.perf_counter()
        conn = sqlcipher3.connect(str(path))
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        conn.close()
        floors.append((time.perf_counter() - started) * 1000)
    return median(opens), median(floors)


def measured(script: str, args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(seconds, peak RSS in MiB) of one whole Python process running ``script`` (PEAK first)."""
    with tempfile.NamedTemporaryFile("r") as peak:
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", script, peak.name, *args], env=env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        elapsed = time.perf_counter() - started
        if done.returncode:
            raise SystemExit(f"{args[:4]} failed: {done.stderr.decode()[-2000:]}")
        return elapsed, int(peak.read() or 0) / 1024  # VmHWM is in KiB


def bench_import(folder: Path, csv_path: Path, runs: int) -> tuple[float, float]:
    """Median time and largest peak RSS of `imi authority import` into a new store."""
    env = {**os.environ, "IMI_RUNTIME_DIR": str(folder / "run")}
    env.pop("IMI_PASSPHRASE", None)
    times, peaks = [], []
    for run in range(runs):
        path, key = new_store(folder, f"import{run}.db")
        os.environ["IMI_RUNTIME_DIR"] = env["IMI_RUNTIME_DIR"]
        cache_key(path, key, 600)  # as after `imi unlock`
        elapsed, peak = measured(IMI, ["--store", str(path), "authority", "import", str(csv_path)], env)
        times.append(elapsed)
        peaks.append(peak)
        path.unlink()
    return median(times), max(peaks)


def bench_floor(folder: Path, csv_path: Path, runs: int) -> tuple[float, float]:
    """Median time of the raw load, and the peak RSS of the bare process."""
    times = []
    for run in range(runs):
        path, key = new_store(folder, f"floor{run}.db")
        times.append(measured(PEAK + RAW_LOAD, [str(csv_path), str(path), key.hex()], dict(os.environ))[0])
        path.unlink()
    bare = max(measured(BARE, [], dict(os.environ))[1] for _ in range(3))
    return median(times), bare


def main() -> None:
    from synth import ensure_bytecode

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (< 30 s)")
    parser.add_argument("--sizes", help="comma-separated authority counts")
    parser.add_argument("--runs", type=int, default=0, help="runs per size (default 3, 1 at 300,000 and over)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else QUICK if args.quick else SIZES
    ensure_bytecode()
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        opened, open_floor = bench_open(folder)
        print(f"store open when unlocked (in process, median of 50): {opened:6.2f} ms  "
              f"(floor: raw connect+key+query {open_floor:.2f} ms)")
        record("bench_store", "store open when unlocked", opened, "ms", floor=open_floor,
               floor_name="raw connect + key + query", target="<= 10 ms", met=opened <= 10)
        for count in sizes:
            csv_path = write_csv(folder / f"authorities{count}.csv", authorities(count))
            runs = args.runs or (1 if count >= 300_000 or args.quick else 3)
            imported, peak = bench_import(folder, csv_path, runs)
            load, bare = bench_floor(folder, csv_path, runs)
            size = f"{count // 1000}k authorities" if count >= 1000 else f"{count} authorities"
            print(f"imi authority import, {count:,} from CSV (whole process, median of {runs}): {imported:6.2f} s "
                  f"(floor: raw load {load:.2f} s, {imported / load:.1f}x); peak RSS {peak:.0f} MiB "
                  f"(floor: bare process {bare:.0f} MiB)")
            record("bench_store", "authority import, peak RSS", peak, "MiB", floor=bare,
                   floor_name="bare process that imported the modules", target="<= 200 MiB", met=peak <= 200,
                   size=size)
            record("bench_store", "authority import, whole process", imported, "s", floor=load,
                   floor_name="raw load of the CSV (read + executemany)", target="<= 4x the floor",
                   met=imported <= 4 * load, size=size)
            csv_path.unlink()


if __name__ == "__main__":
    main()
