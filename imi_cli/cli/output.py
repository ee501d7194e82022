"""Output helpers shared by every command: data to stdout, messages to stderr, both the
streams of the run's environment.

A listing is printed in one of four forms (``listing_mode``): ``table`` for a person (the
default on a terminal: headings and states in the interface language, dates as the language
writes them, ids as their shortest unique prefix), ``tsv`` (the default in a pipe), ``csv``
and ``json``, chosen with ``--format`` (``--json`` is ``--format json``). Tab-separated and
CSV output start with a header line of the columns' keys, the same in every language, and
keep codes, ISO dates and whole ids.

Data never acts on the terminal (``imi_cli.safe_text``): control and bidirectional
characters are shown as escapes, tab-separated cells escape tabs, newlines and backslashes,
and rich gets data as ``Text``, never as markup (``[/]`` or ``[link=...]`` stay text).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from json import dumps as _json_dumps
from json.encoder import encode_basestring as _encode_str  # the C one; what ensure_ascii=False uses
from typing import Any, TextIO

from imi_cli.bulk.exports import to_json
from imi_cli.safe_text import display, json_text, safe_text, tsv_cell, tsv_line, unsafe_in_tsv

__all__ = ["MODES", "detail", "emit", "for_people", "listing_mode", "message", "page", "print_json",
           "print_table", "progress_bar", "to_json", "write_json_rows", "write_rows"]

MODES = ("table", "tsv", "csv", "json")
SHORT_CELL = 12  # a column whose cells are all this short is never wrapped nor cut
_FORMULA_STARTS = "'=+-@"  # a line's first cell may be a formula (or empty: the slow path, as well)


def _streams() -> tuple[TextIO, TextIO]:
    from imi_cli.cli.environment import environment

    env = environment()
    return env.stdout, env.stderr


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(file=_streams()[1 if stderr else 0], highlight=False, soft_wrap=True)


def print_json(data: Any) -> None:
    _streams()[0].write(json_text(to_json(data)) + "\n")


def write_json_rows(rows: Iterable[Any], *, chunk: int = 256) -> None:
    """A listing as a JSON array, each row written as it comes (``chunk`` rows at a time), not
    the whole list built first: the very text ``print_json(list(rows))`` writes (``to_json``:
    indented by 2, non-ASCII kept, anything else as ``str``), at the C encoder's speed (the
    standard library's indenting encoder is pure Python: 7,000 inbox rows took ~150 ms)."""
    out = _streams()[0]
    pending: list[str] = []
    opening = "[\n  "
    for row in rows:
        pending.append(opening + (_json_row(row) if row.__class__ is dict else _json(row, 1)))
        opening = ",\n  "
        if len(pending) >= chunk:
            out.write(json_text("".join(pending)))
            pending.clear()
    pending.append("[]\n" if opening == "[\n  " else "\n]\n")
    out.write(json_text("".join(pending)))


_SCALARS: dict[type, Callable[[Any], str]] = {
    str: lambda value: _encode_str(value), int: int.__repr__, type(None): lambda _value: "null",
    bool: lambda value: "true" if value else "false"}


def _json_row(row: dict[Any, Any]) -> str:
    """A row of a listing at level 1, as ``_json`` writes it: its strings, numbers and nulls
    without a call of ``_json`` each."""
    if not row:
        return "{}"
    parts = []
    for key, value in row.items():
        if key.__class__ is not str:
            return _json(row, 1)
        scalar = _SCALARS.get(value.__class__)
        parts.append(f"{_encode_str(key)}: {scalar(value) if scalar is not None else _json(value, 2)}")
    return "{\n    " + ",\n    ".join(parts) + "\n  }"


def _json(value: Any, level: int) -> str:
    """``value`` as ``to_json`` writes it at indentation ``level`` (two spaces each): scalars by
    the standard library's own encoders, lists and mappings indented as ``json.dumps(indent=2)``."""
    if isinstance(value, str):
        return _encode_str(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        inner = "\n" + "  " * (level + 1)
        return "[" + inner + ("," + inner).join([_json(v, level + 1) for v in value]) + "\n" + "  " * level + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        inner = "\n" + "  " * (level + 1)
        return "{" + inner + ("," + inner).join([f"{_json_key(k)}: {_json(v, level + 1)}" for k, v in value.items()]) \
            + "\n" + "  " * level + "}"
    return _json_dumps(value, ensure_ascii=False, default=str)  # a float, or anything else as its str


def _json_key(key: Any) -> str:
    """A mapping's key as JSON writes it: a string; a number, true, false or null in quotes."""
    if isinstance(key, str):
        return _encode_str(key)
    text = _json_dumps({key: 0})  # the standard library's own conversion (TypeError for what it refuses)
    return text[1:text.rindex(":")]


def listing_mode() -> str:
    """How this run prints a listing: ``--format`` (or ``--json``), else a table on a terminal
    and tab-separated lines in a pipe."""
    from imi_cli.cli.environment import environment

    env = environment()
    if env.as_json:
        return "json"
    if env.output_format:
        return env.output_format
    return "table" if _streams()[0].isatty() else "tsv"


def for_people() -> bool:
    """Is this run's listing a table a person reads (labels, local dates, short ids)?"""
    return listing_mode() == "table"


def message(text: str) -> None:
    """A human message (not data): stderr, so pipes of stdout stay clean. Plain text, never
    markup: a message may quote data (an id, a file name, the hub's reason). ``--quiet``
    keeps it back (errors are told all the same)."""
    from imi_cli.cli.environment import environment

    if environment().verbosity < 0:
        return
    stream = _streams()[1]
    if not _is_terminal(stream):  # what rich writes there: the text and a newline (rich not imported: ~30 ms)
        stream.write(safe_text(text, multiline=True) + "\n")
        return
    from rich.text import Text

    _console(stderr=True).print(Text(safe_text(text, multiline=True)))


def _is_terminal(stream: TextIO) -> bool:
    """Would rich treat ``stream`` as a terminal (a tty, or told to by FORCE_COLOR or TTY_COMPATIBLE)?"""
    import os

    if os.environ.get("FORCE_COLOR") or os.environ.get("TTY_COMPATIBLE"):
        return True
    try:
        return stream.isatty()
    except (OSError, ValueError, AttributeError):
        return False


def detail(text: str) -> None:
    """A message only ``--verbose`` asks for (each step of a sync, each row of an import)."""
    from imi_cli.cli.environment import environment

    if environment().verbosity > 0:
        message(text)


def page(text: str) -> None:
    """A long view (a request, an alert) through the pager when it is longer than the
    terminal: ``IMI_PAGER``, else ``PAGER``, else ``less -FRX`` (an empty value: no pager).
    In a pipe, or when it fits, it is written as it is."""
    import os
    import shlex
    import shutil
    import subprocess

    out = _streams()[0]
    command = os.environ.get("IMI_PAGER", os.environ.get("PAGER", "less -FRX"))
    try:
        argv = shlex.split(command) if command.strip() and out.isatty() else []
    except ValueError:  # an unclosed quote in PAGER: no pager, the text as it is
        argv = []
    descriptor = _descriptor(out) if out.isatty() and argv and shutil.which(argv[0]) else None
    if descriptor is None or text.count("\n") < shutil.get_terminal_size((80, 24)).lines - 1:
        out.write(text)
        return
    out.flush()
    try:
        subprocess.run(argv, input=text, text=True, check=False, stdout=descriptor,
                       env={**os.environ, "LESSCHARSET": os.environ.get("LESSCHARSET", "utf-8")})
    except OSError:  # the pager would not start: the text, whole
        out.write(text)


def _descriptor(stream: TextIO) -> int | None:
    """The file descriptor under ``stream`` (the pager writes to it), or None for a stream in memory."""
    try:
        return stream.fileno()
    except (OSError, ValueError, AttributeError):  # io.UnsupportedOperation is an OSError
        return None


# key -> how a cell of that column is shown on a terminal (a state's code as its translated
# label, a day as the language writes it); tab-separated output keeps the value itself
Shown = Mapping[str, Callable[[Any], str]]


def print_table(rows: Iterable[dict[str, Any]], columns: Sequence[tuple[str, str]],
                title: str | None = None, shown: Shown | None = None) -> None:
    """Rows as a table for a person, or as tab-separated / CSV lines for a script
    (``listing_mode``; JSON is ``emit``'s).

    ``columns`` are (key, heading) pairs: the heading and the ``title`` are shown as given,
    so the caller translates them (``("state", _("State"))``); the cells are data, never
    translated here. ``shown`` maps a column's key to how its cells read on a terminal
    (``{"state": lambda code: _(STATE_LABELS[code])}``); tab-separated output and JSON keep
    the code. A key/value table (every heading empty: a record's fields) has no header line."""
    rows = list(rows)
    mode = listing_mode()
    if mode != "table":
        write_rows(rows, [key for key, _ in columns], "csv" if mode == "csv" else "tsv",
                   header=any(heading for _, heading in columns))
        return
    from rich import box
    from rich.table import Table
    from rich.text import Text

    # A key/value table (every header empty) has no header row; an id column is never cut
    # short, even on a narrow terminal: it is what the next command takes (`request show ID`).
    # No vertical rules (as `docker ps` or `kubectl get`): six columns keep 19 more characters
    # of an 80-column terminal for their cells.
    table = Table(title=None if title is None else Text(safe_text(title)),
                  show_header=any(header for _, header in columns), box=box.SIMPLE_HEAD, pad_edge=False)
    shown = shown or {}
    cells = [[safe_text(_cell(row.get(key), shown.get(key))) for key, _ in columns] for row in rows]
    console = _console()
    widest = [max((len(line[index]) for line in cells), default=0) for index in range(len(columns))]
    kept = {index: max(width, min(len(heading), SHORT_CELL)) for index, ((key, heading), width)
            in enumerate(zip(columns, widest, strict=True)) if key == "id" or width <= SHORT_CELL}
    if sum(kept.values()) + 2 * len(columns) > console.width:  # too many to keep whole: the id only
        kept = {index: widest[index] for index, (key, _) in enumerate(columns) if key == "id"}
    for index, (_key, heading) in enumerate(columns):
        if index in kept:  # whole: an id, a state, a date, a figure
            table.add_column(Text(heading), no_wrap=True, min_width=kept[index])
        else:  # a text wraps on words; a long code is folded, never cut to "…"
            table.add_column(Text(heading), overflow="fold")
    for line in cells:
        table.add_row(*(Text(cell) for cell in line))
    console.print(table)


def write_rows(rows: Iterable[Mapping[str, Any]], keys: Sequence[str], mode: str = "tsv",
               *, header: bool = True) -> None:
    """Rows for a script, at once: a header line of ``keys``, then one line per row.
    ``tsv``: tabs, newlines and backslashes in a cell escaped (one row is one line);
    ``csv``: RFC 4180 quoting. Either way control characters are escaped and cells a
    spreadsheet would run as formulas get a ``'`` in front."""
    from imi_cli.bulk.spreadsheet import neutralise, neutralise_tsv

    out = _streams()[0]
    if mode == "csv":
        import csv
        import io

        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        if header:
            writer.writerow(keys)
        for row in rows:
            writer.writerow([neutralise(safe_text(display(row.get(key)), multiline=True)) for key in keys])
        out.write(buffer.getvalue())
        return
    lines = [neutralise_tsv(tsv_line(keys))] if header else []
    lines.extend(_tsv_lines(rows, keys, neutralise))
    out.write("".join(lines))


_TAB_THEN_FORMULA = r"\t'*[=+\-@]"  # compiled on first use (a command that lists nothing compiles it not)


def _tsv_lines(rows: Iterable[Mapping[str, Any]], keys: Sequence[str], neutralise: Callable[[str], str]) -> list[str]:
    """``tsv_line`` of each row's cells, each cell as ``neutralise_tsv`` leaves it: the same text,
    the check for a formula made once per line (a fast scan for a tab and one of its characters)
    and cell by cell only on a line that has one (7,000 inbox rows: ~25 ms less than a pass over it all)."""
    out = []
    unsafe, tab_then_formula = unsafe_in_tsv(), re.compile(_TAB_THEN_FORMULA)
    for row in rows:
        cells = [value if value.__class__ is str else display(value) for value in map(row.get, keys)]
        if unsafe.search("".join(cells)):
            cells = [tsv_cell(cell) for cell in cells]  # (a cell escaped has no tab, newline or carriage return)
        line = "\t".join(cells)
        if line[:1] in _FORMULA_STARTS or tab_then_formula.search(line):
            line = "\t".join([neutralise(cell) for cell in cells])
        out.append(line + "\n")
    return out


def _cell(value: Any, show: Callable[[Any], str] | None = None) -> str:
    """A value as a cell's text (before escaping): lists joined with ", "; an empty cell stays empty."""
    if show is not None and value is not None and value != "":
        return show(value)
    return display(value)


def emit(data: Any, *, as_json: bool, rows: Iterable[dict[str, Any]] | None = None,
         columns: Sequence[tuple[str, str]] = (), title: str | None = None, shown: Shown | None = None) -> None:
    """Print a listing: JSON when asked, else a table of ``rows`` (default: ``data``) or its
    lines for a script (``listing_mode``); ``shown`` as in ``print_table``."""
    if as_json or listing_mode() == "json":
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
