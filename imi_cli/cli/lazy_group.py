"""The root command group, whose commands are imported only when they are used.

Typer builds a group by importing every command module up front; this group instead
reads ``imi_cli.commands.COMMANDS`` and imports a module when one of its commands is
run, its help is asked for, or a test walks the tree. `imi --help` shows the table's
one-line help without importing anything.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup
from typer.main import get_command_from_info, get_group_from_info
from typer.models import CommandInfo, TyperInfo

from imi_cli.cli.translated import TranslatedContext, translate
from imi_cli.commands import COMMANDS, Entry
from imi_cli.i18n import _


def load(name: str, entry: Entry) -> Any:
    """The click command for one table entry, built as Typer's add_typer would build it."""
    target = getattr(importlib.import_module(f"imi_cli.commands.{entry.module}"), entry.attr)
    if isinstance(target, typer.Typer):
        return translate(get_group_from_info(TyperInfo(target, name=name, help=entry.help),
                                             pretty_exceptions_short=False, suggest_commands=True,
                                             rich_markup_mode=None))
    return translate(get_command_from_info(CommandInfo(name, callback=target), pretty_exceptions_short=False,
                                           rich_markup_mode=None))


class LazyCommands(MutableMapping[str, Any]):
    """The group's commands: the table's names, each loaded on first access."""

    def __init__(self, table: dict[str, Entry], eager: MutableMapping[str, Any]) -> None:
        self.table = table
        self.loaded: dict[str, Any] = dict(eager)

    def __getitem__(self, name: str) -> Any:
        if name not in self.loaded:
            if name not in self.table:
                raise KeyError(name)
            self.loaded[name] = load(name, self.table[name])
        return self.loaded[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self.loaded[name] = command

    def __delitem__(self, name: str) -> None:
        del self.loaded[name]

    def __iter__(self) -> Iterator[str]:
        yield from self.table
        yield from (name for name in self.loaded if name not in self.table)

    def __len__(self) -> int:
        return len(set(self.table) | set(self.loaded))

    def __contains__(self, name: object) -> bool:
        return name in self.table or name in self.loaded


class LazyGroup(TyperGroup):
    """Typer's group over ``LazyCommands``; its help lists the commands from the table."""

    table: dict[str, Entry] = COMMANDS
    context_class = TranslatedContext

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = LazyCommands(self.table, self.commands)
        translate(self, recursive=False)

    def get_params(self, ctx: Any) -> list[Any]:
        """The options, with those Typer adds once the group is built (``--install-completion``,
        ``--show-completion``) translated too."""
        params = super().get_params(ctx)
        for param in params:
            if getattr(param, "help", None) and not getattr(param, "_imi_translated", False):
                param.help = _(param.help)  # type: ignore[attr-defined]
                param._imi_translated = True  # type: ignore[attr-defined]
        return params

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        names = list(self.commands)
        if not names:
            return
        limit = formatter.width - 6 - max(map(len, names))
        rows = [(name, self._summary(name).get_short_help_str(limit)) for name in names]
        with formatter.section(_("Commands")):
            formatter.write_dl(rows)

    def _summary(self, name: str) -> Any:
        """The loaded command, or a stand-in carrying the table's help line (no import)."""
        loaded = self.commands.loaded  # type: ignore[attr-defined]
        return loaded[name] if name in loaded else TyperCommand(name=name, help=_(self.table[name].help))
