"""Python's cyclic garbage collector, paused while a batch is parsed and applied."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """No cycle hunts within. A batch (a pushed one, a pulled page) makes tens of thousands of
    objects, freed as it goes by their counts; the collector would walk them, and now and then
    the whole heap, many times over. Nested, it stays off until the outermost one ends."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
