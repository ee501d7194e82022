"""Findings in the formats CI systems read: text, github, sarif (2.1.0), junit, json.

SARIF and JUnit live in modules of their own (imi_cli.questionnaires.sarif, .junit).
"""

from __future__ import annotations

import os
from collections.abc import Callable

from imi_cli.questionnaires.findings import ERROR, Finding
from imi_cli.questionnaires.junit import junit
from imi_cli.questionnaires.sarif import sarif

FORMATS = ("text", "github", "sarif", "junit", "json")
# read by programs: their findings are said in English whatever the interface language (the
# check ids, levels and the formats' own fields are English in every format)
MACHINE_FORMATS = ("sarif", "junit", "json")


def auto_format(requested: str | None, as_json: bool = False) -> str:
    """An explicit --format wins; then --json; on GitHub Actions, annotations; else text."""
    if requested:
        return requested
    if as_json:
        return "json"
    return "github" if os.environ.get("GITHUB_ACTIONS") else "text"


def render(findings: list[Finding], fmt: str, files: list[str], strict: bool = False) -> str:
    """The findings in format ``fmt``; ``files`` are every file checked, findings or not, and
    ``strict`` says that warnings fail the run too (JUnit then reports them as failures)."""
    return RENDERERS[fmt](findings, files, strict)


def text(findings: list[Finding], files: list[str], strict: bool = False) -> str:
    """One line a finding; a file name or a quoted value of the (untrusted) catalog never acts
    on the terminal (imi_cli.safe_text)."""
    from imi_cli.safe_text import safe_text

    return "".join(safe_text(f"{f.file}:{f.line}:{f.col}: {f.level}: [{f.check}] {f.message}") + "\n"
                   for f in findings)


def _escape_github(value: str, property_: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return value.replace(":", "%3A").replace(",", "%2C") if property_ else value


def github(findings: list[Finding], files: list[str], strict: bool = False) -> str:
    return "".join(
        f"::{f.level} file={_escape_github(f.file, True)},line={f.line},col={f.col},"
        f"title={f.check}::{_escape_github(f'[{f.check}] {f.message}')}\n"
        for f in findings)


def json_(findings: list[Finding], files: list[str], strict: bool = False) -> str:
    from imi_cli.bulk.exports import to_json

    return to_json({"files": list(files), "findings": [f.as_dict() for f in findings],
                    "errors": sum(f.level == ERROR for f in findings),
                    "warnings": sum(f.level != ERROR for f in findings)}) + "\n"


RENDERERS: dict[str, Callable[[list[Finding], list[str], bool], str]] = {
    "text": text, "github": github, "sarif": sarif, "junit": junit, "json": json_,
}
