"""JSON nested too deep, refused by position before the json module recurses into it.

CPython's json recurses once per level: about a thousand levels end in a RecursionError,
and data nested a few hundred deep breaks every later walk of it (checks, canonical
JSON, views). No imi file needs more than a few levels, so 64 is the limit, as for YAML.
"""

from __future__ import annotations

import re

from imi_cli.errors import InvalidInput
from imi_cli.i18n import _, t

MAX_DEPTH = 64
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_BRACKET = re.compile(r"[\[\]{}]")
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_SAME_BRACKET = str.maketrans("{}", "[]")


def _first_too_deep(text: str, limit: int) -> int | None:
    depth = 0
    for match in _BRACKET.finditer(text):
        if match.group() in "[{":
            depth += 1
            if depth > limit:
                return match.start()
        else:
            depth -= 1
    return None


def _within(text: str, limit: int) -> bool:
    """True if ``text`` surely nests at most ``limit`` deep: strings dropped, brackets only,
    innermost pairs removed ``limit`` times (each pass in C; most files empty in a few)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text)).translate(_SAME_BRACKET)
    for _pass in range(limit):
        if not brackets:
            return True
        brackets = brackets.replace("[]", "")
    return not brackets


def first_too_deep(text: str, limit: int = MAX_DEPTH) -> int | None:
    """Offset of the bracket that opens level ``limit + 1``, or None.

    Brackets inside strings do not count; the text need not be valid JSON (the json
    module says what else is wrong). The exact scan, in Python, runs only on a file the
    quick one does not clear."""
    if _within(text, limit):
        return None
    return _first_too_deep(_STRING.sub(lambda m: '"' + " " * (len(m.group()) - 2) + '"', text), limit)


def check_depth(text: str, file: str, limit: int = MAX_DEPTH) -> None:
    """InvalidInput at file:line:col if ``text`` nests deeper than ``limit``."""
    at = first_too_deep(text, limit)
    if at is None:
        return
    line = text.count("\n", 0, at) + 1
    col = at - text.rfind("\n", 0, at)
    raise InvalidInput(t("{file}:{line}:{col}: refused: nested deeper than {limit} levels", file=file, line=line,
                         col=col,
                         limit=limit), hint=_("no imi file needs that much nesting; is this the file you meant?"))
