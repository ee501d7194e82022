"""`imi questionnaire ...`: validate, list, show, coverage, export-po, import-po.

Thin: each command parses options, calls the core in imi_cli.questionnaires, prints.

``--lang`` is the interface language here as everywhere (what imi says, and the language a set
is shown in by default); a set's own languages have their own options: ``show --language``
(the language to show it in) and ``export-po --to`` (the language to translate into).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, List, Optional

import typer

from imi_cli.cli.options import catalog_listing_options, output_options, shared_options
from imi_cli.i18n import _, t

if TYPE_CHECKING:
    from imi_cli.questionnaires.model import QuestionSet
    from imi_cli.questionnaires.registry import Registry

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)


@app.command()
@output_options
def validate(
    paths: Optional[List[Path]] = typer.Argument(
        None, metavar="PATH...", help="Catalog files or folders (default: the shipped questionnaires)."),
    fmt: Optional[str] = typer.Option(
        None, "--format", "-f",
        help="text | github | sarif | junit | json (default: github on GitHub Actions, else text)."),
    strict: bool = typer.Option(False, "--strict", help="Fail on warnings too."),
    against: Optional[str] = typer.Option(
        None, "--against", metavar="GIT_REF",
        help="Also compare with this git revision: version bumps (V001), reused ids (V002)."),
) -> None:
    """Check catalogs against the format; print every finding. Exit 1 if any fails."""
    from imi_cli import i18n
    from imi_cli.cli.environment import state
    from imi_cli.cli.output import message
    from imi_cli.errors import UsageError
    from imi_cli.questionnaires.catalog import Catalog, CatalogInvalid
    from imi_cli.questionnaires.checks.consistency import check_same_translations
    from imi_cli.questionnaires.findings import has_failures
    from imi_cli.questionnaires.formats import FORMATS, MACHINE_FORMATS, auto_format, render

    chosen = auto_format(fmt, state().as_json)
    if chosen not in FORMATS:
        raise UsageError(msgid="unknown_format", params={"option": "--format", "value": fmt,
                                                         "choices": ", ".join(FORMATS)})
    catalog = Catalog.from_paths(paths or [_catalogs().folder])
    if against and catalog.files:  # a mistyped ref is told in the interface language, before any output
        from imi_cli.questionnaires.history import require_ref

        require_ref(catalog.files[0], against)
    # What a program reads (JSON, SARIF, JUnit) says the findings in English, in any interface
    # language; text and GitHub annotations are read by a person.
    with i18n.language("en" if chosen in MACHINE_FORMATS else i18n.current()):
        findings = catalog.validate(against=against)
        findings = sorted(findings + check_same_translations(catalog.sets))  # G002: across the files
    sys.stdout.write(render(findings, chosen, _names(catalog.files), strict))
    summary = _summary(len(catalog.files), findings)
    if has_failures(findings, strict):
        raise CatalogInvalid(summary, hint=None if strict or not findings else
                             _("fix the errors above; warnings fail only with --strict"))
    if chosen == "text":
        message(summary)


def _names(files: list[Path]) -> list[str]:
    from imi_cli.questionnaires.catalog import display_name

    return [display_name(p) for p in files]


def _summary(count: int, findings: list) -> str:
    errors = sum(f.level == "error" for f in findings)
    # Translators: {files}, {errors} and {warnings} are numbers; write it so that any number fits,
    # e.g. "files checked: {files}; errors: {errors}; warnings: {warnings}"
    return t("{files} file(s) checked: {errors} error(s), {warnings} warning(s)",
             files=count, errors=errors, warnings=len(findings) - errors)


@app.command("list")
@catalog_listing_options
def list_sets(
    area: Optional[str] = typer.Option(None, "--area", help="Only sets of this legislative area."),
) -> None:
    """List the question sets in the catalog folder (every version kept there)."""
    from imi_cli.cli.environment import state
    from imi_cli.cli.output import emit
    from imi_cli.questionnaires.model import status_label
    from imi_cli.reference.areas import get_area
    from imi_cli.reference.languages import pick

    if area is not None:
        get_area(area)  # NotFound, with a hint, for an unknown area
    lang = state().lang
    rows = [{"id": s.id, "version": s.version, "status": s.status, "area": s.area,
             "questions": len(s.questions), "title": pick(s.title, lang, s.source_language)[0]}
            for s in _listed_sets() if area is None or s.area == area]
    emit(rows, as_json=state().as_json,
         columns=[("id", _("Id")), ("version", _("Version")), ("status", _("Status")), ("area", _("Area")),
                  ("questions", _("Questions")), ("title", _("Title"))],
         shown={"status": status_label})


def _catalogs() -> Registry:
    """The catalog folder of this run (the `questionnaires` setting, else the shipped one)."""
    from imi_cli.questionnaires.registry import catalogs

    return catalogs()


def _listed_sets() -> list[QuestionSet]:
    """Every valid set of the catalog folder; broken files are named on stderr, not hidden."""
    from imi_cli.cli.output import message
    from imi_cli.questionnaires.catalog import display_name

    registry = _catalogs()
    sets = registry.all()
    for path in registry.broken:
        message(t("skipped {file}: it has errors (imi questionnaire validate)", file=display_name(path)))
    return sets


@app.command()
@output_options
def show(
    set_id: str = typer.Argument(..., metavar="ID", help="Question set id."),
    language: Optional[str] = typer.Option(
        None, "--language", metavar="CODE",
        help="Language to show the set in, e.g. de (default: the display language)."),
    version: Optional[str] = typer.Option(
        None, "--version", help="A version kept in the catalogs (default: the newest)."),
) -> None:
    """Show a question set's questions and answer options in one language."""
    from imi_cli.cli.environment import state
    from imi_cli.cli.output import print_json
    from imi_cli.questionnaires.catalog import find_set
    from imi_cli.questionnaires.render import as_text, set_view

    shown_in = _language(language, "--language") if language else state().lang
    view = set_view(find_set(set_id, version), shown_in)
    if state().as_json:
        print_json(view)
    else:
        sys.stdout.write(as_text(view))


def _language(code: str, option: str) -> str:
    from imi_cli.cli.environment import check_language

    return check_language(code, option)


@app.command()
@catalog_listing_options
def coverage() -> None:
    """Percent translated, per language and question set."""
    from imi_cli.cli.environment import state
    from imi_cli.cli.output import emit
    from imi_cli.questionnaires.catalog import catalog_files
    from imi_cli.questionnaires.coverage import coverage_rows
    from imi_cli.reference.languages import LANGUAGES

    current = [p for p in catalog_files([_catalogs().folder]) if "@" not in p.stem]  # not kept versions
    sets = coverage_rows(current)
    table = [{"lang": lang, **{row["id"]: f"{row['percent'][lang]}%" for row in sets}}
             for lang in LANGUAGES]
    percent = {row["id"]: _as_percent for row in sets}  # on a terminal, as the language writes it
    emit({row["id"]: row["percent"] for row in sets}, as_json=state().as_json, rows=table,
         columns=[("lang", _("Language"))] + [(row["id"], row["id"]) for row in sets], shown=percent)


def _as_percent(cell: str) -> str:
    from imi_cli.i18n import formats

    return formats.percent(int(cell.rstrip("%")) / 100)


@app.command("export-po")
@shared_options("lang")
def export_po(
    set_id: str = typer.Argument(..., metavar="ID", help="Question set id."),
    to: Optional[str] = typer.Option(None, "--to", metavar="CODE", help="Language to translate into, e.g. de."),
    output: Optional[Path] = typer.Option(
        None, "-o", "--output",
        help="PO file to write (default: stdout). If it exists, changed sources are marked fuzzy."),
) -> None:
    """Write a PO file for translating a question set into one language."""
    from imi_cli.cli.output import message
    from imi_cli.cli.output_files import check_output_file
    from imi_cli.errors import UsageError
    from imi_cli.questionnaires.catalog import locate_file
    from imi_cli.questionnaires.po import export_po as export
    from imi_cli.questionnaires.po import load_for_translation

    # the target language is --to only, never the display language (--lang)
    if not to:
        raise UsageError(msgid="lang_needed_for_po",
                         hint=t("e.g. imi questionnaire export-po {id} --to de -o {id}.de.po", id=set_id))
    target = _language(to, "--to")
    if output is not None:
        check_output_file(output, "-o")
    _text, doc, _findings = load_for_translation(locate_file(set_id))
    po = export(doc, target, previous=output)
    if output is None:
        sys.stdout.buffer.write(po)
    else:
        output.write_bytes(po)
        message(t("wrote {path}", path=str(output)))


@app.command("import-po")
@shared_options("lang")
def import_po(
    po_file: Path = typer.Argument(..., metavar="FILE", help="A PO file made by export-po."),
    catalog_file: Optional[Path] = typer.Option(
        None, "--catalog", help="Catalog YAML to update (default: the shipped one of the set)."),
) -> None:
    """Bring translations from a PO file back into the catalog YAML (refused if a check would fail)."""
    from imi_cli.cli.output import message
    from imi_cli.errors import NotFound, UsageError
    from imi_cli.questionnaires.catalog import display_name, locate_file
    from imi_cli.questionnaires.po import header
    from imi_cli.questionnaires.po import import_po as run_import

    if po_file.is_dir():  # the sentence says "PO file" in the interface language; params keep it in English
        raise UsageError(t("{path} is a folder, not a PO file", path=str(po_file)),
                         msgid="input_is_folder", params={"path": str(po_file), "kind": "PO file"})
    if not po_file.is_file():
        raise NotFound(msgid="no_such_file", params={"path": str(po_file)})
    set_id, _lang = header(po_file)
    target = catalog_file or locate_file(set_id)
    plan = run_import(po_file, target)
    # Translators: the four fields before ({lang}) are numbers of texts; write it so that any number
    # fits, e.g. "{file}: updated: {updated}, unchanged: {unchanged}, ..."; {lang} is a language code
    message(t("{file}: {updated} updated, {unchanged} unchanged, {untranslated} untranslated, "
              "{fuzzy} fuzzy skipped ({lang})", file=display_name(target), updated=plan.updated,
              unchanged=plan.unchanged, untranslated=plan.untranslated, fuzzy=plan.skipped_fuzzy,
              lang=plan.lang))
