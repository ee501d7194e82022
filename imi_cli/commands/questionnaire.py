"""`imi questionnaire ...`: validate, list, show, coverage, export-po, import-po.

Thin: each command parses options, calls the core in imi_cli.questionnaires, prints.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)


@app.command()
def validate(
    paths: Optional[List[Path]] = typer.Argument(
        None, help="Catalog files or folders (default: the shipped questionnaires)."),
    fmt: Optional[str] = typer.Option(
        None, "--format", "-f",
        help="text | github | sarif | junit | json (default: github on GitHub Actions, else text)."),
    strict: bool = typer.Option(False, "--strict", help="Fail on warnings too."),
    against: Optional[str] = typer.Option(
        None, "--against", metavar="GIT_REF",
        help="Also compare with this git revision: version bumps (V001), reused ids (V002)."),
) -> None:
    """Check catalogs against the format; print every finding. Exit 1 if any fails."""
    from imi_cli.context import state
    from imi_cli.errors import UsageError
    from imi_cli.questionnaires.catalog import Catalog, shipped_dir
    from imi_cli.questionnaires.findings import has_failures
    from imi_cli.questionnaires.formats import FORMATS, auto_format, render

    chosen = auto_format(fmt, state().as_json)
    if chosen not in FORMATS:
        raise UsageError(f"--format {fmt!r} is not one of: " + ", ".join(FORMATS))
    catalog = Catalog.from_paths(paths or [shipped_dir()])
    findings = catalog.validate(against=against)
    sys.stdout.write(render(findings, chosen, [str(p) for p in _names(catalog.files)]))
    if chosen == "text":
        _summary(len(catalog.files), findings)
    if has_failures(findings, strict):
        raise typer.Exit(1)


def _names(files: list[Path]) -> list[str]:
    from imi_cli.questionnaires.catalog import display_name

    return [display_name(p) for p in files]


def _summary(count: int, findings: list) -> None:
    from imi_cli.output import message

    errors = sum(f.level == "error" for f in findings)
    warnings = len(findings) - errors
    message(f"{count} file(s) checked: {errors} error(s), {warnings} warning(s)")
