"""`imi area list` and `imi country list`: reference data, no store needed."""

from __future__ import annotations

import typer

from imi_cli.cli.environment import state
from imi_cli.cli.options import catalog_listing_options
from imi_cli.cli.output import emit
from imi_cli.i18n import _

app = typer.Typer(no_args_is_help=True)
country_app = typer.Typer(no_args_is_help=True)


@app.command("list")
@catalog_listing_options
def list_areas() -> None:
    """The legislative areas, with their legal basis, named in your language."""
    from imi_cli.reference.areas import load_areas

    s = state()
    rows = [{"id": a.id, "name": a.name(s.lang), "legal_basis": a.legal_basis}
            for a in load_areas().values()]
    emit(rows, as_json=s.as_json, columns=[("id", _("id")), ("name", _("name")), ("legal_basis", _("legal basis"))])


@country_app.command("list")
@catalog_listing_options
def list_countries() -> None:
    """The IMI countries (EU-27, Iceland, Liechtenstein, Norway), named in your language."""
    from imi_cli.reference.countries import list_countries as countries

    s = state()
    emit(countries(s.lang), as_json=s.as_json, columns=[("code", _("code")), ("name", _("name"))])
