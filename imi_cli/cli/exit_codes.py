"""The one map from what a command raised to what the user sees and the exit code.

Everything a run can end with passes through ``exit_status``: imi's own errors (each
carries its code, ``imi_cli.errors.ExitCode``), SQLite's word on a damaged, full or
read-only store, Click's usage errors, an abort, Ctrl-C. Anything else is a bug and
keeps its traceback.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import typer

from imi_cli.errors import ExitCode, ImiError, InvalidInput
from imi_cli.i18n import _, t

if TYPE_CHECKING:
    from imi_cli.cli.environment import Environment

INTERRUPTED = 130  # the shell's code for a process ended by SIGINT


def exit_status(exc: BaseException, env: Environment) -> int:
    """Tell the user (on ``env.stderr``) and return the exit code; re-raise a bug."""
    error = as_imi_error(exc, env)
    if error is not None:
        report(error, env)
        return int(error.exit_code)
    if isinstance(exc, typer.Exit):
        return int(exc.exit_code)
    if isinstance(exc, typer.Abort):
        env.stderr.write(_("imi: aborted") + "\n")
        return int(ExitCode.ERROR)
    if isinstance(exc, KeyboardInterrupt):
        env.stderr.write(_("imi: interrupted") + "\n")
        return INTERRUPTED
    if isinstance(exc, typer.TyperException):  # Click's usage errors, in the interface language, code 2
        from imi_cli.cli.translated import usage_error

        env.stderr.write(usage_error(exc) + "\n")
        return int(getattr(exc, "exit_code", ExitCode.USAGE))
    raise exc


def as_imi_error(exc: BaseException, env: Environment) -> ImiError | None:
    """imi's error for ``exc``: itself, or what SQLite's error means for the store."""
    if isinstance(exc, ImiError):
        return exc
    if "sqlcipher3" in sys.modules and isinstance(exc, Exception) and env.configured:
        from imi_cli.log.store import database_error

        return database_error(exc, env.store_path)
    return None


def report(error: ImiError, env: Environment) -> None:
    """One clear message (plus problems and a hint) on stderr; never a traceback. With
    ``--json`` (or ``--format json``) the error is a JSON object on stderr as well: a script
    reads ``msgid``, ``params`` and ``exit_code`` the same in every language."""
    from imi_cli.safe_text import safe_text

    out = env.stderr
    if env.as_json:
        from imi_cli.bulk.exports import to_json
        from imi_cli.safe_text import json_text

        body = error.as_dict()
        if isinstance(error, InvalidInput):
            body["problems"] = [problem.as_dict() for problem in error.problems]
        out.write(json_text(to_json(body)) + "\n")
        return
    out.write(t("imi: error: {message}", message=safe_text(error.message, multiline=True)) + "\n")  # it may quote input
    if isinstance(error, InvalidInput):
        for problem in error.problems[:error.shown]:
            out.write(f"  {safe_text(problem)}\n")
        if error.shown is not None and len(error.problems) > error.shown:
            from imi_cli.i18n import formats, nt

            more = len(error.problems) - error.shown
            # Translators: after the first problems of a long list; --all-problems is an option, not translated
            out.write("  " + nt("… and {n} more (--all-problems to list them all)",
                                "… and {n} more (--all-problems to list them all)", more,
                                n=formats.number(more)) + "\n")
    if error.hint:
        out.write("  " + t("hint: {hint}", hint=safe_text(error.hint, multiline=True)) + "\n")
