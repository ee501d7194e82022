"""The interface in the official's language: gettext over catalogs compiled with Babel.

Every sentence the interface prints is a message id in English, written whole (never glued
from fragments), looked up in the catalog of the run's language::

    from imi_cli.i18n import _, N_, nt, t

    message(t("Accepted {id} (queued: {queued})", id=rid, queued=n))
    nt("{n} request is due", "{n} requests are due", n)   # CLDR plural forms of the language
    STATES = {"sent": N_("sent")}                          # marked here, translated where shown: _(STATES[s])

The language is chosen once per run, before the command tree is built
(``imi_cli.i18n.choose``); ``use(code)`` sets it for the current context (a test, a thread).
Catalogs live in ``imi_cli/i18n/locale/<code>/LC_MESSAGES/imi.po`` and are compiled to
``imi.mo`` beside it (``python -m imi_cli.i18n.build``). A missing catalog or message reads
in English.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from functools import cache
from pathlib import Path
from typing import Any

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "imi"
SOURCE_LANGUAGE = "en"

_LANGUAGE: ContextVar[str] = ContextVar("imi_interface_language", default=SOURCE_LANGUAGE)
# the user's time zone (an IANA name; None: the machine's), set from the `timezone` setting
_ZONE: ContextVar[str | None] = ContextVar("imi_time_zone", default=None)


@cache
def catalog(code: str) -> gettext.NullTranslations:
    """The compiled catalog of language ``code`` (English: none, the ids are the text)."""
    if code == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    try:
        with (LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.mo").open("rb") as f:
            return gettext.GNUTranslations(f)
    except (OSError, ValueError):  # not shipped (a bad code never gets here: it is checked first)
        return gettext.NullTranslations()


def current() -> str:
    """The interface language of this run."""
    return _LANGUAGE.get()


def use(code: str) -> Token:
    """Speak ``code`` from now on in this context; ``reset(token)`` goes back."""
    return _LANGUAGE.set(code)


def reset(token: Token) -> None:
    _LANGUAGE.reset(token)


def use_zone(name: str | None) -> Token:
    """Show times in zone ``name`` from now on in this context; ``reset_zone(token)`` goes back."""
    return _ZONE.set(name)


def reset_zone(token: Token) -> None:
    _ZONE.reset(token)


def zone_name() -> str | None:
    return _ZONE.get()


@contextmanager
def language(code: str) -> Iterator[None]:
    token = use(code)
    try:
        yield
    finally:
        reset(token)


def _(message: str) -> str:
    """``message`` in the interface language."""
    return catalog(_LANGUAGE.get()).gettext(message)


def N_(message: str) -> str:
    """Marks ``message`` for the catalog where it is defined; ``_()`` translates it where shown."""
    return message


def NP_(context: str, message: str) -> tuple[str, str]:
    """``N_`` with a context: marks a short word whose meaning needs one ("sent" as a state)."""
    return context, message


def label(table: Mapping[str, str | tuple[str, str]], code: str | None) -> str:
    """The word for ``code`` in a table of marked messages (``N_`` or ``NP_`` values), in the
    interface language; a code the table does not know reads as itself, None as nothing."""
    if code is None:
        return ""
    entry = table.get(code)
    if entry is None:
        return str(code)
    return pgettext(*entry) if isinstance(entry, tuple) else _(entry)


def pgettext(context: str, message: str) -> str:
    """A short word that means different things in different places ("open" a state, "open" an action)."""
    return catalog(_LANGUAGE.get()).pgettext(context, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of the message for the number ``n`` (the language's CLDR plural rule)."""
    return catalog(_LANGUAGE.get()).ngettext(singular, plural, n)


def t(message: str, /, **params: Any) -> str:
    """``message`` translated, then filled with ``params`` (``str.format`` fields by name).
    A translation whose fields do not fit (the catalog checks forbid it) falls back to English."""
    return _fill(_(message), message, params)


def nt(singular: str, plural: str, n: int, /, **params: Any) -> str:
    """The plural form for ``n``, translated and filled (``{n}`` is always available)."""
    params.setdefault("n", n)
    return _fill(ngettext(singular, plural, n), singular if n == 1 else plural, params)


def pt(context: str, message: str, /, **params: Any) -> str:
    """``pgettext`` then filled with ``params``."""
    return _fill(pgettext(context, message), message, params)


def _fill(text: str, source: str, params: dict[str, Any]) -> str:
    if not params:
        return text
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError, AttributeError):
        return source.format(**params)


__all__ = ["LOCALE_DIR", "NP_", "N_", "_", "catalog", "current", "label", "language", "ngettext", "nt", "pgettext",
           "pt", "reset", "reset_zone", "t", "use", "use_zone", "zone_name"]
