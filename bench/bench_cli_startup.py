"""`imi --help` as a whole process, beside the floor `python -c 'import typer, rich'` (what
any Typer CLI pays before its first line). Target: <= 1.3x the floor, flat as command
groups are added (they load lazily). Prints figures; not a test.

Run from a checkout with `PYTHONPATH=$PWD python bench/bench_cli_startup.py`."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import machine, median  # noqa: E402

RUNS = 5 if "--quick" in sys.argv else 11
TARGET = 1.3
# -P: the imi_cli on PYTHONPATH (or installed), never one in the working folder
IMI = [sys.executable, "-P", "-c", "from imi_cli.cli.app import run; run()"]


def timed(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU (user + system) milliseconds of one whole process. CPU time is the
    steadier figure on a machine other jobs share."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = (time.perf_counter() - started) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
    return wall, cpu


def measure(argv: list[str]) -> tuple[float, float]:
    timed(argv)  # warm the page cache
    runs = [timed(argv) for _ in range(RUNS)]
    return median([w for w, _ in runs]), median([c for _, c in runs])


def imported_commands() -> list[str]:
    """Command modules `imi --help` imported: none, if the groups load lazily."""
    probe = ("import sys\nfrom imi_cli.cli.app import main\nmain(['--help'])\n"
             "print(' '.join(m for m in sys.modules if m.startswith('imi_cli.commands.')))")
    out = subprocess.run([sys.executable, "-P", "-c", probe], check=True, capture_output=True, text=True).stdout
    return out.split("\n")[-2].split()


def main() -> None:
    from synth import ensure_bytecode

    ensure_bytecode()
    env_note = "" if os.environ.get("IMI_STORE") is None else " (IMI_STORE set)"
    python = measure([sys.executable, "-c", "pass"])
    floor = measure([sys.executable, "-c", "import typer, rich"])
    help_ = measure([*IMI, "--help"])
    version = measure([*IMI, "--version"])
    print(f"machine: {machine()}{env_note}; median of {RUNS}, wall / CPU (user+sys)")
    for label, (wall, cpu) in (("bare python", python), ("floor: python -c 'import typer, rich'", floor),
                               ("imi --version", version), ("imi --help", help_)):
        print(f"{label + ':':40} {wall:7.1f} ms / {cpu:7.1f} ms")
    for what, index in (("wall", 0), ("CPU", 1)):
        ratio = help_[index] / floor[index]
        print(f"imi --help / floor, {what + ':':6} {ratio:.2f}x (target <= {TARGET}x: "
              f"{'met' if ratio <= TARGET else 'MISSED'})")
    print(f"command modules imported by --help:   {imported_commands() or 'none'}")
    from figures import record

    record("bench_cli_startup", "imi --help, whole process (CPU)", help_[1], "ms", floor=floor[1],
           floor_name="python -c 'import typer, rich'", target=f"<= {TARGET}x", met=help_[1] / floor[1] <= TARGET)


if __name__ == "__main__":
    main()
