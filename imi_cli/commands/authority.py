"""`imi authority ...`: register, import, show, search, export."""

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


def report_import(report, noun: str) -> None:
    """``noun``: authorities, authority, users or user (what the command imported)."""
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


@app.command("import")
@data_options
@import_file_options
def import_(
    file: Path = typer.Argument(..., metavar="FILE", help="CSV, YAML or JSON file of authorities."),
    fmt: Optional[str] = typer.Option(None, "--format", help="csv, yaml or json (default: by extension)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check and report; write nothing."),
    *, reading: FileReading,
) -> None:
    """Register or update many authorities from a file: all or nothing, idempotent."""
    from imi_cli.directory.authorities import Directory

    with state().open_store() as store, progress_bar(_("Importing authorities")) as progress:
        report = Directory(store).import_authorities(file, fmt, dry_run=dry_run, progress=progress, reading=reading)
    report_import(report, "authorities")


@app.command("register")
@data_options
def register(
    ident: str = typer.Option(..., "--id", help="Authority id, e.g. HU-EPK."),
    country: str = typer.Option(..., "--country", help="Country code, e.g. HU."),
    names: List[str] = typer.Option(..., "--name", help="Name as LANG=TEXT, e.g. hu='Magyar Építész Kamara'; repeat."),
    languages: str = typer.Option(..., "--languages", help="Working languages, ';'-separated, e.g. hu;en."),
    areas: str = typer.Option(..., "--areas", help="Legislative areas, ';'-separated."),
    email: str = typer.Option(..., "--email", help="Contact e-mail."),
    competences: str = typer.Option("", "--competences", help="Competences, ';'-separated (area:keyword or keyword)."),
    kind: str = typer.Option("authority", "--kind", help="authority, area_coordinator or national_coordinator."),
    coordinator: Optional[str] = typer.Option(None, "--coordinator", help="Id of the coordinating authority."),
) -> None:
    """Register (or update) one authority."""
    from imi_cli.directory.authorities import Directory
    from imi_cli.errors import UsageError

    raw: dict = {"id": ident, "country": country, "languages": languages, "areas": areas,
                 "email": email, "competences": competences, "kind": kind}
    for item in names:
        lang, sep, text = item.partition("=")
        if not sep:
            raise UsageError(msgid="option_needs_pairs", params={
                "option": "--name", "value": item, "form": _("LANG=TEXT, e.g. en='Chamber of Architects'")})
        raw[f"name:{lang.strip().lower()}"] = text
    if coordinator:
        raw["coordinator"] = coordinator
    with state().open_store() as store:
        report = Directory(store).register_authorities([(f"--id {ident}", raw)],
                                                       source="imi authority register")
    report_import(report, "authority")


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
) -> None:
    """Find competent authorities: case- and diacritics-insensitive, prefixes, ranked."""
    from imi_cli.directory.authorities import Directory

    s = state()
    with s.open_store() as store:
        rows = Directory(store).search(text, country=country, area=area, competence=competence,
                                       language=language, lang=s.lang, limit=limit)
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
