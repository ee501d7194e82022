"""One way for every benchmark to report a figure beside its floor, so that `bench/run_all.py`
can gather them into one table.

A benchmark prints what it likes for people, and for each figure that matters calls
``record(...)``. When ``BENCH_FIGURES`` names a file (run_all.py sets it), each figure is
appended to it as one JSON line; otherwise ``record`` prints a one-line summary.

    from figures import record
    record("hub", "empty pull, 50,000 open requests", 1.4, "ms", floor=0.02, floor_name="the events query",
           target="<= 2 ms", met=1.4 <= 2, size="50k requests")

``ratio`` is value / floor unless given (give it for rates, where the floor is the faster
side: ``ratio=rate / verify_rate``).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class Figure:
    bench: str            # which benchmark measured it (bench_hub, bench_inbox, ...)
    measure: str          # what was measured, in words
    value: float
    unit: str             # ms, /s, MiB, x
    floor: float | None = None
    floor_name: str = ""  # what the floor is (measured in the same run)
    ratio: float | None = None
    target: str = ""      # the target as words: "<= 2 ms", ">= 0.5x the floor"
    met: bool | None = None
    size: str = ""        # the scale point: "50k requests", "300k authorities"

    def line(self) -> str:
        floor = f"  floor {self.floor:g} {self.unit} ({self.floor_name})" if self.floor is not None else ""
        ratio = f"  {self.ratio:.2f}x" if self.ratio is not None else ""
        verdict = {True: "  met", False: "  MISSED", None: ""}[self.met]
        size = f" [{self.size}]" if self.size else ""
        target = f"  target {self.target}" if self.target else ""
        return f"FIGURE {self.bench}: {self.measure}{size}: {self.value:g} {self.unit}{floor}{ratio}{target}{verdict}"


def record(bench: str, measure: str, value: float, unit: str, *, floor: float | None = None,
           floor_name: str = "", ratio: float | None = None, target: str = "", met: bool | None = None,
           size: str = "") -> Figure:
    if ratio is None and floor:
        ratio = value / floor
    figure = Figure(bench, measure, round(value, 4), unit, None if floor is None else round(floor, 4), floor_name,
                    None if ratio is None else round(ratio, 3), target, met, size)
    print(figure.line(), flush=True)
    path = os.environ.get("BENCH_FIGURES")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(asdict(figure), ensure_ascii=False) + "\n")
    return figure


def load(path: str) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]
