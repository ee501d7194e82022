"""Time `imi questionnaire validate questionnaires/ --strict` as a whole process.

Beside it, the floor: a Python process that only imports yaml, measured in the
same run so machine noise affects both alike. Target: validate <= 1 s.

    .venv/bin/python bench/bench_validate.py [--runs 7] [--quick]

Beside it, what the plural rules of the 26 languages cost a fresh process: read from the
precomputed table (imi_cli/reference/plurals.py) and, as before, from Babel's locale data.
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
    parser.add_argument("--quick", action="store_true", help="3 runs")
    args = parser.parse_args()
    runs = 3 if args.quick else args.runs
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
    table, babel = plural_costs(runs)
    print(f"plural rules, 26 languages: {table:7.1f} ms precomputed, {babel:.1f} ms from Babel's locale data")
    from figures import record

    record("bench_validate", "imi questionnaire validate --strict, whole process", validate * 1000, "ms",
           floor=floor * 1000, floor_name="python -c 'import yaml'", target="<= 1000 ms",
           met=validate <= TARGET_SECONDS, size=f"{files} files")
    record("bench_validate", "plural rules of 26 languages, fresh process", table, "ms", floor=babel,
           floor_name="the same from Babel's locale data (before)", target="precomputed",
           met=table < babel, size="26 languages")


PLURALS = """
import time
t = time.perf_counter()
from imi_cli.reference.languages import LANGUAGES
{how}
print((time.perf_counter() - t) * 1000)
"""
TABLE = "from imi_cli.reference.plurals import categories\nfor c in LANGUAGES: categories(c)"
BABEL = ("from babel import Locale\nfrom imi_cli.i18n.formats import locale\n"
         "for c in LANGUAGES: frozenset(Locale.parse(locale(c)).plural_form.tags)")


def plural_costs(runs: int) -> tuple[float, float]:
    """Median ms of the 26 languages' plural categories in a fresh process, from the table and
    from Babel, run in turns."""
    table, babel = [], []
    for _ in range(runs):
        for how, out in ((TABLE, table), (BABEL, babel)):
            done = subprocess.run([sys.executable, "-c", PLURALS.format(how=how)], cwd=ROOT,
                                  capture_output=True, text=True, check=True)
            out.append(float(done.stdout))
    return statistics.median(table), statistics.median(babel)


if __name__ == "__main__":
    main()
