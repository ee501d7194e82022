"""`imi privacy ...`: the data-protection clock, the access log and data subjects' rights
(Regulation (EU) No 1024/2012, Art. 14-19)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from imi_cli.cli.environment import state
from imi_cli.cli.options import data_options, listing_options
from imi_cli.cli.output import emit, message, print_json
from imi_cli.i18n import N_, _, nt, t

app = typer.Typer(no_args_is_help=True)
STATUS = [("entity", N_("exchange")), ("area", N_("area")), ("closed_at", N_("closed")),
          ("block_at", N_("blocked from")), ("erase_at", N_("erased from")), ("state", N_("personal data"))]
LOG = [("at", N_("when")), ("user", N_("who")), ("action", N_("what")), ("entity", N_("exchange")),
       ("reason", N_("why")), ("due", N_("answer due"))]


def _label(labels: dict):
    return lambda code: _(labels[code]) if code in labels else str(code)


@app.command("status")
@listing_options
def status(all_: bool = typer.Option(False, "--all", help="Erased exchanges too.")) -> None:
    """What will be blocked and erased, and when: every closed exchange this store holds."""
    from imi_cli.privacy.clock import status as clock_status

    s = state()
    with s.open_store() as store:
        rows = [r for r in clock_status(store.conn) if all_ or r["state"] != "erased"]
    from imi_cli.commands.authority import shown_rows
    from imi_cli.directory.render import headings
    from imi_cli.i18n import formats
    from imi_cli.privacy.clock import STATE_LABELS

    emit(rows, as_json=s.as_json, columns=headings(STATUS), rows=None if s.as_json else shown_rows(rows, {
        "closed_at": formats.date, "block_at": formats.date, "erase_at": formats.date,
        "state": _label(STATE_LABELS)}))
    if not rows and not s.as_json:
        message(_("No closed exchange holds personal data here."))


@app.command("run")
@data_options
def run() -> None:
    """Apply the clock now: block what is 6 months past its closure, erase what is 3 years
    past it. (It also runs by itself whenever a command opens the store.)"""
    from imi_cli.privacy.clock import apply_node

    s = state()
    with s.open_store() as store:
        done = apply_node(store)
    if s.as_json:
        print_json(done)
    else:
        from imi_cli.i18n import formats

        # Translators: {blocked} and {erased} are numbers of exchanges (requests, alerts, notifications)
        message(t("Blocked {blocked} and erased {erased} exchange(s)' personal data",
                  blocked=formats.number(done["blocked"]), erased=formats.number(done["erased"])))


@app.command("log")
@listing_options
def log(person: Optional[str] = typer.Option(None, "--person", help="Only reads of exchanges that name this "
                                                                     "person (folded for case and accents)."),
        born: Optional[str] = typer.Option(None, "--born", help="With --person: the date of birth, YYYY-MM-DD."),
        user: Optional[str] = typer.Option(None, "--user", help="Only reads by this user."),
        since: Optional[str] = typer.Option(None, "--since", help="Only from this day on, YYYY-MM-DD."),
        limit: int = typer.Option(500, "--limit", min=1, help="At most this many, the newest first.")) -> None:
    """Who read personal data, when, and why: the access log of your authority (and, for a
    coordinator, of the authorities it coordinates). For data-protection officers and coordinators."""
    from imi_cli.exchanges.alerts.service import parse_date
    from imi_cli.privacy import access, subjects
    from imi_cli.privacy.blocking import require_officer_or_coordinator

    s = state()
    with s.open_store() as store:
        require_officer_or_coordinator(store, N_("reading the access log needs the {role} or the {coordinator} role"))
        entities = None
        if person or born:
            found = subjects.search(store.conn, subjects.Query(person, born).check())
            entities = {f["entity"] for f in found}
        rows = access.entries(store.conn, since=parse_date(since, "--since") if since else None, user=user,
                              entities=entities, limit=limit)
    from imi_cli.commands.authority import shown_rows
    from imi_cli.directory.render import headings
    from imi_cli.i18n import formats

    emit(rows, as_json=s.as_json, columns=headings(LOG), rows=None if s.as_json else shown_rows(rows, {
        "at": formats.datetime, "due": formats.date, "action": _label(access.LABELS),
        "reason": _label(access.MARKER_LABELS)}))
    if not rows and not s.as_json:
        message(_("No reads of personal data are logged here for that person") if person
                else _("No reads of personal data are logged here"))


@app.command("subject")
@data_options
def subject(name: Optional[str] = typer.Option(None, "--name", help="The person's name (case and accents do not "
                                                                   "matter)."),
            born: Optional[str] = typer.Option(None, "--born", help="Date of birth, YYYY-MM-DD."),
            id_number: Optional[str] = typer.Option(None, "--id-number", help="An identity or registration number."),
            reason: str = typer.Option("request of the data subject", "--reason",
                                       help="Why (goes into the access log)."),
            fmt: str = typer.Option("md", "--format", help="md (a report to send) or json."),
            out: Optional[Path] = typer.Option(None, "-o", "--output", help="Write to this file, readable by you "
                                                                            "only (default: standard output).")
            ) -> None:
    """A data subject's request: every exchange in your reach that names the person, exported in
    your language, with the date the answer is due (30 days; Art. 18-19)."""
    from imi_cli.cli.output import to_json
    from imi_cli.errors import UsageError
    from imi_cli.privacy import access, subjects
    from imi_cli.privacy.blocking import check_reason, require_officer

    if fmt not in ("json", "md"):
        raise UsageError(msgid="use_one_of", params={"option": "--format", "value": fmt, "choices": "json or md"})
    query = subjects.Query(name, born, id_number).check()
    why = check_reason(reason)
    s = state()
    with s.open_store() as store:
        require_officer(store, N_("a data subject's search needs the {role} role"))
        found = subjects.search(store.conn, query)
        logged = access.record(store, "subject.search", entities=[f["entity"] for f in found], reason=why,
                               person=query.as_dict())
        data = subjects.report(query, logged or {}, subjects.views(store, found, s.lang))
    text = to_json(data) if fmt == "json" else subjects.as_markdown(data, s.lang)
    if out is None:
        typer.echo(text, nl=False)
    else:
        from imi_cli.cli.output_files import write_output

        write_output(out, text, "-o", private=True)
    from imi_cli.i18n import formats

    message(nt("Found {n} exchange; the answer is due by {due} (logged in the access log)",
               "Found {n} exchanges; the answer is due by {due} (logged in the access log)", len(found),
               due=formats.date(data["due"])))


@app.command("read")
@data_options
def read(entity: str = typer.Argument(..., metavar="KIND/ID",
                                      help="The exchange: request/ID, alert/ID or notification/ID."),
         reason: str = typer.Option(..., "--reason", help="Why the blocked data is needed (goes into the access "
                                                          "log).")) -> None:
    """Read an exchange's blocked personal data: data-protection officers only, with a reason;
    the read is logged."""
    from imi_cli.errors import UsageError
    from imi_cli.privacy import access, subjects
    from imi_cli.privacy.blocking import check_reason, is_blocked, require_officer, unsealed_view
    from imi_cli.privacy.rectification import parse_entity

    entity = parse_entity(entity)
    why = check_reason(reason)
    s = state()
    with s.open_store() as store:
        require_officer(store, N_("reading blocked data needs the {role} role"))
        if not is_blocked(store.conn, entity):
            raise UsageError(t("{entity} holds no blocked data here", entity=entity),
                             hint=_("`imi request show` / `imi alert show` show what is not blocked"))
        item = subjects._described(store.conn, entity, True)
        view = unsealed_view(store, [entity], lambda conn: subjects._view(store, item, s.lang))
        access.record(store, "blocked.read", entity=entity, reason=why)
    _show(item["kind"], view, s.as_json)
    message(_("This read of blocked data was logged with its reason"))


def _show(kind: str, view: dict | None, as_json: bool) -> None:
    if as_json or view is None:
        print_json(view)
    elif kind == "request":
        from imi_cli.exchanges.requests.render import as_text

        typer.echo(as_text(view), nl=False)
    elif kind == "alert":
        from imi_cli.exchanges.alerts.render import as_text as alert_text

        typer.echo(alert_text(view), nl=False)
    else:
        print_json(view)


@app.command("rectify")
@data_options
def rectify(entity: str = typer.Argument(..., metavar="KIND/ID",
                                         help="The exchange: request/ID, alert/ID or notification/ID."),
            field: List[str] = typer.Option(..., "--field", help="A corrected value, KEY=VALUE (repeat)."),
            reason: Optional[str] = typer.Option(None, "--reason", help="Why (the data subject's request).")) -> None:
    """Correct a person's data in an exchange: everyone who holds it gets the correction
    (Art. 19: within 30 days of the request)."""
    from imi_cli.commands.request import _pairs
    from imi_cli.privacy.blocking import require_officer
    from imi_cli.privacy.rectification import parse_entity
    from imi_cli.privacy.rectification import rectify as do_rectify

    entity = parse_entity(entity)
    fields = _pairs(field, "--field")
    s = state()
    with s.open_store() as store:
        require_officer(store, N_("rectifying personal data needs the {role} role"))
        do_rectify(store, entity, fields, reason)
    message(nt("Rectified {n} field of {entity} (queued: `imi sync` takes it to every holder)",
               "Rectified {n} fields of {entity} (queued: `imi sync` takes it to every holder)", len(fields),
               entity=entity))


@app.command("erase")
@data_options
def erase(entity: str = typer.Argument(..., metavar="KIND/ID",
                                       help="The exchange: request/ID, alert/ID or notification/ID."),
          consent: str = typer.Option(..., "--consent", help="The data subject's consent (or the legal ground), "
                                                            "as recorded.")) -> None:
    """Erase an exchange's personal data before its time, here at once and everywhere through
    the hub."""
    from imi_cli.privacy.blocking import check_reason, require_officer
    from imi_cli.privacy.rectification import parse_entity, request_erasure

    entity = parse_entity(entity)
    why = check_reason(consent)
    s = state()
    with s.open_store() as store:
        require_officer(store, N_("early erasure needs the {role} role"))
        count = request_erasure(store, entity, why)
    message(nt("Erased {n} field of {entity} here; `imi sync` asks the hub to erase it everywhere",
               "Erased {n} fields of {entity} here; `imi sync` asks the hub to erase it everywhere", count,
               entity=entity))
