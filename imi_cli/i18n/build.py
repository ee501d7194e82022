"""Build the interface catalogs with Babel: extract, update, compile, check, merge.

    python -m imi_cli.i18n.build extract    # imi.pot from the code and the command tree
    python -m imi_cli.i18n.build update     # every language's imi.po from imi.pot
    python -m imi_cli.i18n.build compile    # imi.mo beside each imi.po (shipped in the package)
    python -m imi_cli.i18n.build check      # the catalog checks (imi_cli.i18n.checks); exit 1 on a finding
    python -m imi_cli.i18n.build todo hu    # what hu still needs, as JSON (the keys merge takes)
    python -m imi_cli.i18n.build merge hu translations.json   # fill hu's imi.po from {msgid: msgstr}
    python -m imi_cli.i18n.build all        # extract, update, compile

Messages come from two places: calls of the gettext functions in the source (``_``, ``t``,
``nt``, ``pt``, ``N_``, ``NP_`` and the template of ``Refusal``), found by Babel's Python extractor; and
the help texts of the command tree (docstrings, ``help=`` of options, the root table), read
from the tree itself as Typer builds it, so the catalog holds exactly the text
``imi_cli.cli.translated`` looks up.
"""

from __future__ import annotations

import inspect
import io
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from imi_cli.i18n import DOMAIN, LOCALE_DIR, SOURCE_LANGUAGE
from imi_cli.reference.languages import LANGUAGES

PACKAGE = Path(__file__).resolve().parents[1]
ROOT = PACKAGE.parent
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"
KEYWORDS: dict[str, Any] = {
    "_": None, "N_": None, "NP_": ((1, "c"), 2), "t": None, "nt": (1, 2), "pt": ((1, "c"), 2),
    "ngettext": (1, 2), "pgettext": ((1, "c"), 2),
    "Refusal": (2,),  # Refusal(reason, template, **params): the hub's English, the node's catalog
}
TRANSLATED = tuple(code for code in LANGUAGES if code != SOURCE_LANGUAGE)
# the fixed creation date keeps the template byte-stable between runs (only its messages change)
_STAMP = datetime(2026, 1, 1, tzinfo=UTC)


def po_path(code: str) -> Path:
    return LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(code: str) -> Path:
    return po_path(code).with_suffix(".mo")


def _relative(path: str | Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _new_catalog(locale: str | None = None) -> Catalog:
    return Catalog(locale=locale, domain=DOMAIN, project="imi-cli", version="1",
                   copyright_holder="the imi-cli authors", msgid_bugs_address="", charset="utf-8",
                   creation_date=_STAMP, revision_date=_STAMP, fuzzy=False,
                   language_team="imi-cli translators", last_translator="")


def _flags(message: str | tuple[str, ...]) -> tuple[str, ...]:
    texts = message if isinstance(message, tuple) else (message,)
    return ("python-brace-format",) if any("{" in text for text in texts) else ()


def from_source() -> Iterator[tuple[str, int, Any, list[str], str | None]]:
    """(file, line, message, comments, context) of every gettext call in the package."""
    for filename, lineno, message, comments, context in extract_from_dir(
            str(PACKAGE), method_map=[("i18n/build.py", "ignore"), ("**.py", "python")], keywords=KEYWORDS,
            comment_tags=("Translators:",), strip_comment_tags=True):
        yield f"imi_cli/{filename}", lineno, message, comments, context


def from_commands() -> Iterator[tuple[str, int, str, list[str]]]:
    """(file, line, text, comments) of every help text of the command tree, as Typer builds it."""
    from typer.main import get_command

    from imi_cli import i18n
    from imi_cli.cli.app import app
    from imi_cli.commands import COMMANDS

    token = i18n.use(SOURCE_LANGUAGE)
    try:
        root = get_command(app)
        yield from _walk(root, "imi", ("imi_cli/cli/app.py", 1))
        table = inspect.getsourcefile(sys.modules["imi_cli.commands"]) or "imi_cli/commands/__init__.py"
        for name, entry in COMMANDS.items():
            yield _relative(table), 1, entry.help, [f"one-line help of `imi {name}`"]
    finally:
        i18n.reset(token)


def _where(command: Any, fallback: tuple[str, int]) -> tuple[str, int]:
    callback = getattr(command, "callback", None)
    if callback is None:
        return fallback
    try:
        target = inspect.unwrap(callback)
        return _relative(inspect.getsourcefile(target) or fallback[0]), inspect.getsourcelines(target)[1]
    except (OSError, TypeError):
        return fallback


def _walk(command: Any, path: str, fallback: tuple[str, int]) -> Iterator[tuple[str, int, str, list[str]]]:
    file, line = _where(command, fallback)
    for text in (command.help, command.short_help):
        if text:
            yield file, line, text, [f"help of `{path}`"]
    for param in command.params:
        if getattr(param, "help", None):
            yield file, line, param.help, [f"help of `{path} {param.opts[0] if param.opts else param.name}`"]
    subcommands = getattr(command, "commands", None) or {}
    for name in list(subcommands):
        yield from _walk(subcommands[name], f"{path} {name}", (file, line))


def template() -> Catalog:
    """The template catalog: every message of the interface, with where it is used."""
    catalog = _new_catalog()
    for file, line, message, comments, context in from_source():
        catalog.add(message, None, [(file, line)], auto_comments=comments, context=context, flags=_flags(message))
    for file, line, text, comments in from_commands():
        existing = catalog.get(text)
        if existing is not None:
            existing.locations.append((file, line))
            continue
        catalog.add(text, None, [(file, line)], auto_comments=comments, flags=_flags(text))
    return catalog


def _write_po(path: Path, catalog: Catalog, **options: Any) -> bytes:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, sort_output=False, omit_header=False, **options)
    data = buffer.getvalue()
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_bytes() != data:
        path.write_bytes(data)
    return data


def read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=locale, domain=DOMAIN)


def extract() -> Catalog:
    catalog = template()
    _write_po(TEMPLATE, catalog, include_previous=False)
    return catalog


def update(codes: tuple[str, ...] = TRANSLATED) -> None:
    tmpl = read(TEMPLATE)
    for code in codes:
        path = po_path(code)
        catalog = read(path, code) if path.exists() else _new_catalog(code)
        catalog.update(tmpl, no_fuzzy_matching=False, update_header_comment=False)
        catalog.revision_date = _STAMP
        catalog.creation_date = _STAMP
        _write_po(path, catalog, ignore_obsolete=True, include_previous=True)


def compiled(code: str) -> bytes:
    """The .mo of ``code``'s catalog, as ``compile`` writes it."""
    catalog = read(po_path(code), code)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def compile_all(codes: tuple[str, ...] = TRANSLATED) -> None:
    for code in codes:
        if po_path(code).exists():
            data = compiled(code)
            if not mo_path(code).exists() or mo_path(code).read_bytes() != data:
                mo_path(code).write_bytes(data)


def merge(code: str, source: Path) -> tuple[int, list[str]]:
    """Fill ``code``'s catalog from a JSON object {msgid: msgstr} (a list of forms for a plural,
    keyed by the singular; ``context|msgid`` for a message with a context; or the message's
    ``#ref`` from ``todo``). Returns how many were filled and the keys that are no message."""
    data = json.loads(source.read_text(encoding="utf-8"))
    catalog = read(po_path(code), code)
    refs = {short_ref(m): m for m in catalog if m.id}
    filled, unknown = 0, []
    for key, value in data.items():
        context, _, msgid = key.rpartition("|") if "|" in key and not key.startswith("|") else (None, "", key)
        message = refs.get(msgid) if msgid.startswith("#") else _find(catalog, msgid, context or None)
        if message is None:
            unknown.append(key)
            continue
        if isinstance(message.id, tuple):
            forms = value if isinstance(value, list) else [value]
            count = catalog.num_plurals
            forms = (forms + [forms[-1]] * count)[:count]
            message.string = tuple(forms)
        else:
            message.string = value if isinstance(value, str) else value[0]
        message.flags.discard("fuzzy")
        filled += 1
    _write_po(po_path(code), catalog, ignore_obsolete=True, include_previous=True)
    return filled, unknown


def todo(code: str) -> dict[str, Any]:
    """What ``code``'s catalog still needs: every message without a translation or marked
    fuzzy, with its notes and the language's plural rule (for ``merge``)."""
    catalog = read(po_path(code), code)
    items = []
    for message in catalog:
        if not message.id:
            continue
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if all(forms) and not message.fuzzy:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        item: dict[str, Any] = {"ref": short_ref(message),
                                "key": f"{message.context}|{key}" if message.context else key}
        if isinstance(message.id, tuple):
            item["plural"] = message.id[1]
        notes = list(message.auto_comments) + [f"{f}:{n}" for f, n in message.locations[:2]]
        item["notes"] = notes
        if message.fuzzy and any(forms):
            item["fuzzy_was"] = list(forms) if isinstance(message.id, tuple) else forms[0]
        items.append(item)
    return {"language": code, "plural_forms": catalog.plural_forms, "count": len(items), "messages": items}


def short_ref(message: Any) -> str:
    """A short stable name of a message (``#`` and 8 hex digits of a hash of its context and
    id), which ``merge`` takes in place of the whole English text."""
    import hashlib

    key = message.id[0] if isinstance(message.id, tuple) else message.id
    return "#" + hashlib.sha1(f"{message.context or ''}\x04{key}".encode()).hexdigest()[:8]


def _find(catalog: Catalog, msgid: str, context: str | None) -> Any:
    found = catalog.get(msgid, context=context)
    if found is not None:
        return found
    for message in catalog:  # a plural is keyed by its singular
        if isinstance(message.id, tuple) and message.id[0] == msgid and message.context == context:
            return message
    return None


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "all"
    if command in ("extract", "all"):
        catalog = extract()
        print(f"{_relative(TEMPLATE)}: {len(catalog)} messages")
    if command in ("update", "all"):
        update(tuple(argv[1:]) or TRANSLATED)
    if command in ("compile", "all"):
        compile_all(tuple(argv[1:]) or TRANSLATED)
    if command == "merge":
        filled, unknown = merge(argv[1], Path(argv[2]))
        print(f"{argv[1]}: {filled} filled; {len(unknown)} not in the catalog")
        for key in unknown[:20]:
            print(f"  not in the catalog: {key[:100]!r}")
    if command == "todo":
        print(json.dumps(todo(argv[1]), ensure_ascii=False, indent=1))
    if command == "check":
        from imi_cli.i18n.checks import run

        return run(argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
