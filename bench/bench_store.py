"""Store open when unlocked (in process; target <= 10 ms), and `imi authority import` of
10,000 synthetic authorities from CSV as a whole process (target <= 2 s) beside the floor:
raw sqlcipher3 executemany of the same rows into an encrypted database."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import COLUMNS, authorities, machine, median, write_csv  # noqa: E402

from imi_cli.log.store import Store, derive_key, read_salt  # noqa: E402
from imi_cli.log.unlock import cache_key  # noqa: E402

PASSPHRASE = "benchmark passphrase"
COUNT = 10_000


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


def bench_import(folder: Path, csv_path: Path, runs: int = 3) -> float:
    env = {**os.environ, "IMI_RUNTIME_DIR": str(folder / "run")}
    env.pop("IMI_PASSPHRASE", None)
    imi = Path(sys.executable).with_name("imi")
    times = []
    for run in range(runs):
        path, key = new_store(folder, f"import{run}.db")
        os.environ["IMI_RUNTIME_DIR"] = env["IMI_RUNTIME_DIR"]
        cache_key(path, key, 600)  # as after `imi unlock`
        started = time.perf_counter()
        subprocess.run([str(imi), "--store", str(path), "authority", "import", str(csv_path)],
                       check=True, env=env, stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return median(times)


def bench_floor(folder: Path, rows: list[dict[str, str]], runs: int = 3) -> float:
    import sqlcipher3

    times = []
    for run in range(runs):
        path, key = new_store(folder, f"floor{run}.db")
        values = [tuple(row.get(c, "") for c in COLUMNS) for row in rows]
        started = time.perf_counter()
        conn = sqlcipher3.connect(str(path), isolation_level=None)
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(f"CREATE TABLE raw ({', '.join(COLUMNS)})")
        conn.execute("BEGIN")
        conn.executemany(f"INSERT INTO raw VALUES ({', '.join('?' * len(COLUMNS))})", values)
        conn.execute("COMMIT")
        conn.close()
        times.append(time.perf_counter() - started)
    return median(times)


def main() -> None:
    from synth import ensure_bytecode

    ensure_bytecode()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        opened, open_floor = bench_open(folder)
        rows = authorities(COUNT)
        csv_path = write_csv(folder / "authorities.csv", rows)
        imported = bench_import(folder, csv_path)
        floor = bench_floor(folder, rows)
    print(f"machine: {machine()}")
    print(f"store open when unlocked (in process, median of 50): {opened:6.2f} ms  "
          f"(floor: raw connect+key+query {open_floor:.2f} ms; target <= 10 ms: "
          f"{'met' if opened <= 10 else 'MISSED'})")
    print(f"imi authority import, {COUNT:,} from CSV (whole process, median of 3): {imported:6.2f} s  "
          f"(floor: raw executemany {floor:.3f} s; target <= 2 s: {'met' if imported <= 2 else 'MISSED'})")


if __name__ == "__main__":
    main()
