"""Every benchmark of the issue's measures in one run: each figure beside its floor and the ratio.

    PYTHONPATH=$PWD .venv/bin/python bench/run_all.py [--quick] [--only hub,inbox] [--all]
                                                      [--write docs/benchmarks.md] [--json FILE]

Each script in SCRIPTS runs in its own process (as it would alone), with ``BENCH_FIGURES``
naming a file it appends its figures to (bench/figures.py); its own output goes to
``bench-logs/<script>.log`` under a temp folder (printed). ``--quick`` passes ``--quick`` to every
script (small sizes, a minute or two in all); without it each runs at the issue's scale (tens of
minutes). A script that fails is named and the others still run; the exit code is then 1.
``--write`` replaces the section between the run_all markers of the given file with the table
and the scaling curves (measures taken at several sizes).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from figures import load  # noqa: E402

# the measures of issue 17 (performance at ten times IMI's scale), in the order
SCRIPTS = ["bench_hub_requests", "bench_hub", "bench_catchup", "bench_sync_startup", "bench_inbox",
           "bench_store", "bench_search", "bench_validate", "bench_cli_startup",
           "bench_hub_pg"]  # the last: issue 18, the hub on PostgreSQL
# the other benchmarks (each area's own figures), with --all
OTHERS = ["bench_alerts", "bench_notifications", "bench_licences", "bench_privacy", "bench_help_languages"]
START, END = "<!-- run_all:start -->", "<!-- run_all:end -->"


def run(script: str, quick: bool, logs: Path, figures: Path) -> tuple[bool, float]:
    path = ROOT / "bench" / f"{script}.py"
    argv = [sys.executable, str(path)]
    if quick and "--quick" in path.read_text(encoding="utf-8"):
        argv.append("--quick")
    env = {**os.environ, "BENCH_FIGURES": str(figures), "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    with open(logs / f"{script}.log", "w", encoding="utf-8") as log:
        done = subprocess.run(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    return done.returncode == 0, time.perf_counter() - started


def number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def table(rows: list[dict]) -> list[str]:
    lines = ["| benchmark | measure | size | figure | floor (same run) | ratio | target | met |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        floor = f"{number(r['floor'])} {r['unit']} ({r['floor_name']})" if r["floor"] is not None else ""
        ratio = f"{r['ratio']:.2f}x" if r["ratio"] is not None else ""
        met = {True: "met", False: "**missed**", None: ""}[r["met"]]
        lines.append(f"| {r['bench']} | {r['measure']} | {r['size']} | {number(r['value'])} {r['unit']} | "
                     f"{floor} | {ratio} | {r['target']} | {met} |")
    return lines


def curves(rows: list[dict]) -> list[str]:
    """Measures taken at several sizes: one line each, value (ratio) per size."""
    by_measure: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in rows:
        if r["size"]:
            by_measure[(r["bench"], r["measure"])].append(r)
    lines = []
    for (bench, measure), points in by_measure.items():
        if len({p["size"] for p in points}) < 2:
            continue
        steps = ", ".join(f"{p['size']}: {number(p['value'])} {p['unit']}"
                          + (f" ({p['ratio']:.2f}x)" if p["ratio"] is not None else "") for p in points)
        lines.append(f"- {bench}, {measure}: {steps}")
    return lines


def commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def section(rows: list[dict], quick: bool, failed: list[str], seconds: float) -> str:
    from synth import machine

    head = [START, "", f"## All figures in one run (bench/run_all.py{' --quick' if quick else ''})", "",
            f"{dt.date.today().isoformat()}, commit {commit()}, {machine()}; {seconds / 60:.1f} min in all. "
            "Each figure beside its floor measured in the same run; ratio = figure / floor "
            "(for rates, the script says which way).", ""]
    body = table(rows)
    tail = ["", "Scaling (the same measure at several sizes):", "", *curves(rows)]
    if failed:
        tail += ["", f"Failed in this run: {', '.join(failed)}."]
    return "\n".join([*head, *body, *tail, "", END])


def write(path: Path, text: str) -> None:
    old = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if START in old and END in old:
        new = old[:old.index(START)] + text + old[old.index(END) + len(END):]
    else:  # first time: after the file's title and introduction, before the first section
        cut = old.find("\n## ")
        new = (old + "\n" + text + "\n") if cut < 0 else old[:cut + 1] + text + "\n" + old[cut:]
    path.write_text(new, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: every script's --quick")
    parser.add_argument("--only", help="comma-separated script names (bench_ prefix optional)")
    parser.add_argument("--all", action="store_true", help="also the other areas' benchmarks")
    parser.add_argument("--write", type=Path, help="replace the run_all section of this Markdown file")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON lines here")
    args = parser.parse_args()
    scripts = SCRIPTS + (OTHERS if args.all else [])
    if args.only:
        wanted = {n if n.startswith("bench_") else f"bench_{n}" for n in args.only.split(",")}
        scripts = [s for s in SCRIPTS + OTHERS if s in wanted]
    work = Path(tempfile.mkdtemp(prefix="imi-bench-"))
    (work / "bench-logs").mkdir()
    figures = args.json or work / "figures.jsonl"
    figures.unlink(missing_ok=True)
    print(f"logs: {work / 'bench-logs'}", flush=True)
    failed, started = [], time.perf_counter()
    for script in scripts:
        if not (ROOT / "bench" / f"{script}.py").exists():
            print(f"{script}: not found", flush=True)
            failed.append(script)
            continue
        ok, seconds = run(script, args.quick, work / "bench-logs", figures)
        print(f"{script}: {'ok' if ok else 'FAILED'} in {seconds:.0f} s", flush=True)
        if not ok:
            failed.append(script)
    rows = load(str(figures)) if figures.exists() else []
    text = section(rows, args.quick, failed, time.perf_counter() - started)
    print(text.replace(START, "").replace(END, ""))
    if args.write:
        write(args.write, text)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
