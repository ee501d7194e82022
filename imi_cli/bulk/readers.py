"""Reading bulk files (CSV, YAML, JSON) into raw records, each with where it came from.

A problem with the file itself (not UTF-8, empty, truncated YAML, malformed
JSON, unknown CSV columns, over a limit) raises InvalidInput naming file:line;
problems in records are found later, by ``imi_cli.directory.records``.

CSV is read as spreadsheets write it: the delimiter is the one of ``,`` ``;`` and tab that
makes the header line known columns (Excel writes ``;`` where the decimal comma is used:
Hungary, Germany, France, Poland...), unless ``--delimiter`` says; the encoding is UTF-8,
UTF-16 with a byte-order mark, or what ``--encoding`` says (``imi_cli.bulk.decoding``).

CSV cells lose the ``'`` that ``imi authority export --format csv`` put before a
formula character (``imi_cli.bulk.spreadsheet``), so an export reads back as it was.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imi_cli.bulk.decoding import MAX_FILE_BYTES, read_text, text_pieces
from imi_cli.bulk.json_depth import check_depth
from imi_cli.bulk.spreadsheet import restore
from imi_cli.errors import InvalidInput, NotFound, Problem, UsageError
from imi_cli.i18n import _, t

FORMATS = ("csv", "yaml", "json")
DELIMITERS = (",", ";", "\t")  # in this order when the header line does not decide
Rows = list[tuple[str, dict[str, Any]]]
__all__ = ["MAX_FILE_BYTES", "FileReading", "detect_format", "iter_records", "read_records", "read_text"]


@dataclass(frozen=True)
class FileReading:
    """How to read a file when it is not as expected: the CSV delimiter (None: from the header
    line) and the encoding (None: UTF-8, or UTF-16 with a byte-order mark)."""

    delimiter: str | None = None
    encoding: str | None = None


def delimiter_of(given: str) -> str:
    """The delimiter an option names: one character, or "tab"."""
    value = "\t" if given.strip().lower() in ("tab", "\\t") else given
    if len(value) != 1 or value in "\"\r\n":
        raise UsageError(t("--delimiter {value!r}: give one character, e.g. ';' or ',' or tab", value=given))
    return value


def detect_format(path: Path, given: str | None) -> str:
    if given:
        if given not in FORMATS:
            raise UsageError(msgid="use_one_of", params={"option": "--format", "value": given,
                                                         "choices": ", ".join(FORMATS)})
        return given
    suffix = path.suffix.lower().lstrip(".")
    fmt = {"yml": "yaml"}.get(suffix, suffix)
    if fmt not in FORMATS:
        raise UsageError(t("{path}: cannot tell the format from the extension {suffix!r}", path=path,
                           suffix=path.suffix), hint=_("name the file .csv, .yaml or .json, or pass --format"))
    return fmt


def read_records(path: Path, fmt: str | None, *, columns: dict[str, bool],
                 list_key: str, prefixes: tuple[str, ...] = ("name:",), reading: FileReading | None = None) -> Rows:
    """Rows of (where, raw record). ``columns`` maps known CSV columns to whether required;
    ``name:xx`` columns are always allowed. YAML/JSON may be a list or {list_key: [...]}."""
    return list(iter_records(path, fmt, columns=columns, list_key=list_key, prefixes=prefixes, reading=reading))


def iter_records(path: Path, fmt: str | None, *, columns: dict[str, bool], list_key: str,
                 prefixes: tuple[str, ...] = ("name:",), reading: FileReading | None = None
                 ) -> Iterator[tuple[str, dict[str, Any]]]:
    """The rows of ``read_records`` one at a time. A CSV file is read as they are taken, never
    whole: its header is checked now, a row that cannot be read raises when the reading gets
    there (so a caller that stops at the first error changes nothing it would not have)."""
    path = Path(path)
    reading = reading or FileReading()
    if path.is_dir():
        raise UsageError(t("{path} is a folder, not a file", path=path))
    if not path.exists():
        raise NotFound(msgid="no_such_file", params={"path": str(path)})
    fmt = detect_format(path, fmt)
    if reading.delimiter and fmt != "csv":
        raise UsageError(t("--delimiter is for CSV files; {path} is read as {format}", path=path, format=fmt))
    if fmt == "csv":
        pieces = text_pieces(path, encoding=reading.encoding, encoding_option=True)
        return _read_csv(path, pieces, columns, prefixes, reading.delimiter)
    text = read_text(path, encoding=reading.encoding, encoding_option=True)
    rows = _read_yaml(path, text) if fmt == "yaml" else _read_json(path, text, list_key)
    if not rows:
        raise InvalidInput(t("{where}: the file has no records", where=path))
    return _taken(rows)


def _taken(rows: Rows) -> Iterator[tuple[str, dict[str, Any]]]:
    """The rows in order, each let go of once taken."""
    rows.reverse()
    while rows:
        yield rows.pop()


def _first_line(pieces: Iterator[str]) -> tuple[str, Iterator[str]]:
    """The text up to the first line feed, and the pieces again from the start."""
    taken: list[str] = []
    for piece in pieces:
        taken.append(piece)
        if "\n" in piece:
            break
    return "".join(taken).split("\n", 1)[0], itertools.chain(taken, pieces)


def _lines(pieces: Iterator[str]) -> Iterator[str]:
    """Lines as ``io.StringIO(text, newline="")`` splits the whole text (at \\n, \\r\\n and \\r,
    each kept), from the text in pieces: a piece is split up to its last line end that
    cannot be the \\r of a \\r\\n cut in two."""
    rest = ""
    for piece in pieces:
        rest += piece
        cut = max(rest.rfind("\n"), rest.rfind("\r", 0, len(rest) - 1)) + 1
        if cut:
            yield from io.StringIO(rest[:cut], newline="")
            rest = rest[cut:]
    if rest:
        yield from io.StringIO(rest, newline="")


def sniff_delimiter(text: str, known: Any) -> str:
    """The delimiter that makes most cells of the first line known column names (``known(name)``);
    on a tie the one found most often, then the first of DELIMITERS."""
    first = text.split("\n", 1)[0]

    def fit(delimiter: str) -> tuple[int, int]:
        cells = next(csv.reader([first], delimiter=delimiter), [])
        return sum(1 for cell in cells if known(cell.strip())), first.count(delimiter)

    return max(DELIMITERS, key=fit)


def _shown(delimiter: str) -> str:
    return "tab" if delimiter == "\t" else repr(delimiter)


def _read_csv(path: Path, pieces: Iterator[str], columns: dict[str, bool], prefixes: tuple[str, ...] = ("name:",),
              delimiter: str | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
    """The header checked now; the rows as they are taken."""
    def known(name: str) -> bool:
        return name in columns or name.startswith(prefixes)

    first, pieces = _first_line(pieces)
    delimiter = delimiter or sniff_delimiter(first, known)
    reader = csv.DictReader(_lines(pieces), restval=None, delimiter=delimiter)
    with _csv_errors(path, reader):
        header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    problems = [Problem(f"{path}:1", h or "(blank)", _("unknown column")) for h in header if not known(h)]
    problems += [Problem(f"{path}:1", col, _("missing column"))
                 for col, required in columns.items() if required and col not in header]
    if problems:
        # Translators: {delimiter} is ',' ';' or tab
        raise InvalidInput(t("{where}: the header is not right (read with {delimiter} between cells)", where=path,
                             delimiter=_shown(delimiter)), problems=problems,
                           hint=t("columns: {columns}, and name:xx for other languages; --delimiter to read "
                                  "with another delimiter", columns=", ".join(columns)))
    return _csv_rows(path, reader, delimiter)


def _csv_rows(path: Path, reader: csv.DictReader, delimiter: str) -> Iterator[tuple[str, dict[str, Any]]]:
    empty = True
    for line, record in _csv_records(path, reader):
        where = f"{path}:{line}"
        if None in record:  # more cells than columns
            raise InvalidInput(t("{where}: the row has more cells than the header has columns", where=where),
                               hint=_quote_hint(delimiter))
        if all(not (v or "").strip() for v in record.values()):
            continue
        empty = False
        yield where, {k: restore(v) for k, v in record.items() if v is not None and v.strip() != ""}
    if empty:
        raise InvalidInput(t("{where}: the file has a header but no rows", where=path))


def _quote_hint(delimiter: str) -> str:
    """How to write a list in a cell when the file separates cells with ``delimiter``."""
    if delimiter == ";":
        return _("separate the items of a list with ',' (hu,en) or put the cell in double quotes (\"hu;en\")")
    if delimiter == ",":
        return _("separate the items of a list with ';' (hu;en) or put the cell in double quotes (\"hu,en\")")
    return _("put a cell that holds the delimiter in double quotes")


def _csv_records(path: Path, reader: csv.DictReader) -> Iterator[tuple[int, dict[str, Any]]]:
    """(first line, record) of each row."""
    while True:
        line = reader.line_num + 1
        with _csv_errors(path, reader):
            record = next(reader, None)
        if record is None:
            return
        yield line, record


@contextmanager
def _csv_errors(path: Path, reader: csv.DictReader) -> Iterator[None]:
    """What the csv module cannot read, as a problem at the line where the row starts."""
    line = reader.line_num + 1
    try:
        yield
    except csv.Error as exc:
        if "field larger than field limit" not in str(exc):
            # Translators: {detail} is the csv module's English explanation
            raise InvalidInput(t("{path}:{line}: not valid CSV: {detail}", path=path, line=line, detail=exc)) from None
        raise InvalidInput(t("{path}:{line}: a cell of this row is longer than {limit} characters", path=path,
                             line=line,
                             limit=csv.field_size_limit()),
                           hint=_("is a quote left open on this line?")) from None


def _read_yaml(path: Path, text: str) -> Rows:
    from yaml import MappingNode, SequenceNode

    from imi_cli.bulk.yaml_loader import compose, construct

    root = compose(text, str(path))
    if root is None:
        raise InvalidInput(t("{where}: the file has no records", where=path))
    items = root.value if isinstance(root, SequenceNode) else None
    if items is None and isinstance(root, MappingNode):
        for _key, value in root.value:
            if isinstance(value, SequenceNode):
                items = value.value
    if items is None:
        raise InvalidInput(t("{where}: expected a list of records", where=path))
    return [(f"{path}:{node.start_mark.line + 1}", construct(node, str(path))) for node in items]


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """json keeps the last of two equal keys silently; a record with one is a mistake."""
    record: dict[str, Any] = {}
    for key, value in pairs:
        if key in record:
            raise _DuplicateKey(key)
        record[key] = value
    return record


_DECODER = json.JSONDecoder(object_pairs_hook=_no_duplicates)
_PLAIN = json.JSONDecoder()
_SPACE = " \t\n\r"


def _skip(text: str, at: int) -> int:
    while at < len(text) and text[at] in _SPACE:
        at += 1
    return at


def _array_items(path: Path, text: str, at: int) -> Rows:
    """("file:line", value) of each item of the array that starts at ``at`` (text is valid JSON)."""
    items: Rows = []
    line, counted = 1, 0
    at = _skip(text, at + 1)
    while text[at] != "]":
        line, counted = line + text.count("\n", counted, at), at
        try:
            value, end = _DECODER.raw_decode(text, at)
        except _DuplicateKey as exc:
            raise InvalidInput(t("{path}:{line}: the key {key!r} appears twice in one record", path=path, line=line,
                                 key=str(exc))) from None
        items.append((f"{path}:{line}", value))
        at = _skip(text, end)
        if text[at] == ",":
            at = _skip(text, at + 1)
    return items


def _find_list(text: str, list_key: str) -> int | None:
    """Offset of the records array: the whole document, or the value of ``list_key``."""
    at = _skip(text, 0)
    if text[at] == "[":
        return at
    if text[at] != "{":
        return None
    at = _skip(text, at + 1)
    found = None
    while text[at] != "}":
        key, at = _PLAIN.raw_decode(text, at)
        at = _skip(text, _skip(text, at) + 1)  # past the colon
        if key == list_key and text[at] == "[":
            found = at
        _value, at = _PLAIN.raw_decode(text, at)
        at = _skip(text, at)
        if text[at] == ",":
            at = _skip(text, at + 1)
    return found


def _read_json(path: Path, text: str, list_key: str) -> Rows:
    """Records located by the line each starts on (the json module keeps no positions, so the
    records array is walked with ``raw_decode``)."""
    check_depth(text, str(path))
    try:
        _PLAIN.decode(text)
    except json.JSONDecodeError as exc:
        # Translators: {detail} is the json module's English explanation
        raise InvalidInput(t("{path}:{line}:{col}: not valid JSON: {detail}", path=path, line=exc.lineno, col=exc.colno,
                             detail=exc.msg)) from None
    start = _find_list(text, list_key)
    if start is None:
        example = f'{{"{list_key}": [...]}}'
        raise InvalidInput(t("{where}: expected a list of records (or {example})", where=path, example=example))
    return _array_items(path, text, start)
