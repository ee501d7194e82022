"""`imi --help` as a whole process, beside the floor `python -c 'import typer, rich'` (what
any Typer CLI pays before its first line). Target: <= 1.3x the floor, flat as command
groups are added (they load lazily). Prints figures; not a test.

Run from a checkout with `PYTHONPATH=$PWD python bench/bench_cli_startup.py`."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import machine, median  # noqa: E402

RUNS = 11
TARGET = 1.3
IMI = [sys.executable, "-c", "from imi_cli.cli.app import run; run()"]


def timed(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - started) * 1000


def measure(argv: list[str]) -> float:
    timed(argv)  # warm the page cache
    return median([timed(argv) for _ in range(RUNS)])


def imported_commands() -> list[str]:
    """Command modules `imi --help` imported: none, if the groups load lazily."""
    probe = ("import sys\nfrom imi_cli.cli.app import main\nmain(['--help'])\n"
             "print(' '.join(m for m in sys.modules if m.startswith('imi_cli.commands.')))")
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout
    return out.split("\n")[-2].split()


def main() -> None:
    from synth import ensure_bytecode

    ensure_bytecode()
    env_note = "" if os.environ.get("IMI_STORE") is None else " (IMI_STORE set)"
    python = measure([sys.executable, "-c", "pass"])
    floor = measure([sys.executable, "-c", "import typer, rich"])
    help_ms = measure([*IMI, "--help"])
    version_ms = measure([*IMI, "--version"])
    ratio = help_ms / floor
    print(f"machine: {machine()}{env_note}")
    print(f"bare python:                          {python:7.1f} ms")
    print(f"floor: python -c 'import typer, rich': {floor:7.1f} ms")
    print(f"imi --version:                        {version_ms:7.1f} ms")
    print(f"imi --help:                           {help_ms:7.1f} ms  = {ratio:.2f}x the floor "
          f"(target <= {TARGET}x: {'met' if ratio <= TARGET else 'MISSED'})")
    print(f"command modules imported by --help:   {imported_commands() or 'none'}")


if __name__ == "__main__":
    main()
