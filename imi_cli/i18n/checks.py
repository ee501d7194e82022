"""The checks of the interface catalogs, run in CI (``python -m imi_cli.i18n.build check``).

As ``imi questionnaire validate`` does for the question sets, each finding names where it
is (``file:line``) and the rule it breaks:

- ``stale-template``: imi.pot is not what the code and the command tree give (a message was
  added or changed without ``build extract``); ``untranslatable``: an f-string in a gettext
  call (its text cannot be looked up);
- ``missing``: a message of the template without a translation, or absent from a catalog;
  ``fuzzy``: a translation marked for review (it is not used);
- ``placeholders``: the ``{fields}`` of a translation are not those of its English (or are
  not plain names: ``{x.attr}`` and positional fields are refused);
- ``plural-forms``: a plural without every form the language's CLDR rule has;
- ``markup``: backquoted commands and ``--options`` must stay as they are, untranslated;
- ``identical``: more than 2 % of the long messages (20 characters or more) left in English;
- ``stale-mo``: the compiled catalog is not the one ``build compile`` makes from the .po.
"""

from __future__ import annotations

import contextlib
import io
import re
import string
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from imi_cli.i18n import build

IDENTICAL_SHARE = 0.02
LONG = 20
_CODE = re.compile(r"`[^`]*`")
_OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


@dataclass(frozen=True)
class Finding:
    where: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: [{self.rule}] {self.message}"


def fields(text: str) -> tuple[set[str], str | None]:
    """The named fields of a ``str.format`` text, or a reason it is not a fine template."""
    names: set[str] = set()
    try:
        for _literal, name, _spec, _conversion in string.Formatter().parse(text):
            if name is None:
                continue
            if not name.isidentifier():
                return names, f"field {{{name}}} is not a plain name"
            names.add(name)
    except ValueError as exc:
        return names, f"broken braces ({exc})"
    return names, None


def check_template() -> list[Finding]:
    """The template is what extraction gives now, and no gettext call holds an f-string."""
    findings = []
    errors = io.StringIO()
    with contextlib.redirect_stderr(errors):
        fresh = build.template()
    for line in errors.getvalue().splitlines():
        match = re.match(r"(?P<file>\S+?):(?P<line>\d+): warning: (?P<text>.*)", line)
        if match and "f-string" in match["text"]:
            findings.append(Finding(f"{build._relative(match['file'])}:{match['line']}", "untranslatable",
                                    "an f-string in a gettext call: write a template with named fields"))
    current = build.read(build.TEMPLATE) if build.TEMPLATE.exists() else None
    fresh_ids = {(m.id, m.context) for m in fresh if m.id}
    current_ids = {(m.id, m.context) for m in current if m.id} if current is not None else set()
    for msgid, _context in sorted(fresh_ids - current_ids, key=str)[:50]:
        findings.append(Finding(build._relative(build.TEMPLATE), "stale-template",
                                f"not in the template: {_short(msgid)} (run `python -m imi_cli.i18n.build all`)"))
    for msgid, _context in sorted(current_ids - fresh_ids, key=str)[:50]:
        findings.append(Finding(build._relative(build.TEMPLATE), "stale-template",
                                f"no longer in the code: {_short(msgid)} (run `python -m imi_cli.i18n.build all`)"))
    return findings


def _short(msgid: Any) -> str:
    text = msgid[0] if isinstance(msgid, tuple) else msgid
    return repr(text if len(text) <= 60 else text[:57] + "...")


def check_language(code: str, template: Any) -> list[Finding]:
    path = build.po_path(code)
    where = build._relative(path)
    if not path.exists():
        return [Finding(where, "missing", "no catalog for this language")]
    catalog = build.read(path, code)
    findings: list[Finding] = []
    long_total = long_same = 0
    for tmpl in template:
        if not tmpl.id:
            continue
        message = catalog.get(tmpl.id, context=tmpl.context)
        if message is None:
            findings.append(Finding(where, "missing", f"no entry for {_short(tmpl.id)}"))
            continue
        at = f"{where}:{message.lineno}"
        forms: tuple[str, ...] = (tuple(message.string) if isinstance(message.string, tuple)
                                  else (str(message.string or ""),))
        if not all(forms):
            findings.append(Finding(at, "missing", f"no translation of {_short(message.id)}"))
            continue
        if message.fuzzy:
            findings.append(Finding(at, "fuzzy", f"marked fuzzy (not used until reviewed): {_short(message.id)}"))
        findings.extend(_check_forms(at, message, forms, catalog.num_plurals))
        english = message.id[-1] if isinstance(message.id, tuple) else message.id
        if len(english) >= LONG and any(c.isalpha() for c in english):
            long_total += 1
            long_same += forms[-1] == english
    if long_total and long_same / long_total > IDENTICAL_SHARE:
        findings.append(Finding(where, "identical", f"{long_same} of {long_total} long messages are the English "
                                                    f"text ({long_same / long_total:.1%} > {IDENTICAL_SHARE:.0%})"))
    mo = build.mo_path(code)
    if not mo.exists() or mo.read_bytes() != build.compiled(code):
        findings.append(Finding(build._relative(mo), "stale-mo",
                                "not compiled from the .po (run `python -m imi_cli.i18n.build compile`)"))
    return findings


def _check_forms(at: str, message: Any, forms: tuple[str, ...], plurals: int) -> list[Finding]:
    findings = []
    ids = message.id if isinstance(message.id, tuple) else (message.id,)
    if isinstance(message.id, tuple) and len(forms) != plurals:
        findings.append(Finding(at, "plural-forms", f"{len(forms)} forms, the language has {plurals}"))
    wanted, _ = fields(ids[-1])
    singular, _ = fields(ids[0])
    for form in forms:
        got, problem = fields(form)
        if problem:
            findings.append(Finding(at, "placeholders", problem))
            continue
        # a plural form may leave out {n} ("one request" written as a word)
        allowed = wanted | singular
        need = (wanted - {"n"}) if isinstance(message.id, tuple) else wanted
        if got - allowed or need - got:
            findings.append(Finding(at, "placeholders", f"fields {sorted(got)} where the English has "
                                                        f"{sorted(wanted)}"))
    english_code = sorted(_CODE.findall(ids[0]))
    english_options = sorted(set(_OPTION.findall(ids[-1])))
    for form in forms:
        if sorted(_CODE.findall(form)) != english_code and english_code:
            findings.append(Finding(at, "markup", "a `command` must stay as it is in the English"))
            break
        if form.count("`") % 2:
            findings.append(Finding(at, "markup", "unbalanced `backquotes`"))
            break
        if english_options and sorted(set(_OPTION.findall(form))) != english_options:
            findings.append(Finding(at, "markup", f"options {english_options} must stay as they are"))
            break
    return findings


def check(codes: Iterable[str] = build.TRANSLATED) -> list[Finding]:
    findings = check_template()
    template = build.read(build.TEMPLATE)
    for code in codes:
        findings.extend(check_language(code, template))
    return findings


def run(argv: list[str]) -> int:
    """Print every finding (or a summary per rule with ``--summary``); exit 1 on any."""
    summary = "--summary" in argv
    codes = tuple(a for a in argv if not a.startswith("--")) or build.TRANSLATED
    findings = check(codes)
    if summary:
        counts: dict[tuple[str, str], int] = {}
        for f in findings:
            key = (f.where.split(":")[0], f.rule)
            counts[key] = counts.get(key, 0) + 1
        for (where, rule), count in sorted(counts.items()):
            print(f"{where}: [{rule}] {count}")
    else:
        for f in findings:
            print(f)
    print(f"{len(findings)} finding(s) in {len(codes)} catalog(s)", file=sys.stderr)
    return 1 if findings else 0


__all__ = ["Finding", "check", "fields", "run"]
