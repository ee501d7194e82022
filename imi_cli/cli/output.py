"""Output helpers shared by every command: data to stdout, messages to stderr, both the
streams of the run's environment.

Tables and colour only on a terminal; ``--json`` everywhere data is printed.

Data never acts on the terminal (``imi_cli.safe_text``): control and bidirectional
characters are shown as escapes, tab-separated cells escape tabs, newlines and backslashes,
and rich gets data as ``Text``, never as markup (``[/]`` or ``[link=...]`` stay text).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TextIO

from imi_cli.bulk.exports import to_json
from imi_cli.safe_text import display, json_text, safe_text, tsv_line

__all__ = ["emit", "message", "print_json", "print_table", "progress_bar", "to_json"]


def _streams() -> tuple[TextIO, TextIO]:
    from imi_cli.cli.environment import environment

    env = environment()
    return env.stdout, env.stderr


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(file=_streams()[1 if stderr else 0], highlight=False, soft_wrap=True)


def print_json(data: Any) -> None:
    _streams()[0].write(json_text(to_json(data)) + "\n")


def message(text: str) -> None:
    """A human message (not data): stderr, so pipes of stdout stay clean. Plain text, never
    markup: a message may quote data (an id, a file name, the hub's reason)."""
    from rich.text import Text

    _console(stderr=True).print(Text(safe_text(text, multiline=True)))


# key -> how a cell of that column is shown on a terminal (a state's code as its translated
# label, a day as the language writes it); tab-separated output keeps the value itself
Shown = Mapping[str, Callable[[Any], str]]


def print_table(rows: Iterable[dict[str, Any]], columns: Sequence[tuple[str, str]],
                title: str | None = None, shown: Shown | None = None) -> None:
    """Rows as a table on a terminal; tab-separated lines otherwise (for scripts).

    ``columns`` are (key, heading) pairs: the heading and the ``title`` are shown as given,
    so the caller translates them (``("state", _("State"))``); the cells are data, never
    translated here. ``shown`` maps a column's key to how its cells read on a terminal
    (``{"state": lambda code: _(STATE_LABELS[code])}``); tab-separated output and JSON keep
    the code."""
    rows = list(rows)
    out = _streams()[0]
    if not out.isatty():  # control characters escaped; cells a spreadsheet would run get a ' in front
        from imi_cli.bulk.spreadsheet import neutralise_tsv

        out.write(neutralise_tsv("".join(tsv_line([row.get(key) for key, _ in columns]) for row in rows)))
        return
    from rich.table import Table
    from rich.text import Text

    # A key/value table (every header empty) has no header row; an id column is never cut
    # short, even on a narrow terminal: it is what the next command takes (`request show ID`).
    table = Table(title=None if title is None else Text(safe_text(title)),
                  show_header=any(header for _, header in columns))
    for key, header in columns:
        table.add_column(Text(header), no_wrap=key == "id")
    shown = shown or {}
    for row in rows:
        table.add_row(*(Text(safe_text(_cell(row.get(key), shown.get(key)))) for key, _ in columns))
    _console().print(table)


def _cell(value: Any, show: Callable[[Any], str] | None = None) -> str:
    """A value as a cell's text (before escaping): lists joined with ", "; an empty cell stays empty."""
    if show is not None and value is not None and value != "":
        return show(value)
    return display(value)


def emit(data: Any, *, as_json: bool, rows: Iterable[dict[str, Any]] | None = None,
         columns: Sequence[tuple[str, str]] = (), title: str | None = None, shown: Shown | None = None) -> None:
    """Print a listing: JSON when asked, else a table of ``rows`` (default: ``data``);
    ``shown`` as in ``print_table``."""
    if as_json:
        print_json(data)
    else:
        print_table(data if rows is None else rows, columns, title, shown)


class progress_bar:
    """A progress bar on stderr when it is a terminal; a no-op otherwise.
    Use as a context manager; the value is a ``(done, total)`` callback.

    ``label`` is what the bar says, e.g. ``progress_bar(_("Importing users"))``: given already
    translated (a label given in English is looked up in the catalog as well)."""

    def __init__(self, label: str) -> None:
        from imi_cli.i18n import _

        self.label = _(label)
        self._progress = None
        self._task = None

    def __enter__(self):
        if not _streams()[1].isatty():
            return None
        from rich.progress import Progress

        self._progress = Progress(console=_console(stderr=True), transient=True)
        self._progress.start()
        self._task = self._progress.add_task(self.label, total=None)
        return self.update

    def update(self, done: int, total: int) -> None:
        if self._progress is not None:
            self._progress.update(self._task, completed=done, total=total)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
