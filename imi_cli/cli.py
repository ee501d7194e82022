"""The `imi` command: global options, command groups, and errors -> exit codes (only here)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from imi_cli import __version__
from imi_cli.errors import ExitCode, ImiError, InvalidInput

app = typer.Typer(
    name="imi",
    help="IMI, the Internal Market Information System, at the terminal.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"imi {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    store: Optional[Path] = typer.Option(None, "--store", help="Encrypted store file [env: IMI_STORE]."),
    config: Optional[Path] = typer.Option(None, "--config", help="Config file [env: IMI_CONFIG]."),
    lang: Optional[str] = typer.Option(None, "--lang", help="Display language, e.g. en, hu [env: IMI_LANG]."),
    as_json: bool = typer.Option(False, "--json", help="Print data as JSON (also accepted after the subcommand)."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Show the version and exit."),
) -> None:
    from imi_cli.context import State, set_state
    from imi_cli.languages import is_language
    from imi_cli.settings import resolve

    if lang is not None and not is_language(lang):
        raise ImiError(f"--lang {lang!r} is not an IMI language code",
                       hint="use one of: bg cs da de el en es et fi fr ga hr hu it lt lv mt nl pl pt ro sk sl sv is no")
    settings = resolve({"store": store, "lang": lang}, config)
    set_state(State(settings, as_json=as_json or _JSON_AFTER[0]))


def _register() -> None:
    from imi_cli.commands import register

    register(app)


_register()

_JSON_AFTER = [False]


def _hoist_json(argv: list[str]) -> list[str]:
    """Accept --json after the subcommand too, by taking it out of the arguments."""
    if "--" in argv:
        cut = argv.index("--")
        head, tail = argv[:cut], argv[cut:]
    else:
        head, tail = argv, []
    if "--json" in head:
        _JSON_AFTER[0] = True
        head = [a for a in head if a != "--json"]
    return head + tail


def report(error: ImiError) -> None:
    """One clear message (plus problems and a hint) on stderr; never a traceback."""
    out = sys.stderr
    out.write(f"imi: error: {error.message}\n")
    if isinstance(error, InvalidInput):
        for problem in error.problems:
            out.write(f"  {problem}\n")
    if error.hint:
        out.write(f"  hint: {error.hint}\n")


def main(argv: list[str] | None = None) -> int:
    args = _hoist_json(list(sys.argv[1:] if argv is None else argv))
    try:
        app(args, prog_name="imi", standalone_mode=False)
    except ImiError as error:
        report(error)
        return _exit(error.exit_code)
    except typer.Exit as done:
        return _exit(done.exit_code)
    except typer.Abort:
        sys.stderr.write("imi: aborted\n")
        return _exit(ExitCode.ERROR)
    except KeyboardInterrupt:
        sys.stderr.write("imi: interrupted\n")
        return _exit(130)
    except Exception as click_error:  # click's usage errors carry their own exit code
        return _click_error(click_error)
    return _exit(ExitCode.OK)


def _click_error(error: Exception) -> int:
    import click

    if isinstance(error, click.ClickException):
        error.show()
        return _exit(error.exit_code)
    raise error


def _exit(code: int) -> int:
    sys.stdout.flush()
    return int(code)


def run() -> None:
    sys.exit(main())
