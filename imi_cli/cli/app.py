"""The `imi` command: global options, command groups, and errors -> exit codes (only here)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from imi_cli import __version__
from imi_cli.errors import ExitCode, ImiError, InvalidInput, UsageError

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
    from imi_cli.cli.environment import State, set_state
    from imi_cli.cli.settings import resolve
    from imi_cli.questionnaires.registry import configure as configure_catalogs
    from imi_cli.reference.languages import is_language

    if lang is not None and not is_language(lang):
        raise UsageError(f"--lang {lang!r} is not an IMI language code",
                       hint="use one of: bg cs da de el en es et fi fr ga hr hu it lt lv mt nl pl pt ro sk sl sv is no")
    settings = resolve({"store": store, "lang": lang}, config)
    set_state(State(settings, as_json=as_json))
    configure_catalogs(settings.questionnaires, settings.sources["questionnaires"])


def _register() -> None:
    from imi_cli.commands import register

    register(app)


_register()

# Global options a user may also write after the subcommand (`imi authority show X --lang hu`).
_GLOBAL_VALUED = ("--lang", "--store", "--config")


def _hoist_globals(argv: list[str]) -> list[str]:
    """Move global options written after the subcommand to the front, where Typer reads them."""
    cut = argv.index("--") if "--" in argv else len(argv)
    head, tail, front = argv[:cut], argv[cut:], []
    rest: list[str] = []
    i = 0
    while i < len(head):
        arg = head[i]
        if arg == "--json":
            front.append(arg)
        elif arg in _GLOBAL_VALUED and i + 1 < len(head):
            front += [arg, head[i + 1]]
            i += 1
        elif arg.split("=", 1)[0] in _GLOBAL_VALUED and "=" in arg:
            front.append(arg)
        else:
            rest.append(arg)
        i += 1
    return front + rest + tail


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
    args = _hoist_globals(list(sys.argv[1:] if argv is None else argv))
    try:
        # Without standalone mode Click returns typer.Exit's code instead of raising it.
        code = app(args, prog_name="imi", standalone_mode=False)
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
    except typer.TyperException as usage:  # Typer's own usage errors carry their exit code
        usage.show()
        return _exit(getattr(usage, "exit_code", ExitCode.USAGE))
    except Exception as exc:  # SQLite's word on a damaged, full or read-only store
        store_error = _store_error(exc)
        if store_error is None:
            raise
        report(store_error)
        return _exit(store_error.exit_code)
    return _exit(code if isinstance(code, int) else ExitCode.OK)


def _store_error(exc: Exception) -> ImiError | None:
    if "sqlcipher3" not in sys.modules:
        return None
    from imi_cli.cli.environment import state
    from imi_cli.log.store import database_error

    return database_error(exc, state().store_path)


def _exit(code: int) -> int:
    sys.stdout.flush()
    return int(code)


def run() -> None:
    sys.exit(main())
