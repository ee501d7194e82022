"""Reading bulk files (CSV, YAML, JSON) into raw records, each with where it came from.

A problem with the file itself (not UTF-8, empty, truncated YAML, malformed
JSON, unknown CSV columns) raises InvalidInput naming file:line; problems in
records are found later, by ``imi_cli.directory.records``.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from imi_cli.errors import InvalidInput, NotFound, Problem, UsageError

FORMATS = ("csv", "yaml", "json")
Rows = list[tuple[str, dict[str, Any]]]


def detect_format(path: Path, given: str | None) -> str:
    if given:
        if given not in FORMATS:
            raise UsageError(f"--format {given!r}: use one of {', '.join(FORMATS)}")
        return given
    suffix = path.suffix.lower().lstrip(".")
    fmt = {"yml": "yaml"}.get(suffix, suffix)
    if fmt not in FORMATS:
        raise UsageError(f"{path}: cannot tell the format from the extension {path.suffix!r}",
                         hint="name the file .csv, .yaml or .json, or pass --format")
    return fmt


def read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{path} is a folder, not a file") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidInput(f"{path}:{line}: the file is not UTF-8 (byte {exc.start + 1})",
                           hint="save it as UTF-8 (e.g. iconv -f latin1 -t utf-8)") from None
    if not text.strip():
        raise InvalidInput(f"{path}: the file is empty")
    return text


def read_records(path: Path, fmt: str | None, *, columns: dict[str, bool],
                 list_key: str) -> Rows:
    """Rows of (where, raw record). ``columns`` maps known CSV columns to whether required;
    ``name:xx`` columns are always allowed. YAML/JSON may be a list or {list_key: [...]}."""
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"{path} is a folder, not a file")
    if not path.exists():
        raise NotFound(f"{path}: no such file")
    fmt = detect_format(path, fmt)
    text = read_text(path)
    if fmt == "csv":
        return _read_csv(path, text, columns)
    rows = _read_yaml(path, text) if fmt == "yaml" else _read_json(path, text, list_key)
    if not rows:
        raise InvalidInput(f"{path}: the file has no records")
    return rows


def _read_csv(path: Path, text: str, columns: dict[str, bool]) -> Rows:
    reader = csv.DictReader(io.StringIO(text, newline=""), restval=None)
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    problems = [Problem(f"{path}:1", h or "(blank)", "unknown column")
                for h in header if h not in columns and not h.startswith("name:")]
    problems += [Problem(f"{path}:1", col, "missing column")
                 for col, required in columns.items() if required and col not in header]
    if problems:
        raise InvalidInput(f"{path}: the header is not right", problems=problems,
                           hint=f"columns: {', '.join(columns)}, and name:xx for other languages")
    rows: Rows = []
    line = reader.line_num
    for record in reader:
        where = f"{path}:{line + 1}"
        line = reader.line_num
        if None in record:  # more cells than columns
            raise InvalidInput(f"{where}: the row has more cells than the header has columns")
        if all(not (v or "").strip() for v in record.values()):
            continue
        rows.append((where, {k: v for k, v in record.items() if v is not None and v.strip() != ""}))
    if not rows:
        raise InvalidInput(f"{path}: the file has a header but no rows")
    return rows


def _yaml_loader():
    """SafeLoader with YAML 1.2 booleans: only true/false, so the Norwegian code `no`
    stays a string, and dates stay text."""
    import yaml

    class Loader(yaml.SafeLoader):
        def construct_mapping(self, node, deep=False):  # PyYAML silently keeps the last duplicate
            seen: set = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key!r}", key_node.start_mark)
                seen.add(key)
            return super().construct_mapping(node, deep)

    Loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers
                if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    import re

    Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                                 list("tTfF"))
    return Loader


def _read_yaml(path: Path, text: str) -> Any:
    import yaml

    loader = _yaml_loader()(text)
    try:
        root = loader.get_single_node()
        if root is None:
            raise InvalidInput(f"{path}: the file has no records")
        items = root.value if isinstance(root, yaml.SequenceNode) else None
        if items is None and isinstance(root, yaml.MappingNode):
            for _key, value in root.value:
                if isinstance(value, yaml.SequenceNode):
                    items = value.value
        if items is None:
            raise InvalidInput(f"{path}: expected a list of records")
        return [(f"{path}:{node.start_mark.line + 1}", loader.construct_object(node, deep=True))
                for node in items]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise InvalidInput(f"{where}: not valid YAML: {exc.problem or exc.context}") from None
    finally:
        loader.dispose()


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
            raise InvalidInput(f"{path}:{line}: the key {str(exc)!r} appears twice in one record") from None
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
        _, at = _PLAIN.raw_decode(text, at)
        at = _skip(text, at)
        if text[at] == ",":
            at = _skip(text, at + 1)
    return found


def _read_json(path: Path, text: str, list_key: str) -> Rows:
    """Records located by the line each starts on (the json module keeps no positions, so the
    records array is walked with ``raw_decode``)."""
    try:
        _PLAIN.decode(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    start = _find_list(text, list_key)
    if start is None:
        raise InvalidInput(f"{path}: expected a list of records (or {{\"{list_key}\": [...]}})")
    return _array_items(path, text, start)
