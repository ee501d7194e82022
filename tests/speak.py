"""What the interface says in a language, for tests that read a translated view: the same
catalog lookups the program makes, so a test asserts the program's sentence, not a copy of
the translation (which the translators may improve)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from imi_cli import i18n


def said(code: str, msgid: str, /, **params: Any) -> str:
    """``t(msgid, **params)`` in language ``code``."""
    with i18n.language(code):
        return i18n.t(msgid, **params)


def word(code: str, msgid: str) -> str:
    """``_(msgid)`` in language ``code``."""
    with i18n.language(code):
        return i18n._(msgid)


def label(code: str, function: Callable[[str], str], value: str) -> str:
    """A label function (``state_label``, ``kind_label``, ...) in language ``code``."""
    with i18n.language(code):
        return function(value)
