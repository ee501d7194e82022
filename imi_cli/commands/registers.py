"""`imi registers ...`: the directory of registers — which register holds what, who keeps it
and how another state's authority consults it (Services Directive Art. 28(7))."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, List, Optional

import typer

from imi_cli.cli.environment import state
from imi_cli.cli.file_options import import_file_options
from imi_cli.cli.options import data_options, listing_options
from imi_cli.cli.output import message, print_json
from imi_cli.i18n import N_, _, nt, t

if TYPE_CHECKING:
    from imi_cli.bulk.readers import FileReading

app = typer.Typer(no_args_is_help=True)
LIST = [("id", N_("register")), ("country", N_("country")), ("name", N_("name")), ("covers", N_("covers")),
        ("holder", N_("held by")), ("access", N_("access"))]
# how a register is consulted, as a person reads it (the code stays in JSON and exports)
ACCESS_LABELS = {"online": N_("online"), "on_request": N_("on request"),
                 "online_and_on_request": N_("online and on request")}


# the details of how a register is consulted, after its way ("access: online; url: https://...")
ACCESS_DETAILS = {"url": N_("url: {value}"), "fee": N_("fee: {value}"), "terms": N_("terms: {value}")}


def _access(how: str) -> str:
    return _(ACCESS_LABELS[how]) if how in ACCESS_LABELS else how


def _registers(store):
    from imi_cli.repositories.registers.service import Registers

    return Registers(store)


@app.command("add")
@data_options
def add(ident: str = typer.Option(..., "--id", help="Its id (it begins with the country code)."),
        country: str = typer.Option(..., "--country", help="Its country."),
        names: List[str] = typer.Option(..., "--name", help="LANG=NAME, e.g. hu=Építészek névjegyzéke (repeat)."),
        holder: str = typer.Option(..., "--holder", help="The authority that keeps it."),
        area: str = typer.Option(..., "--area", help="Legislative area."),
        covers: str = typer.Option(..., "--covers", help="Professions (codes) or activities, ','-separated."),
        access: str = typer.Option(..., "--access", help="online, on_request or online_and_on_request."),
        url: Optional[str] = typer.Option(None, "--url", help="Where to consult it online."),
        fee: Optional[str] = typer.Option(None, "--fee", help="What consulting it costs."),
        terms: Optional[str] = typer.Option(None, "--terms", help="The terms on which other states' authorities "
                                                                  "consult it (Art. 28(7))."),
        languages: str = typer.Option(..., "--languages", help="Its languages, ','-separated."),
        legal_basis: Optional[str] = typer.Option(None, "--legal-basis", help="The act it is kept under.")) -> None:
    """Coordinators: add or change an entry of your country's registers."""
    from imi_cli.commands.request import _pairs

    raw: dict = {"id": ident, "country": country, "holder": holder, "area": area, "covers": covers,
                 "access": access, "languages": languages,
                 **{f"name:{k}": v for k, v in _pairs(names, "--name").items()}}
    raw.update({k: v for k, v in (("url", url), ("fee", fee), ("terms", terms), ("legal_basis", legal_basis)) if v})
    with state().open_store() as store:
        # Translators: where the problems of `imi registers add` are, in "{source}: 2 problems; ..."
        report = _registers(store).record_rows([("--", raw)], source=_("the options"))
    message(t("Recorded register {id} (queued: `imi sync` takes it to the hub)", id=ident) if report["recorded"]
            else t("Recorded register {id}: it was recorded so already", id=ident))


@app.command("import")
@data_options
@import_file_options
def import_(path: Path = typer.Argument(..., metavar="FILE",
                                        help="CSV (name:xx columns, lists separated by ';' or ','), YAML or JSON."),
            fmt: Optional[str] = typer.Option(None, "--format", help="csv, yaml or json (default: by suffix)."),
            dry_run: bool = typer.Option(False, "--dry-run", help="Check everything, change nothing."),
            *, reading: FileReading) -> None:
    """Coordinators: record many entries at once (all or nothing; unchanged ones are skipped)."""
    s = state()
    with s.open_store() as store:
        report = _registers(store).record_file(path, fmt, dry_run=dry_run, reading=reading)
    if s.as_json:
        print_json(report)
        return
    from imi_cli.i18n import formats

    counts = {"recorded": formats.number(report["recorded"]), "unchanged": formats.number(report["unchanged"])}
    # Translators: {recorded} and {unchanged} are numbers of registers
    message(t("Would record {recorded}; {unchanged} unchanged", **counts) if dry_run
            else t("Recorded {recorded}; {unchanged} unchanged", **counts))


@app.command("search")
@listing_options
def search(words: Optional[str] = typer.Argument(None, metavar="TEXT",
                                                 help="Words of its name, what it covers or contains, in "
                                                      "any IMI language (a profession in any language)."),
           country: Optional[str] = typer.Option(None, "--country", help="Its country."),
           area: Optional[str] = typer.Option(None, "--area", help="Legislative area.")) -> None:
    """Find registers; names are shown in your language where the register has one."""
    from imi_cli.commands.request import _emit
    from imi_cli.repositories.registers.service import search as find

    s = state()
    with s.open_store() as store:
        rows = find(store.conn, words, country=country, area=area, lang=s.lang)
    from imi_cli.commands.authority import shown_rows
    from imi_cli.directory.render import headings

    _emit(rows if s.as_json else shown_rows(rows, {"access": _access}), s.as_json, headings(LIST))
    if not rows and not s.as_json:
        message(_("No register matches."))


@app.command("show")
@data_options
def show(ident: str = typer.Argument(..., metavar="ID", help="Register id.")) -> None:
    """One register: names, what it covers and contains, how to consult it."""
    from imi_cli.reference.languages import pick
    from imi_cli.reference.professions import shown
    from imi_cli.safe_text import safe_text as safe

    s = state()
    with s.open_store() as store:
        r = _registers(store).get(ident)
    if s.as_json:
        print_json(r)
        return
    access = r["access"]
    lines = [f"{safe(pick(r['names'], s.lang)[0])}  ({safe(r['id'])}, {safe(r['country'])}, {safe(r['area'])})",
             t("kept by {holder}; languages: {languages}", holder=safe(r["holder"]),
               languages=", ".join(safe(x) for x in r["languages"])),
             t("covers: {covers}", covers="; ".join(safe(shown(c, s.lang)) for c in r["covers"])),
             t("access: {how}", how=safe(_access(access["how"])))
             + "".join("; " + t(ACCESS_DETAILS[k], value=safe(access[k])) for k in ("url", "fee", "terms")
                       if access.get(k))]
    if r.get("contents"):
        lines.append(t("contains: {contents}", contents=safe(pick(r["contents"], s.lang)[0])))
    if r.get("legal_basis"):
        lines.append(t("legal basis: {act}", act=safe(r["legal_basis"])))
    typer.echo("\n".join(lines))


@app.command("export")
@data_options
def export(country: Optional[str] = typer.Option(None, "--country", help="Only this country."),
           output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write to this file.")) -> None:
    """The registers as JSON in the import format."""
    s = state()
    with s.open_store() as store:
        sql = "SELECT record FROM registers" + (" WHERE country = ?" if country else "") + " ORDER BY id"
        rows = [json.loads(x) for (x,) in store.conn.execute(sql, (country.upper(),) if country else ())]
    text = json.dumps({"registers": rows}, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        typer.echo(text, nl=False)
    else:
        from imi_cli.cli.output_files import write_output

        write_output(output, text, "-o")
        message(nt("Wrote {n} register to {path}", "Wrote {n} registers to {path}", len(rows), path=output))
