"""Options shared by many commands, declared once (as sqlite-utils' ``output_options``).

    @app.command("show")
    @data_options
    def show(ident: str = typer.Argument(...)) -> None: ...

adds ``--json``, ``--lang`` and ``--store`` to the command: they show in its help, and
Click parses them where they stand, so a value that looks like an option
(``--subject --json``) stays a value. Given after the subcommand they win over the same
options given before it; the command reads the result from ``environment()``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any, Optional, TypeVar

import typer

F = TypeVar("F", bound=Callable[..., Any])

# name -> (the keyword the command's wrapper receives, its type, the option)
SHARED: dict[str, tuple[str, Any, Any]] = {
    "json": ("shared_json", bool, typer.Option(False, "--json", help="Print data as JSON.")),
    # how a listing is printed; --json is --format json
    "format": ("shared_format", Optional[str], typer.Option(
        None, "--format", metavar="FORMAT",
        help="table, tsv, csv or json (default: a table on a terminal, tab-separated lines in a pipe).")),
    "lang": ("shared_lang", Optional[str], typer.Option(
        None, "--lang", help="Display language, e.g. en, hu [env: IMI_LANG].")),
    "store": ("shared_store", Optional[Path], typer.Option(
        None, "--store", help="Encrypted store file [env: IMI_STORE].")),
    # the language of what the user writes (a subject, a comment, a free-text answer), which the
    # other side reads with its tag; the interface language is --lang's
    "written": ("shared_written", Optional[str], typer.Option(
        None, "--written-in", help="Language of the texts you write here, e.g. de (default: --lang).")),
}


def shared_options(*names: str) -> Callable[[F], F]:
    """A decorator adding the shared options ``names`` (json, format, lang, store, written) to a command."""
    unknown = set(names) - set(SHARED)
    if unknown:
        raise ValueError(f"no shared options {sorted(unknown)}")

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            given = {name: kwargs.pop(SHARED[name][0], None) for name in names}
            from imi_cli.cli.environment import environment

            environment().override(as_json=bool(given.get("json")), lang=given.get("lang"),
                                   store=given.get("store"), written=given.get("written"),
                                   output_format=given.get("format"))
            return func(*args, **kwargs)

        # Typer reads a command's options from its signature and type hints.
        signature = inspect.signature(func)
        extra = [inspect.Parameter(SHARED[name][0], inspect.Parameter.KEYWORD_ONLY,
                                   default=SHARED[name][2], annotation=SHARED[name][1]) for name in names]
        wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[*signature.parameters.values(), *extra])
        wrapper.__annotations__ = {**func.__annotations__, **{SHARED[n][0]: SHARED[n][1] for n in names}}
        return wrapper  # type: ignore[return-value]

    return decorate


json_option = shared_options("json")
# commands that print data but need no store (reference data, catalogs)
output_options = shared_options("json", "lang")
# listings of reference data and catalogs (no store): --format as well
catalog_listing_options = shared_options("json", "format", "lang")
# commands that open the store and print what they did or found
data_options = shared_options("json", "lang", "store")
# listings of what the store holds: --format table|tsv|csv|json as well
listing_options = shared_options("json", "format", "lang", "store")
# commands on the store that print no data
store_options = shared_options("lang", "store")
# commands that record texts the user writes (their language is told beside them)
writing_options = shared_options("json", "lang", "store", "written")
