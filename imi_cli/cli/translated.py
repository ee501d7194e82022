"""The command tree in the interface language.

Typer takes help texts from the decorators and docstrings when it builds the tree, in
English; each command is translated here as it is built (the root in ``LazyGroup``, every
group and command in ``lazy_group.load``): its help, its one-line help and each option's help
are looked up in the catalog by their English text. Typer's own words ("Options",
"Commands", "required", ...) go through the same catalog; the ones its vendored Click prints
in English ("Usage:", "Show this message and exit.", the usage errors) are rendered here: by
the help option this module gives every command (``-h`` and ``--help``), the formatter of every
context, and ``usage_error`` (called by the one error map, ``imi_cli.cli.exit_codes``).

Every help page ends with the command's examples (``imi_cli.cli.examples``: command lines, not
translated, under a translated heading), and shows its arguments as Click does (``ID``,
``[TEXT]``), where Typer writes a required one in braces (``{ID}``), which reads as a
placeholder.
"""

from __future__ import annotations

import re
from typing import Any

import typer.core
from typer._click.core import Context
from typer._click.decorators import help_option
from typer._click.exceptions import BadParameter, MissingParameter, NoArgsIsHelpError, NoSuchOption
from typer._click.formatting import HelpFormatter
from typer.core import TyperArgument

from imi_cli.cli.examples import examples_of, wrapped
from imi_cli.i18n import N_, _, nt, t

# Typer's words, translated where it prints them (typer.core looks ``_`` up at each call).
typer.core._ = _  # type: ignore[attr-defined]
TYPER_WORDS = (N_("Options"), N_("Arguments"), N_("Commands"), N_("required"), N_("default: {default}"),
               N_("env var: {var}"), N_("(dynamic)"), N_("Aborted!"), N_("Missing command."),
               N_("No such command {name!r}."))


class TranslatedFormatter(HelpFormatter):
    """Click's help formatter with the usage line's prefix in the interface language."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, _("Usage: ") if prefix is None else prefix)


class TranslatedContext(Context):
    formatter_class = TranslatedFormatter

    def get_help(self) -> str:
        """The command's help page, then its examples (Click's ``Command.get_help`` and a section)."""
        formatter = self.make_formatter()
        self.command.format_help(self, formatter)
        lines = examples_of(command_path(self))
        if lines:
            with formatter.section(nt("Example", "Examples", len(lines))):
                for line in lines:
                    for piece in wrapped(line, formatter.width - formatter.current_indent):
                        formatter.write(f"{'':>{formatter.current_indent}}{piece}\n")
        return formatter.getvalue().rstrip("\n")


def command_path(ctx: Any) -> str:
    """The command's path below the root, as the examples are keyed: ``request show``."""
    names: list[str] = []
    while ctx.parent is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    return " ".join(reversed(names))


class PlainArgument(TyperArgument):
    """An argument as Click shows it: ``ID`` when required, ``[TEXT]`` when not."""

    def make_metavar(self, ctx: Any, *, usage: bool = False) -> str:
        var = super().make_metavar(ctx)
        return f"[{var}]" if usage and not self.required and not var.startswith("[") else var


def _plain_metavar(kind: Any) -> str | None:
    """An option's value as Click used to name it (TEXT, PATH, INTEGER), not ``<str>``; None
    (Click's own) for a choice, which lists its values. By the classes' names: Typer vendors
    its own copy of Click's types."""
    names = {cls.__name__ for cls in type(kind).__mro__}
    if "Choice" in names:
        return None
    if names & {"Path", "TyperPath", "File"}:
        return "PATH"
    if "IntParamType" in names:
        return "INTEGER"
    if "FloatParamType" in names:
        return "NUMBER"
    return "TEXT"


def translate(command: Any, *, recursive: bool = True) -> Any:
    """Translate ``command``'s texts in place (and its subcommands', already built ones)."""
    command.context_class = TranslatedContext
    if command.help:
        command.help = _(command.help)
    if command.short_help:
        command.short_help = _(command.short_help)
    for param in command.params:
        if getattr(param, "help", None):
            param.help = _(param.help)
        if type(param) is TyperArgument:
            param.__class__ = PlainArgument
        elif param.param_type_name == "option" and param.metavar is None and not getattr(param, "is_flag", False):
            param.metavar = _plain_metavar(param.type)
    _own_help_option(command)
    if recursive:
        for sub in (getattr(command, "commands", None) or {}).values():
            translate(sub)
    return command


def _own_help_option(command: Any) -> None:
    """``-h`` and ``--help``, with the text in the interface language (Click caches one option
    per command in ``_help_option`` and would otherwise make ``--help`` with an English text).
    A command with its own ``-h`` keeps it."""
    taken = {name for param in command.params for name in param.opts}
    help_option([*(["-h"] if "-h" not in taken else []), "--help"])(command)
    option = command.params.pop()
    option.help = _("Show this message and exit.")
    command._help_option = option


# Click's vendored sentences, recognised and said again in the interface language
_CLICK_SENTENCES = (
    (re.compile(r"^Got unexpected extra argument(?:s|\(s\))? \((?P<args>.*)\)$", re.S),
     N_("Unexpected extra arguments: {args}")),
    (re.compile(r"^Option (?P<name>'[^']*') requires an argument\.$"), N_("Option {name} needs a value.")),
    (re.compile(r"^Option (?P<name>'[^']*') requires (?P<count>\d+) arguments\.$"),
     N_("Option {name} needs {count} values.")),
    (re.compile(r"^(?P<value>'.*') is not a valid (?:int|integer|float)(?: range)?\.$", re.S),
     N_("{value} is not a number.")),
    (re.compile(r"^(?P<value>.*) is not in the range (?P<range>.*)\.$", re.S),
     N_("{value} is not in the range {range}.")),
    (re.compile(r"^(?P<value>'.*') is not a valid boolean\..*$", re.S), N_("{value} is not yes or no.")),
)
_DID_YOU_MEAN = re.compile(r"^(?P<message>.*)\. Did you mean (?P<options>.*)\?$", re.S)


def usage_error(exc: Any) -> str:
    """What a usage error from Click says, in the interface language: the usage line and a
    hint to ``--help`` when the command is known, then the error."""
    lines: list[str] = []
    ctx = getattr(exc, "ctx", None)
    if isinstance(exc, NoArgsIsHelpError):
        return exc.ctx.get_help()
    if ctx is not None:
        lines.append(ctx.get_usage())
        lines.append(t("Try '{command} --help' for help.", command=ctx.command_path))
        lines.append("")
    lines.append(t("Error: {message}", message=_error_message(exc)))
    return "\n".join(lines)


def _error_message(exc: Any) -> str:
    if isinstance(exc, MissingParameter):
        hint = _param_hint(exc)
        kind = exc.param_type or (exc.param.param_type_name if exc.param is not None else "parameter")
        if kind == "argument":
            return t("Missing argument {name}.", name=hint)
        if kind == "option":
            return t("Missing option {name}.", name=hint)
        return t("Missing parameter {name}.", name=hint)
    if isinstance(exc, NoSuchOption):
        text = t("No such option: {name}", name=exc.option_name)
        if exc.possibilities:
            text += " " + t("(Possible options: {options})", options=", ".join(sorted(exc.possibilities)))
        return text
    if isinstance(exc, BadParameter):
        hint, reason = _param_hint(exc), _sentence(str(exc.message))
        return t("Invalid value for {name}: {reason}", name=hint, reason=reason) if hint else \
            t("Invalid value: {reason}", reason=reason)
    message = str(getattr(exc, "message", "") or exc.format_message())
    suggestion = _DID_YOU_MEAN.match(message)
    if suggestion:  # Typer adds it in English after the (translated) sentence
        return suggestion["message"] + ". " + t("Did you mean {options}?", options=suggestion["options"])
    return _sentence(message)


def _sentence(message: str) -> str:
    for pattern, template in _CLICK_SENTENCES:
        match = pattern.match(message)
        if match:
            return t(template, **match.groupdict())
    return message


def _param_hint(exc: Any) -> str:
    hint = exc.param_hint
    if hint is None and exc.param is not None:
        hint = exc.param.get_error_hint(exc.ctx)
    if isinstance(hint, (list, tuple)):
        return " / ".join(repr(h) for h in hint)
    return hint or ""
