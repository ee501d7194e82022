"""Output helpers shared by every command: data to stdout, messages to stderr, both the
streams of the run's environment.

Tables and colour only on a terminal; ``--json`` everywhere data is printed.

Data never acts on the terminal (``imi_cli.safe_text``): control and bidirectional
characters are shown as escapes, tab-separated cells escape tabs, newlines and backslashes,
and rich gets data as ``Text``, never as markup (``[/]`` or ``[link=...]`` stay text).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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


def print_table(rows: Iterable[dict[str, Any]], columns: Sequence[tuple[str, str]],
                title: str | None = None) -> None:
    """Rows as a table on a terminal; tab-separated lines otherwise (for scripts)."""
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
    for row in rows:
        table.add_row(*(Text(safe_text(_cell(row.get(key)))) for key, _ in columns))
    _console().print(table)


def _cell(value: Any) -> str:
    """A value as a cell's text (before escaping): lists joined with ", "."""
    return display(value)


def emit(data: Any, *, as_json: bool, rows: Iterable[dict[str, Any]] | None = None,
         columns: Sequence[tuple[str, str]] = (), title: str | None = None) -> None:
    """Print a listing: JSON when asked, else a table of ``rows`` (default: ``data``)."""
    if as_json:
        print_json(data)
    else:
        print_table(data if rows is None else rows, columns, title)


class progress_bar:
    """A progress bar on stderr when it is a terminal; a no-op otherwise.
    Use as a context manager; the value is a ``(done, total)`` callback."""

    def __init__(self, label: str) -> None:
        self.label = label
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
