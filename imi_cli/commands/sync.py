"""`imi sync` (push the outbox, pull what concerns this authority) and `imi outbox`."""

from __future__ import annotations

from typing import Optional

import typer

from imi_cli.cli.environment import state
from imi_cli.cli.options import data_options
from imi_cli.cli.output import emit, message, print_json


def _say(report, as_json: bool) -> None:
    if as_json:
        print_json(report.as_dict())
        return
    message(f"Pushed {report.accepted} accepted, {len(report.rejected)} rejected; "
            f"pulled {report.pulled} (cursor {report.cursor})")
    for r in report.rejected:
        message(f"  rejected {r['id']}: {r['reason']}: {r['message']}")
    say_skipped(report.skipped, "from the hub")


def say_skipped(skipped: list, where: str) -> None:
    """Events not applied (recorded in the store): their ids and why, never their content."""
    if skipped:
        message(f"Skipped {len(skipped)} event(s) {where}: " + "; ".join(f"{s['id']}: {s['reason']}" for s in skipped))


@data_options
def sync(
    watch: bool = typer.Option(False, "--watch", help="Keep syncing; new events arrive within seconds."),
    rounds: Optional[int] = typer.Option(None, "--rounds", help="With --watch: stop after this many polls."),
    wait: float = typer.Option(20.0, "--wait", help="With --watch: seconds each long poll may wait."),
) -> None:
    """Push this store's pending events to the hub and pull what concerns its authority."""
    from imi_cli.sync import session as core
    from imi_cli.sync.enrolment import client_for

    s = state()
    with s.open_store() as store, client_for(store, s.settings.hub) as client:
        if not watch:
            report = core.sync(store, client)
            _say(report, s.as_json)
            if report.rejected:
                from imi_cli.errors import EventsRejected

                raise EventsRejected(len(report.rejected))
            return
        message("Watching the hub (Ctrl-C stops)")
        core.watch(store, client, lambda r: _say(r, s.as_json), wait=wait, rounds=rounds)


@data_options
def outbox(
    state_filter: Optional[str] = typer.Option(None, "--state", help="pending, accepted or rejected."),
) -> None:
    """What this store has pushed or must push: pending, accepted, rejected and why."""
    from imi_cli.sync import session as core

    s = state()
    with s.open_store() as store:
        rows = core.outbox(store, state_filter)
    emit(rows, as_json=s.as_json, columns=[("id", "event"), ("type", "type"), ("state", "state"),
                                           ("reason", "reason"), ("detail", "detail")])
