"""Canonical JSON: what is signed, stored and hashed. Keys sorted, no spaces, text as UTF-8
(not ``\\u`` escapes): the standard library's encoder with these options (``ENCODE``) defines it.

orjson writes the very same text about ten times faster for the plain JSON values events are
made of (objects with text keys, arrays, text, integers, true, false, null). It is used for
those only, and only in a process that has much to encode and said so (``use_fast``: a hub, a
large catch-up, a large push): importing it takes ~12 ms, more than an `imi` command's
start-up can spare. A float goes to the standard encoder (orjson writes floats and non-finite
numbers in other forms), and so does any other kind of value, and whatever orjson refuses (an
integer beyond 64 bits, a lone surrogate, nesting deeper than it goes). (One difference is
left: a value nested a few hundred levels deep, encoded where the call stack is already nearly
full, is written by orjson where the standard encoder would run out of stack.)
tests/log/test_canonical.py holds the two ways to the same text on seeded random values.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

# made once: json.dumps with these options makes a new encoder at every call (~1 µs)
ENCODE: Callable[[Any], str] = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode

FAST_AT_LEAST = 64  # events to encode (a push, a page) for loading orjson to pay (``use_fast``)
_dumps: Callable[..., bytes] | None = None  # orjson.dumps, once ``use_fast`` loaded it
_OPTIONS = 0
_LEAVES = frozenset({str, int, bool, type(None)})  # exactly these types (no subclass, no float)


def use_fast() -> bool:
    """Encode plain values with orjson from now on in this process (the same text, faster);
    False where it cannot be loaded (the standard encoder goes on alone)."""
    global _dumps, _OPTIONS
    if _dumps is None:
        try:
            import orjson
        except ImportError:
            return False
        # subclasses (of text, numbers, objects), dates and dataclasses are refused, not written
        _OPTIONS = (orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATETIME
                    | orjson.OPT_PASSTHROUGH_DATACLASS)
        _dumps = orjson.dumps
    return True


def in_use() -> bool:
    """Has this process loaded orjson (``use_fast``)?"""
    return _dumps is not None


PLAIN_AT_MOST = 1_000_000  # containers walked: past this (a value that contains itself), not plain


def plain(value: Any) -> bool:
    """Is ``value`` made of dicts, lists, text, integers, booleans and None only (each of
    exactly that type)? Walked without recursion: a hostile depth costs only its size; a
    value that contains itself is not plain (the standard encoder says it is circular)."""
    stack = [value]
    pop, extend = stack.pop, stack.extend
    containers = 0
    while stack:
        item = pop()
        kind = type(item)
        if kind is str:  # (the most common: first)
            continue
        if kind is dict:
            extend(item.values())  # (a key that is not text: orjson refuses it)
        elif kind is list:
            extend(item)
        elif kind not in _LEAVES:
            return False
        else:
            continue
        containers += 1
        if containers > PLAIN_AT_MOST:
            return False
    return True


def fast(value: Any) -> bytes | None:
    """``canonical(value)`` as UTF-8 by orjson, for a value the caller knows is ``plain``;
    None if orjson is not in use or refuses it (then ``ENCODE`` says what it makes of it)."""
    if _dumps is None:
        return None
    try:
        return _dumps(value, option=_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError: a big integer, a lone surrogate, too deep
        return None


def fast_utf8(value: Any) -> bytes | None:
    """``canonical(value)`` as UTF-8, made by orjson; None unless this process uses it and
    ``value`` is plain (then the caller encodes it its own way)."""
    return fast(value) if _dumps is not None and plain(value) else None


def canonical(value: Any) -> str:
    """The canonical JSON text of ``value``."""
    made = fast_utf8(value)
    return made.decode() if made is not None else ENCODE(value)


def encodable(text: str) -> bool:
    """Can ``text`` be written as UTF-8, as canonical JSON is? (Not with a lone surrogate,
    which JSON can carry.)"""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
