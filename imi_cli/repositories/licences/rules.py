"""What Regulation (EU) No 1214/2011 fixes, in one place: the periods and the validity question.

- a licence is valid for at most 5 years (Art. 4(4));
- a company tells its licensing authority at least 2 months before it starts operating in
  another member state (Art. 12);
- a suspension lasts from 2 weeks to 2 months; a host state suspends the company's right to
  operate on its territory for at most 2 months; a ban on applying for a new licence lasts
  up to 5 years (Art. 22).
Suspensions end and licences expire by themselves, by the date asked about (the settable
clock for "today")."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from imi_cli.i18n import t

AREA = "euro-cash-in-transit"
ROLE = "licensing_officer"
MAX_YEARS = 5
NOTICE_MONTHS = 2
SUSPENSION_DAYS = (14, None)   # at least 2 weeks, at most 2 months (checked by months)
MAX_SUSPENSION_MONTHS = 2
MAX_BAN_YEARS = 5


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_years(day: dt.date, years: int) -> dt.date:
    return add_months(day, 12 * years)


LAST_YEAR = 9000  # a date past it is a typo, and the periods added to it would overflow


def date(value: Any) -> dt.date | None:
    try:
        day = dt.date.fromisoformat(str(value))
    except ValueError:
        return None
    return day if day.year <= LAST_YEAR else None


def suspended_until(s: dict[str, Any]) -> str:
    """The last day a suspension holds: its end, or the day before it was lifted."""
    if s.get("resumed_on"):
        return min(s["to"], (dt.date.fromisoformat(s["resumed_on"]) - dt.timedelta(days=1)).isoformat())
    return str(s["to"])


def validity(licence: dict[str, Any], day: str, country: str | None = None) -> tuple[bool, str]:
    """Was the licence valid on ``day`` (YYYY-MM-DD), in ``country`` if given? (answer, reason)"""
    record = licence["record"]
    home = licence["country"]
    if day < licence["valid_from"]:
        return False, t("not yet valid on {day}: valid from {start}", day=day, start=licence["valid_from"])
    if day > licence["valid_to"]:
        return False, t("expired on {day}", day=licence["valid_to"])
    if licence.get("withdrawn_on") and day >= licence["withdrawn_on"]:
        return False, t("withdrawn on {day}", day=licence["withdrawn_on"])
    for s in record.get("suspensions", []):
        if s["scope"] == home and s["from"] <= day <= suspended_until(s):
            return False, t("suspended from {start} to {end} by {authority}", start=s["from"],
                            end=suspended_until(s), authority=s["by"])
    if country and country != home:
        hosts = [h for h in record.get("hosts", []) if h["country"] == country]
        if not hosts:
            return False, t("valid in {home}, but not notified to operate in {country}", home=home, country=country)
        start = min(h["start"] for h in hosts)
        if day < start:
            return False, t("may operate in {country} from {day}", country=country, day=start)
        for s in record.get("suspensions", []):
            if s["scope"] == country and s["from"] <= day <= suspended_until(s):
                return False, t("suspended in {country} from {start} to {end} by the host state ({authority})",
                                country=country, start=s["from"], end=suspended_until(s), authority=s["by"])
    if country:
        return True, t("valid in {country} on {day} (licence valid from {start} to {end})", country=country,
                       day=day, start=licence["valid_from"], end=licence["valid_to"])
    return True, t("valid on {day} (licence valid from {start} to {end})", day=day, start=licence["valid_from"],
                   end=licence["valid_to"])
