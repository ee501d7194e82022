"""Kinds of notification, declared by their question sets.

A question set with a ``notification`` block is a kind of notification: its fields are the
questions, and the block declares the rest (``docs/catalog-format.md``)::

    notification:
      examination_months: 3      # the Commission examines within this period from broadcast
      reminder_days_before: 14   # the Commission is reminded this many days before it ends
      decisions: closing_decision   # the choice list the closing decision is taken from

Every kind is broadcast to the European Commission (authorities of country ``EU``) and to
every member state's national coordinator, who disseminates it in its country. A new kind
(e-Commerce Art. 3(4), say) is a new question set: no code.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from imi_cli.questionnaires.model import QuestionSet

COMMISSION = "EU"
BROADCAST_TERMS = ("all-member-states", f"country:{COMMISSION}")


@dataclass(frozen=True)
class Kind:
    id: str
    area: str
    examination_months: int | None
    reminder_days_before: int | None
    decisions: str | None


def kind_of(qset: QuestionSet) -> Kind | None:
    block = qset.notification
    if not block:
        return None
    return Kind(qset.id, qset.area, block.get("examination_months"), block.get("reminder_days_before"),
                block.get("decisions"))


def kinds() -> dict[str, Kind]:
    """The kinds the process's catalogs declare (the latest version of each set)."""
    from imi_cli.questionnaires.registry import catalogs

    out = {}
    for qset in catalogs().current():
        kind = kind_of(qset)
        if kind is not None:
            out[kind.id] = kind
    return out


def deadline(broadcast_at: str, months: int | None) -> str | None:
    """The examination deadline: ``months`` after the day of broadcast (the same day of the
    month, or the month's last day)."""
    if not months:
        return None
    day = dt.date.fromisoformat(broadcast_at[:10])
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1])).isoformat()


def holders(record: dict[str, Any], notifier: str) -> list[str]:
    """Who has the notification: the notifier and its coordinators, the recipients of the
    broadcast and the authorities it was disseminated to."""
    return sorted({notifier, f"coordinators:{notifier}", *record.get("recipients", []),
                   *record.get("disseminated", [])})
