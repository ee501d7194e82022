"""Authority search over 100,000 synthetic authorities with names in 26 languages, in process:
ms per query over a mix of words, prefixes, unaccented forms and filters. Target <= 10 ms."""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import AREAS, COMPETENCES, authorities, machine, median  # noqa: E402

from imi_cli.directory.authorities import Directory  # noqa: E402
from imi_cli.directory.search import fold  # noqa: E402
from imi_cli.log.store import Store  # noqa: E402

COUNT = 100_000
QUERIES = 400


def build(path: Path) -> tuple[Store, list[dict[str, str]], float]:
    store = Store.create(path, "benchmark passphrase")
    rows = authorities(COUNT)
    started = time.perf_counter()
    Directory(store).register_authorities([(f"row {i}", row) for i, row in enumerate(rows)])
    return store, rows, time.perf_counter() - started


def queries(rows: list[dict[str, str]], rng: random.Random) -> list[tuple[str, dict]]:
    """What officials type: a whole word, a prefix, a word without its accents, with filters."""
    mix = []
    for _ in range(QUERIES):
        row = rng.choice(rows)
        word = rng.choice(row["name"].split()[:2])
        kind = rng.randrange(6)
        if kind == 0:
            mix.append((word, {}))
        elif kind == 1:
            mix.append((word[:4], {}))
        elif kind == 2:
            mix.append((fold(word), {}))
        elif kind == 3:
            mix.append((word[:3], {"country": row["country"]}))
        elif kind == 4:
            mix.append((None, {"area": rng.choice(AREAS), "competence": rng.choice(COMPETENCES),
                               "country": rng.choice(["HU", "DE", "FR", "PL"])}))
        else:
            mix.append((word, {"language": row["languages"].split(";")[0], "area": row["areas"].split(";")[0]}))
    return mix


def run(directory: Directory, mix: list[tuple[str, dict]], lang: str) -> tuple[list[float], int]:
    times, found = [], 0
    for text, filters in mix:
        started = time.perf_counter()
        hits = directory.search(text, lang=lang, **filters)
        times.append((time.perf_counter() - started) * 1000)
        found += bool(hits)
    return times, found


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store, rows, built = build(Path(os.environ.get("BENCH_KEEP_DIR", tmp)) / "search.db")
        directory = Directory(store)
        mix = queries(rows, random.Random(7))
        run(directory, mix[:20], "en")  # warm the page cache
        times, found = run(directory, mix, "hu")
        floor = []
        for _ in range(200):
            started = time.perf_counter()
            store.query("SELECT rowid FROM authority_fts WHERE authority_fts MATCH ? LIMIT 20",
                        ('"kamara"*',))
            floor.append((time.perf_counter() - started) * 1000)
        store.close()
    ordered = sorted(times)
    print(f"machine: {machine()}")
    print(f"built {COUNT:,} authorities in {built:.1f} s (in process, one transaction)")
    print(f"search, {len(mix)} mixed queries, {found} with hits: median {median(times):.2f} ms, "
          f"p95 {ordered[int(len(ordered) * 0.95)]:.2f} ms, max {ordered[-1]:.2f} ms, "
          f"mean {sum(times) / len(times):.2f} ms")
    print(f"floor: one bare FTS5 prefix MATCH, LIMIT 20: median {median(floor):.2f} ms")
    verdict = "met" if median(times) <= 10 and ordered[int(len(ordered) * 0.95)] <= 10 else "MISSED"
    print(f"target <= 10 ms per query: {verdict}")
    for label, (text, filters) in {"slowest": mix[times.index(ordered[-1])]}.items():
        print(f"{label} query: {text!r} {filters}")


if __name__ == "__main__":
    main()
