"""`imi privacy ...`: the data-protection clock, the access log and data subjects' rights
(Regulation (EU) No 1024/2012, Art. 14-19)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from imi_cli.cli.environment import state
from imi_cli.cli.options import data_options
from imi_cli.cli.output import emit, message, print_json

app = typer.Typer(no_args_is_help=True)
STATUS = [("entity", "exchange"), ("area", "area"), ("closed_at", "closed"), ("block_at", "blocked from"),
          ("erase_at", "erased from"), ("state", "personal data")]
LOG = [("at", "when"), ("user", "who"), ("action", "what"), ("entity", "exchange"), ("reason", "why"),
       ("due", "answer due")]


@app.command("status")
@data_options
def status(all_: bool = typer.Option(False, "--all", help="Erased exchanges too.")) -> None:
    """What will be blocked and erased, and when: every closed exchange this store holds."""
    from imi_cli.privacy.clock import status as clock_status

    s = state()
    with s.open_store() as store:
        rows = [r for r in clock_status(store.conn) if all_ or r["state"] != "erased"]
    emit(rows, as_json=s.as_json, columns=STATUS)
    if not rows and not s.as_json:
        message("No closed exchange holds personal data here.")


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
        message(f"Blocked {done['blocked']} and erased {done['erased']} exchange(s)' personal data")


@app.command("log")
@data_options
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
        require_officer_or_coordinator(store, "reading the access log")
        entities = None
        if person or born:
            found = subjects.search(store.conn, subjects.Query(person, born).check())
            entities = {f["entity"] for f in found}
        rows = access.entries(store.conn, since=parse_date(since, "--since") if since else None, user=user,
                              entities=entities, limit=limit)
    emit(rows, as_json=s.as_json, columns=LOG)
    if not rows and not s.as_json:
        message("No reads of personal data are logged here" + (" for that person" if person else ""))


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
        require_officer(store, "a data subject's search")
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
    message(f"Found {len(found)} exchange(s); the answer is due by {data['due']} (logged in the access log)")


@app.command("read")
@data_options
def read(entity: str = typer.Argument(..., help="The exchange: request/ID, alert/ID or notification/ID."),
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
        require_officer(store, "reading blocked data")
        if not is_blocked(store.conn, entity):
            raise UsageError(f"{entity} holds no blocked data here", hint="`imi request show` / `imi alert show` "
                                                                          "show what is not blocked")
        item = subjects._described(store.conn, entity, True)
        view = unsealed_view(store, [entity], lambda conn: subjects._view(store, item, s.lang))
        access.record(store, "blocked.read", entity=entity, reason=why)
    _show(item["kind"], view, s.as_json)
    message("This read of blocked data was logged with its reason")


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
def rectify(entity: str = typer.Argument(..., help="The exchange: request/ID, alert/ID or notification/ID."),
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
        require_officer(store, "rectifying personal data")
        do_rectify(store, entity, fields, reason)
    message(f"Rectified {len(fields)} field(s) of {entity} (queued: `imi sync` takes it to every holder)")


@app.command("erase")
@data_options
def erase(entity: str = typer.Argument(..., help="The exchange: request/ID, alert/ID or notification/ID."),
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
        require_officer(store, "early erasure")
        count = request_erasure(store, entity, why)
    message(f"Erased {count} field(s) of {entity} here; `imi sync` asks the hub to erase it everywhere")
