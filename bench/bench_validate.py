"""Time `imi questionnaire validate questionnaires/ --strict` as a whole process.

Beside it, the floor: a Python process that only imports yaml, measured in the
same run so machine noise affects both alike. Target: validate <= 1 s.

    .venv/bin/python bench/bench_validate.py [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 1.0


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):  # 1 = findings: still a full validation
        sys.exit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr}")
    return elapsed


def median_of(command: list[str], runs: int) -> float:
    timed(command)  # warm the OS file cache; not counted
    return statistics.median(timed(command) for _ in range(runs))


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from synth import ensure_bytecode

    ensure_bytecode()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    imi = str(Path(sys.executable).with_name("imi"))
    folder = ROOT / "questionnaires"
    files = len(list(folder.rglob("*.yaml")))
    validate = median_of([imi, "questionnaire", "validate", str(folder), "--strict"], runs)
    floor = median_of([sys.executable, "-c", "import yaml"], runs)
    print(f"files validated:            {files}")
    print(f"python -c 'import yaml':    {floor * 1000:7.0f} ms (median of {runs})")
    print(f"imi questionnaire validate: {validate * 1000:7.0f} ms (median of {runs})")
    print(f"above the floor:            {(validate - floor) * 1000:7.0f} ms")
    print(f"target <= {TARGET_SECONDS:.1f} s:            {'met' if validate <= TARGET_SECONDS else 'MISSED'}")


if __name__ == "__main__":
    main()
