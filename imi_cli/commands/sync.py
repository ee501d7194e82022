"""`imi sync` (push the outbox, pull what concerns this authority) and `imi outbox`."""

from __future__ import annotations

from typing import Optional

import typer

from imi_cli.cli.environment import state
from imi_cli.cli.options import data_options, listing_options
from imi_cli.cli.output import detail, emit, message, print_json
from imi_cli.i18n import N_, _, nt, t

# (key, heading) of `imi outbox`: the headings are translated where the table is drawn
OUTBOX = [("id", N_("event")), ("type", N_("type")), ("state", N_("state")), ("reason", N_("reason")),
          ("detail", N_("detail"))]
OUTBOX_STATES = {
    # Translators: the state of an event in the outbox: not pushed to the hub yet
    "pending": N_("pending"),
    # Translators: the state of an event in the outbox: the hub took it
    "accepted": N_("accepted"),
    # Translators: the state of an event in the outbox: the hub refused it
    "rejected": N_("rejected"),
    # Translators: the state of an event in the outbox: the hub refused it, and its change was sent again
    "resent": N_("resent"),
}


def _say(report, as_json: bool) -> None:
    from imi_cli.i18n import formats
    from imi_cli.sync.resend import next_step

    if as_json:
        print_json(report.as_dict())
        return
    message(t("Pushed {accepted} accepted, {rejected} rejected; pulled {pulled} (cursor {cursor})",
              accepted=formats.number(report.accepted), rejected=formats.number(len(report.rejected)),
              pulled=formats.number(report.pulled), cursor=report.cursor))
    for r in report.rejected:
        # Translators: an event the hub refused: {reason} is a code (not_allowed ...), {message} the hub's words
        message("  " + t("rejected {id}: {reason}: {message}", id=r["id"], reason=r["reason"],
                         message=report.told(r)))
        step = next_step(r["id"], r["reason"], r.get("entity"))
        if step:
            message("    " + step)
    say_skipped(report.skipped, "hub")
    if report.reseeded:
        detail("  " + _("The hub had removed events older than this store's cursor: the store was seeded again"))
    clock = report.privacy or {}
    detail("  " + t("Data-protection clock: {blocked} blocked, {erased} erased",
                    blocked=formats.number(clock.get("blocked", 0)), erased=formats.number(clock.get("erased", 0))))


def say_skipped(skipped: list, source: str) -> None:
    """Events not applied (recorded in the store): their ids and why, never their content.
    ``source``: "hub" (pulled from it) or "log" (the store's own log, rebuilt)."""
    if not skipped:
        return
    events = "; ".join(f"{s['id']}: {s['reason']}" for s in skipped)
    if source == "hub":
        message(nt("Skipped {n} event(s) from the hub: {events}", "Skipped {n} event(s) from the hub: {events}",
                   len(skipped), events=events))
    else:
        message(nt("Skipped {n} event(s) of the log: {events}", "Skipped {n} event(s) of the log: {events}",
                   len(skipped), events=events))


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
        detail(t("Syncing with {hub}", hub=getattr(client, "url", None) or s.settings.hub or "?"))
        if not watch:
            report = core.sync(store, client)
            _say(report, s.as_json)
            if report.rejected:
                from imi_cli.errors import EventsRejected

                raise EventsRejected(len(report.rejected))
            return
        message(_("Watching the hub (Ctrl-C stops)"))
        core.watch(store, client, lambda r: _say(r, s.as_json), wait=wait, rounds=rounds)


@listing_options
def outbox(
    state_filter: Optional[str] = typer.Option(None, "--state", help="pending, accepted, rejected or resent."),
    resend: Optional[str] = typer.Option(
        None, "--resend", metavar="EVENT",
        help="Send the change of this rejected event (an id or its first characters) again, on the version "
             "this store holds now; `imi sync` takes it to the hub. E.g. after a stale rejection."),
) -> None:
    """What this store has pushed or must push: pending, accepted, rejected and why.

    An event the hub rejected as stale (someone else changed the record first) names who did,
    and stays here as a draft: look at the record (`imi request show ID`), then
    `imi outbox --resend EVENT` sends your change again on top of theirs."""
    from imi_cli.cli.output import for_people
    from imi_cli.sync import session as core

    s = state()
    if resend is not None:
        _resend(resend, state_filter, s.as_json)
        return
    with s.open_store() as store:
        rows = core.outbox(store, state_filter)
    shown = rows
    if not s.as_json and for_people():  # a person reads the state in words; scripts, the code
        shown = [{**row, "state": _(OUTBOX_STATES[row["state"]]) if row.get("state") in OUTBOX_STATES
                  else row.get("state"), "detail": core.told(row)} for row in rows]
    emit(rows, as_json=s.as_json, rows=shown, columns=[(key, _(heading)) for key, heading in OUTBOX])
    if not s.as_json:
        for row in rows:
            if row.get("hint"):
                message(t("{event}: {hint}", event=row["id"], hint=row["hint"]))


def _resend(given: str, state_filter: Optional[str], as_json: bool) -> None:
    from imi_cli.errors import UsageError
    from imi_cli.sync.resend import resend

    if state_filter is not None:
        raise UsageError(t("--resend takes no --state: it sends one rejected event again"))
    s = state()
    with s.open_store() as store:
        done = resend(store, given)
    if as_json:
        print_json(done)
        return
    typer.echo(done["id"])
    message(t("Queued {id} with the change of the rejected {old}, on version {version} of {entity} "
              "(`imi sync` takes it to the hub)", id=done["id"], old=done["resent"], version=done["version"],
              entity=done["entity"]))
