"""The one clock of the program.

Set ``IMI_NOW`` (ISO 8601, e.g. ``2026-03-01T09:00:00+00:00``) to fix the time
for tests and training environments: deadlines, reminders and retention all
read it from here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from imi_cli.errors import UsageError

# A time pinned for this thread (``pinned``): replaying what another hub process did gives the
# same stamps it gave. It comes before IMI_NOW.
_PINNED: ContextVar[datetime | None] = ContextVar("imi_clock_pinned", default=None)


@contextmanager
def pinned(at: datetime | str) -> Iterator[None]:
    """Within it, ``now()`` is ``at`` (an ISO 8601 text or a datetime), in this thread only."""
    when = parse_instant(at) if isinstance(at, str) else at
    token = _PINNED.set(when)
    try:
        yield
    finally:
        _PINNED.reset(token)


def now() -> datetime:
    """The current time, timezone-aware (UTC unless ``IMI_NOW`` says otherwise)."""
    pin = _PINNED.get()
    if pin is not None:
        return pin
    fixed = os.environ.get("IMI_NOW")
    if fixed:
        return parse_instant(fixed, source="IMI_NOW")
    return datetime.now(UTC)


def parse_instant(text: str, *, source: str = "time") -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        from imi_cli.i18n import t

        raise UsageError(
            t("{source}: {text!r} is not an ISO 8601 time", source=source, text=text),
            hint=t("write it like 2026-03-01T09:00:00+00:00"),
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def iso(value: datetime) -> str:
    """ISO 8601 in UTC with milliseconds: the form stored in events."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
