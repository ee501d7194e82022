"""`imi cit ...`: the register of euro cash-in-transit licences (Regulation (EU) No 1214/2011).
Licensing officers of the company's home state issue, change, suspend and withdraw; every
authority competent in cash-in-transit checks a licence by number, company or registration."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, List, Optional

import typer

from imi_cli.cli.environment import state
from imi_cli.cli.file_options import import_file_options
from imi_cli.cli.options import data_options, listing_options
from imi_cli.cli.output import emit, message, page, print_json
from imi_cli.i18n import N_, _, t

if TYPE_CHECKING:
    from imi_cli.bulk.readers import FileReading

app = typer.Typer(no_args_is_help=True)
LIST = [("number", N_("licence")), ("company", N_("company")), ("country", N_("home")),
        ("valid_from", N_("valid from")), ("valid_to", N_("valid to")), ("status", N_("today")), ("why", N_("why")),
        ("hosts", N_("host states"))]
CHECK = [("number", N_("licence")), ("company", N_("company")), ("on", N_("on")), ("in", N_("in")),
         ("valid", N_("valid")), ("reason", N_("why"))]
NOT_VALID = 1  # `imi cit check`: the exit code when no licence found was valid then and there
# a licence's status today and an answer of `cit check`, as a person reads them on a terminal
STATUS_LABELS = {"valid": N_("valid"), "not valid": N_("not valid")}
YES_NO = {"yes": N_("yes"), "no": N_("no")}
# what happened to a licence (its event type without "licence."), in `cit history`
STEP_LABELS = {"issued": N_("issued"), "changed": N_("changed"), "host_notified": N_("host notified"),
               "suspended": N_("suspended"), "resumed": N_("resumed"), "withdrawn": N_("withdrawn"),
               "banned": N_("banned"), "sanctioned": N_("sanctioned")}


def _label(labels: dict):
    return lambda code: _(labels[code]) if code in labels else str(code)


def _licences(store):
    from imi_cli.repositories.licences.service import Licences

    return Licences(store)


def _do(template: str, number: str, call) -> None:
    """``template``: the confirmation, a sentence marked with ``N_`` with a field {number}."""
    with state().open_store() as store:
        call(_licences(store))
    message(t(template, number=number))


def _day(text: Optional[str], flag: str) -> Optional[str]:
    from imi_cli.repositories.licences.service import parse_day

    return parse_day(text, flag) if text else None


def _today() -> str:
    from imi_cli.log import clock

    return clock.now().date().isoformat()


@app.command("issue")
@data_options
def issue(number: str = typer.Option(..., "--number", help="The licence number (it begins with your country code)."),
          company: str = typer.Option(..., "--company", help="The company's name."),
          registration: str = typer.Option(..., "--registration", help="Its registration number."),
          address: str = typer.Option(..., "--address", help="Its address."),
          valid_from: str = typer.Option(..., "--valid-from", help="YYYY-MM-DD."),
          valid_to: Optional[str] = typer.Option(None, "--valid-to", help="YYYY-MM-DD (default and at most: 5 years)."),
          conditions: List[str] = typer.Option(..., "--condition", help=(
              "A condition checked: national_licence or cit_activity_24_months, and good_repute, insurance, "
              "staff_vehicles_procedures (repeat).")),
          contact: Optional[str] = typer.Option(None, "--contact", help="Who to contact about it.")) -> None:
    """Issue a licence to a company of your country."""
    from imi_cli.errors import UsageError
    from imi_cli.repositories.licences import rules
    from imi_cli.repositories.licences.service import FLAGS

    unknown = [c for c in conditions if c not in FLAGS]
    if unknown:
        raise UsageError(msgid="unknown_format", params={"option": "--condition", "value": unknown[0],
                                                         "choices": ", ".join(FLAGS)})
    start = _day(valid_from, "--valid-from")
    assert start is not None
    import datetime as dt

    end = _day(valid_to, "--valid-to") or (rules.add_years(dt.date.fromisoformat(start), rules.MAX_YEARS)
                                           - dt.timedelta(days=1)).isoformat()
    licence = {"number": number, "company": {"name": company, "registration_number": registration,
                                             "address": address},
               "valid_from": start, "valid_to": end, "conditions": {c: True for c in conditions}}
    if contact:
        licence["contact"] = contact
    _do(N_("Issued licence {number} (queued: `imi sync` takes it to the hub)"), number, lambda s: s.issue(licence))


@app.command("change")
@data_options
def change(number: str = typer.Argument(..., metavar="NUMBER", help="Licence number."),
           reason: str = typer.Option(..., "--reason", help="Why."),
           valid_to: Optional[str] = typer.Option(None, "--valid-to", help="A new end, YYYY-MM-DD."),
           address: Optional[str] = typer.Option(None, "--address", help="The company's new address."),
           name: Optional[str] = typer.Option(None, "--company", help="The company's new name."),
           contact: Optional[str] = typer.Option(None, "--contact", help="A new contact.")) -> None:
    """Change a licence of your country."""
    from imi_cli.errors import UsageError

    s = state()
    with s.open_store() as store:
        licences = _licences(store)
        current = licences.get(number)["record"]["licence"]
        changes: dict = {}
        if name or address:
            changes["company"] = {**current["company"], **({"name": name} if name else {}),
                                  **({"address": address} if address else {})}
        if valid_to:
            changes["valid_to"] = _day(valid_to, "--valid-to")
        if contact:
            changes["contact"] = contact
        if not changes:
            raise UsageError(_("nothing to change"), hint=_("give --valid-to, --company, --address or --contact"))
        licences.change(number, changes, reason)
    message(t("Changed licence {number} (queued: `imi sync` takes it to the hub)", number=number))


@app.command("notify-host")
@data_options
def notify_host(number: str = typer.Argument(..., metavar="NUMBER", help="Licence number."),
                host: str = typer.Option(..., "--host", help="The member state it will operate in."),
                start: str = typer.Option(..., "--start", help="Planned start, YYYY-MM-DD (2 months after notice)."),
                transport: List[str] = typer.Option(..., "--transport", help="A type of transport (repeat)."),
                staff: List[str] = typer.Option([], "--staff", help="A person who may carry it out (repeat)."),
                weapons: str = typer.Option("", "--weapons", help="The weapons carried, if any."),
                notice_date: Optional[str] = typer.Option(None, "--notice-date", help="When the company told you "
                                                                                     "(default today)."),
                override: Optional[str] = typer.Option(None, "--override-reason", help="Why it may start less than "
                                                                                       "2 months after notice.")
                ) -> None:
    """Record a company's prior notice (Art. 12) to operate in another member state."""
    from imi_cli.errors import UsageError
    from imi_cli.reference.countries import normalize_country

    country = normalize_country(host)
    if country is None:
        raise UsageError(t("{option} {value!r} is not an IMI country", option="--host", value=host))
    day = _day(start, "--start")
    assert day is not None
    _do(N_("Recorded the prior notice for licence {number} (queued: `imi sync` takes it to the hub)"), number,
        lambda s: s.notify_host(
        number, host=country, start=day, transport_types=transport, staff=staff, weapons=weapons,
        notice_date=_day(notice_date, "--notice-date"), override_reason=override))


@app.command("suspend")
@data_options
def suspend(number: str = typer.Argument(..., metavar="NUMBER", help="Licence number."),
            start: Optional[str] = typer.Option(None, "--from", help="YYYY-MM-DD (default today)."),
            end: str = typer.Option(..., "--to", help="YYYY-MM-DD: 2 weeks to 2 months (a host state: at most 2 "
                                                     "months, on its territory)."),
            reason: str = typer.Option(..., "--reason", help="Why.")) -> None:
    """Suspend a licence (home state), or the right to operate on your territory (host state)."""
    first = _day(start, "--from") or _today()
    last = _day(end, "--to")
    assert last is not None
    _do(N_("Suspended licence {number} (queued: `imi sync` takes it to the hub)"), number,
        lambda s: s.suspend(number, start=first, end=last, reason=reason))


@app.command("resume")
@data_options
def resume(number: str = typer.Argument(..., metavar="NUMBER", help="Licence number."),
           on: Optional[str] = typer.Option(None, "--on", help="YYYY-MM-DD (default today).")) -> None:
    """Lift your state's suspension early."""
    _do(N_("Lifted the suspension of licence {number} (queued: `imi sync` takes it to the hub)"), number,
        lambda s: s.resume(number, _day(on, "--on")))


@app.command("withdraw")
@data_options
def withdraw(number: str = typer.Argument(..., metavar="NUMBER", help="Licence number."),
             reason: str = typer.Option(..., "--reason", help="Why."),
             on: Optional[str] = typer.Option(None, "--on", help="YYYY-MM-DD (default today).")) -> None:
    """Withdraw a licence."""
    _do(N_("Withdrew licence {number} (queued: `imi sync` takes it to the hub)"), number,
        lambda s: s.withdraw(number, reason, _day(on, "--on")))


@app.command("ban")
@data_options
def ban(number: str = typer.Argument(..., metavar="NUMBER", help="Licence number."),
        until: str = typer.Option(..., "--until", help="YYYY-MM-DD, up to 5 years."),
        reason: str = typer.Option(..., "--reason", help="Why.")) -> None:
    """Ban the company from applying for a new licence."""
    day = _day(until, "--until")
    assert day is not None
    _do(N_("Banned the holder of licence {number} (queued: `imi sync` takes it to the hub)"), number,
        lambda s: s.ban(number, day, reason))


@app.command("sanction")
@data_options
def sanction(number: str = typer.Argument(..., metavar="NUMBER", help="Licence number."),
             kind: str = typer.Option(..., "--kind", help="warning or fine."),
             reason: str = typer.Option(..., "--reason", help="Why."),
             amount: Optional[float] = typer.Option(None, "--amount", help="A fine's amount in euro.")) -> None:
    """Record a warning or a fine (Art. 22)."""
    from imi_cli.errors import UsageError

    if kind not in ("warning", "fine"):
        raise UsageError(t("--kind {kind!r} is not warning or fine", kind=kind))
    _do(N_("Recorded a sanction on licence {number} (queued: `imi sync` takes it to the hub)"), number,
        lambda s: s.sanction(number, kind, reason, amount))


@app.command("check")
@listing_options
def check(number: Optional[str] = typer.Option(None, "--number", help="Licence number."),
          company: Optional[str] = typer.Option(None, "--company", help="Company name (any spelling)."),
          registration: Optional[str] = typer.Option(None, "--registration", help="Registration number."),
          on: Optional[str] = typer.Option(None, "--on", help="YYYY-MM-DD (default today)."),
          country: Optional[str] = typer.Option(None, "--in", help="The country it operates in (default: home).")
          ) -> None:
    """Was it valid on that day, in that country? Exit 0: yes; 1: no; 4: no such licence."""
    from imi_cli.errors import NotFound, UsageError
    from imi_cli.reference.countries import normalize_country
    from imi_cli.repositories.licences.views import check as answer

    if not (number or company or registration):
        raise UsageError(_("say which licence: --number, --company or --registration"))
    where = normalize_country(country) if country else None
    if country and where is None:
        raise UsageError(t("{option} {value!r} is not an IMI country", option="--in", value=country))
    day = _day(on, "--on") or _today()
    s = state()
    with s.open_store() as store:
        rows = answer(store.conn, day, where, number=number, company=company, registration=registration)
    if not rows:
        raise NotFound(_("no licence matches"), hint=_("`imi cit list --company NAME` shows what this store holds"))
    from imi_cli.commands.authority import shown_rows
    from imi_cli.directory.render import headings
    from imi_cli.i18n import formats

    emit(rows, as_json=s.as_json, columns=headings(CHECK),
         rows=shown_rows([{**r, "valid": "yes" if r["valid"] else "no"} for r in rows],
                         {"valid": _label(YES_NO), "on": formats.date}))
    if not any(r["valid"] for r in rows):
        raise typer.Exit(NOT_VALID)


@app.command("list")
@listing_options
def list_(company: Optional[str] = typer.Option(None, "--company", help="Company name (any spelling)."),
          registration: Optional[str] = typer.Option(None, "--registration", help="Registration number."),
          country: Optional[str] = typer.Option(None, "--country", help="Home state."),
          limit: int = typer.Option(500, "--limit", min=1, help="At most this many.")) -> None:
    """Licences, with today's status and why."""
    from imi_cli.commands.request import _emit
    from imi_cli.repositories.licences.views import find, row

    s = state()
    with s.open_store() as store:
        rows = [row(x, _today()) for x in find(store.conn, company=company, registration=registration,
                                                country=country, limit=limit)]
    from imi_cli.commands.authority import shown_rows
    from imi_cli.directory.render import headings
    from imi_cli.i18n import formats

    shown = {"status": _label(STATUS_LABELS), "valid_from": formats.date, "valid_to": formats.date}
    _emit(rows if s.as_json else shown_rows(rows, shown), s.as_json, headings(LIST))
    if not rows and not s.as_json:
        message(_("No licences match."))


@app.command("show")
@data_options
def show(number: str = typer.Argument(..., metavar="NUMBER", help="Licence number.")) -> None:
    """A licence whole: company, conditions, host states, suspensions, sanctions."""
    from imi_cli.repositories.licences.views import as_text, view

    s = state()
    with s.open_store() as store:
        v = view(_licences(store).get(number), _today())
    print_json(v) if s.as_json else page(as_text(v))


@app.command("history")
@listing_options
def history(number: str = typer.Argument(..., metavar="NUMBER", help="Licence number.")) -> None:
    """Every change of a licence: when, what, by which authority and user."""
    s = state()
    with s.open_store() as store:
        rows = _licences(store).get(number)["record"]["history"]
    from imi_cli.commands.authority import shown_rows
    from imi_cli.i18n import formats

    steps = [{**h, "what": h["type"].split(".", 1)[1], "detail": h.get("detail", "")} for h in rows]
    emit(steps, as_json=s.as_json, rows=None if s.as_json else shown_rows(steps, {
             "at": formats.datetime, "what": _label(STEP_LABELS)}),
         columns=[("at", _("at")), ("what", _("what")), ("authority", _("authority")), ("user", _("user")),
                  ("detail", _("detail"))])


@app.command("import")
@data_options
@import_file_options
def import_(path: Path = typer.Argument(..., metavar="FILE", help="CSV, YAML or JSON file of licences."),
            fmt: Optional[str] = typer.Option(None, "--format", help="csv, yaml or json (default: by suffix)."),
            dry_run: bool = typer.Option(False, "--dry-run", help="Check everything, change nothing."),
            *, reading: FileReading) -> None:
    """Import licences: all or nothing; a licence as it is already is skipped, one that differs changed."""
    s = state()
    with s.open_store() as store:
        report = _licences(store).import_file(path, fmt, dry_run=dry_run, reading=reading)
    if s.as_json:
        print_json(report)
    else:
        from imi_cli.i18n import formats

        queued = not dry_run and report["issued"] + report["changed"] > 0
        counts = {k: formats.number(report[k]) for k in ("issued", "changed", "unchanged")}
        if dry_run:
            message(t("Would import: {issued} issued, {changed} changed, {unchanged} unchanged", **counts))
        elif queued:
            message(t("Imported: {issued} issued, {changed} changed, {unchanged} unchanged (queued: `imi sync` "
                      "takes them to the hub)", **counts))
        else:
            message(t("Imported: {issued} issued, {changed} changed, {unchanged} unchanged", **counts))


@app.command("export")
@data_options
def export(fmt: str = typer.Option("json", "--format", help="json, yaml or csv."),
           country: Optional[str] = typer.Option(None, "--country", help="Only this home state."),
           output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write to this file.")) -> None:
    """Licences in the import format (an export imports again unchanged)."""
    from imi_cli.errors import UsageError
    from imi_cli.repositories.licences.exports import export_licences
    from imi_cli.repositories.licences.views import find

    if fmt not in ("json", "yaml", "csv"):
        raise UsageError(msgid="use_one_of",
                         params={"option": "--format", "value": fmt, "choices": "json, yaml or csv"})
    s = state()
    with s.open_store() as store:
        text = export_licences(find(store.conn, country=country), fmt)
    if output is None:
        typer.echo(text, nl=False)
    else:
        from imi_cli.cli.output_files import write_output

        write_output(output, text, "-o", private=True)  # contacts may name people
        message(t("Wrote the licences to {path}", path=output))
