"""`imi --help` with a translation loaded beside the English one, as whole processes, in the
same run: target <= 1.1x. Also `imi request --help` (a group built and translated as it loads)
and the cost of loading one compiled catalog in process. Prints figures; not a test.

Run from a checkout with `PYTHONPATH=$PWD python bench/bench_help_languages.py`."""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_cli_startup import IMI, RUNS, timed  # noqa: E402
from synth import machine, median  # noqa: E402

TARGET = 1.1
LANGUAGES = ("hu", "pl", "ga", "el")


def paired(first: list[str], second: list[str]) -> tuple[tuple[float, float], tuple[float, float]]:
    timed(first), timed(second)  # warm the page cache
    a, b = [], []
    for _ in range(RUNS):
        a.append(timed(first))
        b.append(timed(second))
    return ((median([w for w, _ in a]), median([c for _, c in a])),
            (median([w for w, _ in b]), median([c for _, c in b])))


def catalog_load_ms(code: str) -> float:
    from imi_cli import i18n

    times = []
    for _ in range(RUNS):
        i18n.catalog.cache_clear()
        started = time.perf_counter()
        i18n.catalog(code)
        times.append((time.perf_counter() - started) * 1000)
    return median(times)


def main() -> None:
    from synth import ensure_bytecode

    ensure_bytecode()
    print(f"machine: {machine()}; median of {RUNS}, wall / CPU (user+sys)")
    for argv in (["--help"], ["request", "--help"], ["request", "show", "--help"]):
        label = "imi " + " ".join(argv)
        for code in LANGUAGES:
            # English and the language run in turns, so that a busy moment of the machine
            # weighs on both alike
            english, translated = paired([*IMI, "--lang", "en", *argv], [*IMI, "--lang", code, *argv])
            if code == LANGUAGES[0]:
                print(f"{label + ' (en):':34} {english[0]:7.1f} ms / {english[1]:7.1f} ms")
            ratio = translated[1] / english[1]
            print(f"{label + f' ({code}):':34} {translated[0]:7.1f} ms / {translated[1]:7.1f} ms   "
                  f"{ratio:.2f}x CPU (target <= {TARGET}x: {'met' if ratio <= TARGET else 'MISSED'})")
    for code in LANGUAGES:
        print(f"loading the {code} catalog in process: {catalog_load_ms(code):.2f} ms")


if __name__ == "__main__":
    main()
