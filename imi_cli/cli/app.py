"""The `imi` command: the options given before the subcommand, the lazily loaded command
groups (``imi_cli.commands``), and one run from argv to exit code."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from imi_cli import __version__
from imi_cli.cli.lazy_group import LazyGroup

if TYPE_CHECKING:  # imported in the functions: `imi --help` never needs them
    from imi_cli.cli.environment import Environment

app = typer.Typer(
    name="imi",
    cls=LazyGroup,
    help="IMI, the Internal Market Information System, at the terminal.",
    no_args_is_help=True,
    # `imi --install-completion` (bash, zsh, fish, PowerShell) and `--show-completion`: the
    # shell asks `imi` itself, which names the commands without importing their modules
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"imi {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    store: Optional[Path] = typer.Option(None, "--store", help="Encrypted store file [env: IMI_STORE]."),
    config: Optional[Path] = typer.Option(None, "--config", help="Config file [env: IMI_CONFIG]."),
    lang: Optional[str] = typer.Option(None, "--lang", help="Display language, e.g. en, hu [env: IMI_LANG]."),
    as_json: bool = typer.Option(False, "--json", help="Print data as JSON (also accepted after the subcommand)."),
    output_format: Optional[str] = typer.Option(
        None, "--format", metavar="FORMAT",
        help="Listings as table, tsv, csv or json (default: a table on a terminal, tab-separated lines in a pipe)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print data and errors only, no other messages."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Tell each step (each event a sync moves, "
                                                                  "each row an import takes)."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Show the version and exit."),
) -> None:
    from imi_cli import i18n
    from imi_cli.cli.environment import Environment, activate

    env = ctx.obj if isinstance(ctx.obj, Environment) else Environment()
    env.configure({"store": store, "lang": lang}, config, as_json=as_json)
    env.choose_format(output_format)
    env.verbosity = -1 if quiet else 1 if verbose else 0
    # main() chose the language from --lang, IMI_LANG and the locale; the config file's `lang` is
    # known only now. main() resets both at the end of the run.
    if env.settings.lang:
        i18n.use(env.settings.lang)
    if env.settings.timezone:
        i18n.use_zone(env.settings.timezone)
    ctx.obj = env
    activate(env)  # for helpers without the context; main() resets it after the run


def main(argv: list[str] | None = None, env: Environment | None = None) -> int:
    """Run `imi` with ``argv`` (default: the process's) and return the exit code.
    ``env``: the environment to run in (default: this process's streams and settings)."""
    import os

    from imi_cli import i18n
    from imi_cli.cli.environment import Environment, activate, deactivate
    from imi_cli.cli.exit_codes import exit_status
    from imi_cli.i18n.choose import choose

    env = env or Environment()
    args = list(sys.argv[1:] if argv is None else argv)
    token = activate(env)
    # before the tree is built: its help texts are translated as it is built
    speaking, zone = i18n.use(choose(args, os.environ)), i18n.use_zone(None)
    try:
        # Without standalone mode Click returns typer.Exit's code instead of raising it.
        code = app(args, prog_name="imi", standalone_mode=False, obj=env)
        code = code if isinstance(code, int) else 0
    except BaseException as exc:  # noqa: BLE001 -- exit_status re-raises what is not ours
        code = exit_status(exc, env)
    finally:
        i18n.reset_zone(zone)
        i18n.reset(speaking)
        deactivate(token)
    env.stdout.flush()
    return int(code)


def run() -> None:
    sys.exit(main())
