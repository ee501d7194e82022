"""An event's time is refused unless it is in the one form stores compare as text: exactly
what ``clock.iso`` makes of it. ``utc_time`` checks the form directly; it must agree with
the round trip through ``clock`` on every text, well formed or not (seeded mutations)."""

from __future__ import annotations

import random

import pytest

from imi_cli.log import clock
from imi_cli.protocol.pipeline import utc_time
from imi_cli.protocol.refusal import Refusal


def _by_round_trip(value: object) -> object:
    """The definition: the instant, if ``clock.iso`` of it gives the very text back."""
    try:
        when = clock.parse_instant(value)  # type: ignore[arg-type]
    except Exception:
        return None
    return when if clock.iso(when) == value else None


def _direct(value: object) -> object:
    try:
        return utc_time(value, "at")
    except Refusal:
        return None


VALID = ["2026-01-05T09:00:00.000Z", "0001-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z",
         "2024-02-29T12:30:45.123Z", "2026-12-01T15:00:00.000Z"]
ODD = ["2026-01-05T09:00:00Z", "2026-01-05T09:00:00.000+00:00", "2026-01-05T09:00:00.000z",
       "2026-01-05 09:00:00.000Z", "2026-01-05T09:00:00.000000Z", "2025-02-29T00:00:00.000Z",
       "2026-13-01T00:00:00.000Z", "2026-01-05T24:00:00.000Z", "2026-01-05T23:59:60.000Z",
       " 2026-01-05T09:00:00.000Z", "2026-01-05T09:00:00.000Z\n", "２０２６-01-05T09:00:00.000Z",
       "2026-01-05T09:00:00.000Z ", "", "20260105T090000.000Z", None, 20260105, "٢٠٢٦-01-05T09:00:00.000Z"]


@pytest.mark.parametrize("value", VALID + ODD)
def test_the_form_is_what_the_clock_makes(value):
    assert _direct(value) == _by_round_trip(value)
    assert (_direct(value) is not None) == (value in VALID)


def test_mutated_times_are_judged_as_the_round_trip_judges_them():
    rng = random.Random(20261201)
    alphabet = "0123456789-:.TZz+ _٣"
    judged = {True: 0, False: 0}
    for _ in range(20000):
        text = list(rng.choice(VALID))
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(text) + 1)
            kind = rng.randrange(3)
            if kind == 0 and text:
                text[min(at, len(text) - 1)] = rng.choice(alphabet)
            elif kind == 1:
                text.insert(at, rng.choice(alphabet))
            elif text:
                del text[min(at, len(text) - 1)]
        value = "".join(text)
        expected = _by_round_trip(value)
        assert _direct(value) == expected, value
        judged[expected is not None] += 1
    assert judged[True] > 500 and judged[False] > 5000  # both kinds were tried
