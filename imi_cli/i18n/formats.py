"""Dates, times, numbers and spans of time as the interface language writes them (Babel, CLDR).

Times are stored in UTC and shown in the user's time zone: the ``timezone`` setting
(``IMI_TIMEZONE``, an IANA name such as ``Europe/Budapest``), else the machine's.
Babel is imported on first use, never by `imi --help`.
"""

from __future__ import annotations

from datetime import UTC, timedelta, tzinfo
from datetime import date as Date
from datetime import datetime as DateTime
from typing import Any

from imi_cli.i18n import current, zone_name

# CLDR's name where IMI's code differs (IMI's "no" is written Bokmål)
_CLDR = {"no": "nb"}


def locale(code: str | None = None) -> str:
    """The CLDR locale of an IMI language (the interface language by default)."""
    code = code or current()
    return _CLDR.get(code, code)


def zone() -> tzinfo:
    """The user's time zone: the ``timezone`` setting (``imi_cli.i18n.use_zone``), else the
    machine's local zone."""
    name = zone_name()
    if name:
        from zoneinfo import ZoneInfo

        return ZoneInfo(str(name))
    return DateTime.now().astimezone().tzinfo or UTC


def _as_datetime(value: DateTime | str) -> DateTime:
    if isinstance(value, str):
        value = DateTime.fromisoformat(value.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _as_date(value: Date | DateTime | str) -> Date:
    if isinstance(value, str):
        return _as_datetime(value).astimezone(zone()).date() if "T" in value else Date.fromisoformat(value[:10])
    if isinstance(value, DateTime):
        return _as_datetime(value).astimezone(zone()).date()
    return value


def date(value: Date | DateTime | str, length: str = "medium") -> str:
    """A day (``2027. jan. 31.`` in Hungarian); a time is shown as its day in the user's zone."""
    from babel.dates import format_date

    return format_date(_as_date(value), format=length, locale=locale())


def datetime(value: DateTime | str, length: str = "medium") -> str:
    """A moment, stored in UTC, in the user's time zone."""
    from babel.dates import format_datetime

    return format_datetime(_as_datetime(value), format=length, tzinfo=zone(), locale=locale())


def number(value: float | int, *, digits: int | None = None) -> str:
    """A number with the language's separators (``1 234,5`` in Hungarian); whole numbers
    stored as floats (``100.0``) are shown without decimals."""
    if type(value) is int and 0 <= value < 1000 and digits is None:
        return str(value)  # what every IMI language writes (tests/sync), without loading Babel's data
    from babel.numbers import format_decimal

    if isinstance(value, float) and value.is_integer() and digits is None:
        value = int(value)
    fmt = None if digits is None else "#,##0." + "0" * digits if digits else "#,##0"
    return format_decimal(value, format=fmt, locale=locale())


def percent(value: float, digits: int = 0) -> str:
    """A share (0.42) as a percentage (``42 %`` in Hungarian)."""
    from babel.numbers import format_percent

    return format_percent(value, format="#,##0" + ("." + "0" * digits if digits else "") + "%", locale=locale())


def days_away(days: int) -> str:
    """A number of days from today in words ("in 62 days", "2 days ago"): a deadline is
    counted in days, never rounded to months."""
    from babel.dates import format_timedelta

    return format_timedelta(timedelta(days=days), granularity="day", threshold=100_000, add_direction=True,
                            locale=locale())


def span(days: float) -> str:
    """A duration in days, as the language says it ("3 days", "3 nap")."""
    from babel.dates import format_timedelta

    return format_timedelta(timedelta(days=days), granularity="day", threshold=100_000, locale=locale())


def language_tag(text_language: str | None, viewer: str | None = None) -> str:
    """`` [de]`` after a free text written in another language than the viewer's; else nothing."""
    viewer = viewer or current()
    return f" [{text_language}]" if text_language and text_language != viewer else ""


def any_value(value: Any) -> str:
    """A number or a day in the interface language; any other value as it is."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        return number(value)
    return str(value)
