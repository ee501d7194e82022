"""List values on the command line: ``--languages hu,en`` and ``--languages "hu;en"`` alike.

A comma needs no shell quoting, a semicolon does (bash ends the command at it); files keep
``;`` alone (a CSV cell may hold a comma: ``imi_cli.directory.records.Checker.text_list``)."""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[;,]")


def split_list(value: str | None) -> list[str]:
    """The items of a list option, ``,`` or ``;`` between them, blanks around them and empty
    items dropped: ``"hu, en;de"`` -> ``["hu", "en", "de"]``."""
    if not value:
        return []
    return [item.strip() for item in _SEPARATORS.split(value) if item.strip()]


def names_by_language(items: list[str], option: str = "--name") -> dict[str, str]:
    """``--name hu=Text`` options (repeated) as {language: text}; UsageError for one without ``=``."""
    from imi_cli.errors import UsageError
    from imi_cli.i18n import _

    names: dict[str, str] = {}
    for item in items:
        lang, sep, text = item.partition("=")
        if not sep or not lang.strip():
            raise UsageError(msgid="option_needs_pairs", params={
                "option": option, "value": item, "form": _("LANG=TEXT, e.g. en='Chamber of Architects'")})
        names[lang.strip().lower()] = text
    return names
