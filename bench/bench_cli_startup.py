"""`imi --help` as a whole process, beside the floor `python -c 'import sqlcipher3'`.
Target: <= 150 ms. Prints figures; not a test."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import machine, median  # noqa: E402

RUNS = 11
IMI = Path(sys.executable).with_name("imi")


def timed(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - started) * 1000


def measure(argv: list[str]) -> float:
    timed(argv)  # warm the page cache
    return median([timed(argv) for _ in range(RUNS)])


def main() -> None:
    from synth import ensure_bytecode

    ensure_bytecode()
    env_note = "" if os.environ.get("IMI_STORE") is None else " (IMI_STORE set)"
    floor = measure([sys.executable, "-c", "import sqlcipher3"])
    python = measure([sys.executable, "-c", "pass"])
    help_ms = measure([str(IMI), "--help"])
    version_ms = measure([str(IMI), "--version"])
    print(f"machine: {machine()}{env_note}")
    print(f"bare python:                    {python:7.1f} ms")
    print(f"floor: python -c 'import sqlcipher3': {floor:7.1f} ms")
    print(f"imi --version:                  {version_ms:7.1f} ms")
    print(f"imi --help:                     {help_ms:7.1f} ms  (target <= 150 ms: "
          f"{'met' if help_ms <= 150 else 'MISSED'})")


if __name__ == "__main__":
    main()
