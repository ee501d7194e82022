"""The one clock of the program.

Set ``IMI_NOW`` (ISO 8601, e.g. ``2026-03-01T09:00:00+00:00``) to fix the time
for tests and training environments: deadlines, reminders and retention all
read it from here.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from imi_cli.errors import UsageError


def now() -> datetime:
    """The current time, timezone-aware (UTC unless ``IMI_NOW`` says otherwise)."""
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
