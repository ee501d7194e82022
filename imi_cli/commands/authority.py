"""`imi authority ...`: register, update, deactivate, reactivate, import, show, search, export."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, List, Optional

import typer

from imi_cli.cli.environment import state
from imi_cli.cli.file_options import import_file_options
from imi_cli.cli.options import data_options, listing_options
from imi_cli.cli.output import emit, message, print_json, print_table, progress_bar
from imi_cli.i18n import N_, _, t

if TYPE_CHECKING:
    from imi_cli.bulk.readers import FileReading

app = typer.Typer(no_args_is_help=True)

LIST_COLUMNS = [("id", N_("id")), ("country", N_("country")), ("name", N_("name")), ("areas", N_("areas")),
                ("languages", N_("languages"))]

# One sentence per what was imported and whether it was a dry run (the noun is no word to glue in)
REPORTS = {
    ("authorities", False): N_("Imported authorities: {created} created, {updated} updated, {unchanged} unchanged"),
    ("authorities", True): N_("Would import authorities: {created} created, {updated} updated, "
                              "{unchanged} unchanged"),
    ("authority", False): N_("Imported authority: {created} created, {updated} updated, {unchanged} unchanged"),
    ("authority", True): N_("Would import authority: {created} created, {updated} updated, {unchanged} unchanged"),
    ("users", False): N_("Imported users: {created} created, {updated} updated, {unchanged} unchanged"),
    ("users", True): N_("Would import users: {created} created, {updated} updated, {unchanged} unchanged"),
    ("user", False): N_("Imported user: {created} created, {updated} updated, {unchanged} unchanged"),
    ("user", True): N_("Would import user: {created} created, {updated} updated, {unchanged} unchanged"),
}


def on_terminal() -> bool:
    """Is the listing a table for a person (not tab-separated, CSV or JSON for a script)?"""
    from imi_cli.cli.output import for_people

    return for_people()


def shown_rows(rows: Iterable[dict[str, Any]], shown: Mapping[str, Callable[[Any], str]]) -> list[dict[str, Any]]:
    """``rows`` with the cells of ``shown``'s columns as a person reads them (a state's code as its
    translated label, a day as the language writes it) when the table goes to a terminal;
    tab-separated output keeps the values themselves. An empty cell stays empty."""
    rows = list(rows)
    if not on_terminal():
        return rows
    return [{**row, **{key: show(row[key]) for key, show in shown.items()
                       if row.get(key) is not None and row.get(key) != ""}} for row in rows]


# The ids an import names, one line each (``report_ids``); a dry run says what it would do
ID_LINES = (
    ("created", N_("Created: {ids}"), N_("Would create: {ids}")),
    ("updated", N_("Updated: {ids}"), N_("Would update: {ids}")),
    ("unchanged", N_("Unchanged: {ids}"), N_("Unchanged: {ids}")),
)
SHOWN_IDS = 10  # per line on stderr; --json lists every one


def report_import(report, noun: str) -> None:
    """``noun``: authorities, authority, users or user (what the command imported). An import
    of a file (plural noun) names the ids created, updated, unchanged and left out of it."""
    from imi_cli.i18n import formats

    s = state()
    if s.as_json:
        print_json(report.as_dict())
        return
    counts = report.as_dict()
    text = t(REPORTS[noun, bool(report.dry_run)], **{k: formats.number(counts[k])
                                                      for k in ("created", "updated", "unchanged")})
    # Translators: {report} is a whole sentence saying what an import did
    message(text if report.changed else t("{report} (nothing to change)", report=text))
    if noun in ("authorities", "users"):
        report_ids(report)


def report_ids(report) -> None:
    for key, done, would in ID_LINES:
        ids = getattr(report, key)
        if ids:
            message(t(would if report.dry_run else done, ids=_some(ids)))
    if report.deactivated:
        message(t(N_("Would deactivate (left out of the file): {ids}") if report.dry_run else
                  N_("Deactivated (left out of the file): {ids}"), ids=_some(report.deactivated)))
    elif report.left_out:
        message(t("Left out of the file, still active: {ids} (`--prune` deactivates them; try it with --dry-run)",
                  ids=_some(report.left_out)))


def _some(ids: list[str]) -> str:
    """The first ``SHOWN_IDS`` ids, and how many more."""
    from imi_cli.i18n import formats

    shown = ", ".join(ids[:SHOWN_IDS])
    if len(ids) <= SHOWN_IDS:
        return shown
    # Translators: {ids} is a list of ids, {n} how many more there are
    return t("{ids} and {n} more (--json lists them all)", ids=shown, n=formats.number(len(ids) - SHOWN_IDS))


@app.command("import")
@data_options
@import_file_options
def import_(
    file: Path = typer.Argument(..., metavar="FILE", help="CSV, YAML or JSON file of authorities."),
    fmt: Optional[str] = typer.Option(None, "--format", help="csv, yaml or json (default: by extension)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check and report; write nothing."),
    prune: bool = typer.Option(False, "--prune", help="Deactivate the authorities you coordinate that the file "
                               "leaves out (see `imi authority deactivate`)."),
    *, reading: FileReading,
) -> None:
    """Register or update many authorities from a file: all or nothing, idempotent.

    It names the ids created, updated, unchanged, and those left out of the file (authorities
    in this store that you coordinate; every one, in a store not enrolled)."""
    from imi_cli.directory.authorities import Directory

    with state().open_store() as store, progress_bar(_("Importing authorities")) as progress:
        report = Directory(store).import_authorities(file, fmt, dry_run=dry_run, progress=progress, reading=reading,
            prune=prune)
    report_import(report, "authorities")


@app.command("register")
@data_options
def register(
    ident: str = typer.Option(..., "--id", help="Authority id, e.g. HU-EPK."),
    country: str = typer.Option(..., "--country", help="Country code, e.g. HU."),
    names: List[str] = typer.Option(..., "--name", help="Name as LANG=TEXT, e.g. hu='Magyar Építész Kamara'; repeat."),
    languages: str = typer.Option(..., "--languages", help="Working languages, e.g. hu,en (',' or ';' between)."),
    areas: str = typer.Option(..., "--areas", help="Legislative areas, e.g. services,professional-qualifications."),
    email: str = typer.Option(..., "--email", help="Contact e-mail."),
    competences: str = typer.Option("", "--competences", help="Competences, ',' or ';' between (area:keyword "
                                    "or keyword)."),
    kind: str = typer.Option("authority", "--kind", help="authority, area_coordinator or national_coordinator."),
    coordinator: Optional[str] = typer.Option(None, "--coordinator", help="Id of the coordinating authority."),
    phone: Optional[str] = typer.Option(None, "--phone", help="Phone number."),
    website: Optional[str] = typer.Option(None, "--website", help="Website."),
) -> None:
    """Register one new authority (again with the same fields: nothing to change). An id
    registered already with other fields is refused: `imi authority update` changes those."""
    from imi_cli.cli.lists import names_by_language, split_list
    from imi_cli.directory.authorities import Directory

    raw: dict = {"id": ident, "country": country, "languages": split_list(languages), "areas": split_list(areas),
                 "email": email, "competences": split_list(competences), "kind": kind}
    raw.update({f"name:{lang}": text for lang, text in names_by_language(names).items()})
    raw.update({k: v for k, v in (("coordinator", coordinator), ("phone", phone), ("website", website)) if v})
    with state().open_store() as store:
        report = Directory(store).register_authorities([(f"--id {ident}", raw)], source="imi authority register",
                                                       new_only=True)
    report_import(report, "authority")


@app.command("update")
@data_options
def update(
    ident: str = typer.Argument(..., metavar="ID", help="Authority id."),
    names: List[str] = typer.Option([], "--name", help="Name as LANG=TEXT, e.g. en='Chamber of Architects'; "
                                    "repeat; LANG= (empty) drops that language's name."),
    languages: Optional[str] = typer.Option(None, "--languages", help="Working languages (replace), e.g. hu,en."),
    areas: Optional[str] = typer.Option(None, "--areas", help="Legislative areas (replace); an area kept keeps "
                                        "its competences."),
    competences: Optional[str] = typer.Option(None, "--competences", help="Competences (replace all), "
                                              "area:keyword or keyword, ',' or ';' between."),
    email: Optional[str] = typer.Option(None, "--email", help="Contact e-mail."),
    phone: Optional[str] = typer.Option(None, "--phone", help="Phone number (\"\" removes it)."),
    website: Optional[str] = typer.Option(None, "--website", help="Website (\"\" removes it)."),
    address: Optional[str] = typer.Option(None, "--address", help="Postal address (\"\" removes it)."),
    coordinator: Optional[str] = typer.Option(None, "--coordinator", help="Id of the coordinating authority."),
    requires_approval: Optional[bool] = typer.Option(None, "--requires-approval/--no-requires-approval",
                                                     help="Its requests need a supervisor's approval before sending."),
) -> None:
    """Change only the fields you give; every other field (names in other languages, phone,
    website, coordinator, competences) stays as it is."""
    from imi_cli.cli.lists import names_by_language, split_list
    from imi_cli.directory.authorities import Directory

    changes = {"names": names_by_language(names), "email": email, "phone": phone, "website": website,
               "address": address, "coordinator": coordinator, "requires_approval": requires_approval,
               **{k: split_list(v) if v is not None else None
                  for k, v in (("languages", languages), ("areas", areas), ("competences", competences))}}
    with state().open_store() as store:
        report = Directory(store).update_authority(ident, changes, source=f"imi authority update {ident}")
    _said(report, ident, t("Updated {id} (queued: `imi sync` takes it to every store)", id=ident))


def _said(report, ident: str, done: str) -> None:
    """What an update or (de)activation did: ``done``, or that there was nothing to change."""
    if state().as_json:
        print_json(report.as_dict())
    else:
        message(done if report.changed else t("{id}: nothing to change", id=ident))


@app.command("deactivate")
@data_options
def deactivate(ident: str = typer.Argument(..., metavar="ID", help="Authority id.")) -> None:
    """Deactivate an authority (its coordinator does): it no longer appears in `imi authority
    search` and receives no new requests. Its open requests stay with it, and their history;
    its coordinator can move one to another authority with `imi request reassign ID --to
    AUTHORITY`. Its users keep their keys (`imi user deactivate` revokes one).
    `imi authority reactivate` undoes it."""
    from imi_cli.directory.authorities import Directory

    with state().open_store() as store:
        report = Directory(store).update_authority(ident, {"deactivated": True},
                                                   source=f"imi authority deactivate {ident}")
    _said(report, ident, t("Deactivated {id}: it is left out of searches and receives no new requests; its open "
                           "requests stay with it (`imi request reassign ID --to AUTHORITY` moves one). "
                           "Queued: `imi sync` takes it to every store", id=ident))


@app.command("reactivate")
@data_options
def reactivate(ident: str = typer.Argument(..., metavar="ID", help="Authority id.")) -> None:
    """Make a deactivated authority active again: found by searches, and receiving requests."""
    from imi_cli.directory.authorities import Directory

    with state().open_store() as store:
        report = Directory(store).update_authority(ident, {"deactivated": False},
                                                   source=f"imi authority reactivate {ident}")
    _said(report, ident, t("Reactivated {id} (queued: `imi sync` takes it to every store)", id=ident))


@app.command("show")
@data_options
def show(ident: str = typer.Argument(..., metavar="ID", help="Authority id.")) -> None:
    """Everything the directory holds about one authority, in your language."""
    from imi_cli.directory.authorities import Directory
    from imi_cli.directory.render import authority_lines

    s = state()
    with s.open_store() as store:
        record = Directory(store).get(ident)
    if s.as_json:
        print_json(record)
    else:
        print_table([{"k": k, "v": v} for k, v in authority_lines(record, s.lang)], [("k", ""), ("v", "")])


@app.command("search")
@listing_options
def search(
    text: Optional[str] = typer.Argument(None, metavar="TEXT",
                                         help="Words to find in names and competences (any language)."),
    country: Optional[str] = typer.Option(None, "--country", help="Only this country, e.g. HU."),
    area: Optional[str] = typer.Option(None, "--area", help="Only this legislative area."),
    competence: Optional[str] = typer.Option(None, "--competence", help="Only with this competence."),
    language: Optional[str] = typer.Option(None, "--language", help="Only working in this language."),
    limit: int = typer.Option(20, "--limit", min=1, max=1000, help="At most this many results."),
    deactivated: bool = typer.Option(False, "--include-deactivated", help="Find deactivated authorities too."),
) -> None:
    """Find competent authorities: case- and diacritics-insensitive, prefixes, ranked."""
    from imi_cli.directory.authorities import Directory

    s = state()
    with s.open_store() as store:
        rows = Directory(store).search(text, country=country, area=area, competence=competence,
                                       language=language, lang=s.lang, limit=limit, deactivated=deactivated)
    from imi_cli.directory.render import headings

    emit(rows, as_json=s.as_json, columns=headings(LIST_COLUMNS))
    if not rows and not s.as_json:
        message(_("No authority matches."))


@app.command("export")
@data_options
def export(
    fmt: str = typer.Option("json", "--format", help="json, yaml or csv (a cell that starts with =, +, -, @, "
                            "a tab or a carriage return gets a ' in front, so a spreadsheet never runs it "
                            "as a formula; import takes it away)."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write to this file (default: stdout)."),
) -> None:
    """Every authority, in a form `imi authority import` reads back.

    In CSV, cells a spreadsheet would run as formulas start with a ' (OWASP CSV-injection guidance)."""
    from imi_cli.bulk.exports import export_authorities
    from imi_cli.cli.output_files import check_output_file

    if output:
        check_output_file(output, "-o")
    with state().open_store() as store:
        from imi_cli.directory.authorities import Directory

        text = export_authorities(list(Directory(store).all()), fmt)
    if output:
        output.write_text(text, encoding="utf-8")
        message(t("Wrote {path}", path=output))
    else:
        typer.echo(text, nl=False)
