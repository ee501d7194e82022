"""The clock's periods (Regulation (EU) No 1024/2012, Art. 14(1)): blocked 6 months after an
exchange's formal closure, unless its area declares longer, never more than 18 months; erased
3 years after closure. No network here: the areas file and the dates."""

from __future__ import annotations

import datetime as dt

import pytest

from imi_cli.errors import ImiError
from imi_cli.privacy import clock
from imi_cli.reference import areas
from imi_cli.reference.areas import Area, _blocking, load_areas


def test_an_area_declares_a_blocking_period_of_6_to_18_months():
    assert _blocking({"id": "services"}) == 6
    assert [_blocking({"id": "x", "blocking_months": m}) for m in (6, 12, 18)] == [6, 12, 18]
    for bad in (19, 24, 5, 0, -6, True, "12", 12.5, None):
        with pytest.raises(ImiError) as refused:
            _blocking({"id": "x", "blocking_months": bad})
        assert refused.value.message == ("areas.yaml: area 'x': blocking_months must be a whole number of months "
                                         "from 6 to 18 (Regulation (EU) No 1024/2012, Art. 14(1))"), bad
    # the shipped areas all load, each within the limits
    assert load_areas() and all(6 <= a.blocking_months <= 18 for a in load_areas().values())


def test_the_dates_follow_the_areas_period(monkeypatch):
    closed = "2027-08-31T10:00:00.000Z"
    assert clock.dates("services", closed) == ("2028-02-29T10:00:00.000Z", "2030-08-31T10:00:00.000Z")
    shipped = dict(load_areas())
    monkeypatch.setattr(areas, "load_areas", lambda: {**shipped, "services": Area("services", "Directive 2006/123/EC",
                                                                                   {"en": "Services"}, 12)})
    assert clock.blocking_months("services") == 12
    assert clock.dates("services", closed) == ("2028-08-31T10:00:00.000Z", "2030-08-31T10:00:00.000Z")
    assert clock.blocking_months("an-area-nobody-declared") == 6


def test_months_are_counted_to_the_same_day_or_the_months_last():
    at = dt.datetime(2027, 1, 31, 9, tzinfo=dt.UTC)
    assert [clock.add_months(at, m).date().isoformat() for m in (1, 6, 13, 36, -6)] == \
        ["2027-02-28", "2027-07-31", "2028-02-29", "2030-01-31", "2026-07-31"]
