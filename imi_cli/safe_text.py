"""Data made safe to show: what another authority, a local user or a file wrote reaches the
terminal as text, never as commands to it.

One rule for every view, on a terminal and in a pipe: a character that could move the
cursor, clear the screen, set the window title, hide or recolour text, end a line or
reorder what is read is replaced by its escape as Python writes it, which a reader
recognises and can copy back:

- C0 and C1 control characters and DEL: ``\\x1b`` (ESC), ``\\x07`` (BEL), ``\\x00`` (NUL),
  ``\\x9b`` (CSI), ...; tab, newline and carriage return as ``\\t``, ``\\n``, ``\\r``;
- bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C) and the
  Unicode line and paragraph separators (U+2028, U+2029): ``\\u202e``, ...

Everything else is kept: Hungarian, Greek, Irish, Maltese letters, emoji. Tab-separated
output also doubles a backslash (``\\\\``), so that each cell reads back unambiguously.
JSON is escaped by its encoder; ``json_text`` adds the C1 and bidirectional characters
that ``ensure_ascii=False`` would leave raw.

Rich markup is a separate matter: data is never given to rich as a markup string
(``imi_cli.cli.output`` hands it ``Text`` objects), so ``[/]`` and ``[link=...]`` stay text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

__all__ = ["display", "json_text", "safe_text", "tsv_cell", "tsv_line"]

_CONTROLS = "\x00-\x1f\x7f-\x9f"
_FORMATS = "\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
# compiled on first use, each (a command that shows only plain text compiles none)
_SOURCES = {
    "unsafe": f"[{_CONTROLS}{_FORMATS}]",
    "unsafe_but_newline": f"[\x00-\x09\x0b-\x1f\x7f-\x9f{_FORMATS}]",
    "unsafe_in_tsv": f"[\\\\{_CONTROLS}{_FORMATS}]",
    "unsafe_in_json": f"[\x7f-\x9f{_FORMATS}]",  # json.dumps escapes C0 itself
}
_COMPILED: dict[str, re.Pattern[str]] = {}


def _pattern(name: str) -> re.Pattern[str]:
    found = _COMPILED.get(name)
    if found is None:
        found = _COMPILED[name] = re.compile(_SOURCES[name])
    return found


def unsafe_in_tsv() -> re.Pattern[str]:
    """What ``tsv_cell`` escapes: backslash, control and bidirectional characters."""
    return _pattern("unsafe_in_tsv")


_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r", "\\": "\\\\"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def display(value: Any) -> str:
    """Any stored value as one line of text: None as nothing, a list joined with ", ", a
    mapping as ``key: value`` pairs, anything else by ``str`` (old stores may hold a number
    or a list where a string belongs; a view shows it, it does not crash)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return ", ".join(display(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{display(k)}: {display(v)}" for k, v in value.items())
    return str(value)


def safe_text(value: Any, *, multiline: bool = False) -> str:
    """``value`` as text that cannot act on a terminal. ``multiline``: keep newlines (for
    free text the caller indents; a carriage return is still shown as ``\\r``)."""
    text = display(value)
    if text.isprintable():  # no control, format or separator character: nothing to escape
        return text
    if multiline:
        text = text.replace("\r\n", "\n")
        pattern = _pattern("unsafe_but_newline")
    else:
        pattern = _pattern("unsafe")
    return pattern.sub(_escape, text) if pattern.search(text) else text


def tsv_cell(value: Any) -> str:
    """One cell of tab-separated output: as ``safe_text``, with tabs, newlines and
    backslashes escaped so that a line is a row and a tab ends a cell."""
    text = display(value)
    unsafe = _pattern("unsafe_in_tsv")
    return unsafe.sub(_escape, text) if unsafe.search(text) else text


def tsv_line(values: Iterable[Any]) -> str:
    """A row of tab-separated output, its cells as ``tsv_cell`` makes them, and a newline;
    a row with nothing to escape (nearly all) is checked once, not cell by cell."""
    cells = [v if v.__class__ is str else display(v) for v in values]
    unsafe = _pattern("unsafe_in_tsv")
    if unsafe.search("".join(cells)):
        cells = [unsafe.sub(_escape, c) for c in cells]
    return "\t".join(cells) + "\n"


def json_text(text: str) -> str:
    """JSON text (from ``json.dumps(..., ensure_ascii=False)``) with the C1 and bidirectional
    characters it leaves raw written as ``\\uXXXX``: the same JSON value, safe to print.
    They can only occur inside strings, where the escape means the same character."""
    return _pattern("unsafe_in_json").sub(lambda m: f"\\u{ord(m.group()):04x}", text)
