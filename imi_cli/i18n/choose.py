"""Which language the interface speaks, decided before the command tree is built (Typer fixes
the help texts when it builds it): ``--lang``, then ``IMI_LANG``, then the locale
(``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``), then English.

``hu_HU.UTF-8``, ``hu-HU``, ``HU`` and ``hu`` all mean Hungarian; ``nb`` and ``nn`` are
Norwegian (IMI's ``no``). A ``--lang`` that is no IMI language is left for the command line
to refuse with its usual message; a locale that is none is passed over.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from imi_cli.reference.languages import DEFAULT_LANGUAGE, is_language

LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
_ALIASES = {"nb": "no", "nn": "no", "gr": "el", "iw": "he"}


def normalise(value: str) -> str | None:
    """The IMI language code ``value`` names (``hu_HU.UTF-8`` -> ``hu``), or None."""
    base = value.strip().split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
    base = _ALIASES.get(base, base)
    return base if is_language(base) else None


def from_argv(argv: Sequence[str]) -> str | None:
    """The value of the last ``--lang`` on the command line (before ``--``), as given."""
    found = None
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(argv):
            found = argv[i + 1]
        elif arg.startswith("--lang="):
            found = arg.split("=", 1)[1]
    return found


def from_environment(environ: Mapping[str, str]) -> str | None:
    """``IMI_LANG``, else the first IMI language of the locale variables."""
    if environ.get("IMI_LANG"):
        return normalise(environ["IMI_LANG"])
    for name in LOCALE_VARIABLES:
        value = environ.get(name, "")
        if not value:
            continue
        # LANGUAGE is a priority list ("hu:de"); the others name one locale
        for part in value.split(":") if name == "LANGUAGE" else [value]:
            code = normalise(part)
            if code:
                return code
        if name != "LANGUAGE":  # the first locale variable set decides, as in POSIX
            return None
    return None


def choose(argv: Sequence[str], environ: Mapping[str, str]) -> str:
    """The interface language of a run of ``imi argv`` in ``environ``."""
    given = from_argv(argv)
    if given is not None:
        code = normalise(given)
        if code:
            return code
    return from_environment(environ) or DEFAULT_LANGUAGE
