"""Findings in the formats CI systems read: text, github, sarif (2.1.0), junit, json."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable

from imi_cli.questionnaires.findings import ERROR, Finding

FORMATS = ("text", "github", "sarif", "junit", "json")
# read by programs: their findings are said in English whatever the interface language (the
# check ids, levels and the formats' own fields are English in every format)
MACHINE_FORMATS = ("sarif", "junit", "json")
TOOL_URL = "https://github.com/imi-cli/imi-cli/blob/main/docs/questionnaires.md"


def auto_format(requested: str | None, as_json: bool = False) -> str:
    """An explicit --format wins; then --json; on GitHub Actions, annotations; else text."""
    if requested:
        return requested
    if as_json:
        return "json"
    return "github" if os.environ.get("GITHUB_ACTIONS") else "text"


def render(findings: list[Finding], fmt: str, files: list[str]) -> str:
    return RENDERERS[fmt](findings, files)


def text(findings: list[Finding], files: list[str]) -> str:
    """One line a finding; a file name or a quoted value of the (untrusted) catalog never acts
    on the terminal (imi_cli.safe_text)."""
    from imi_cli.safe_text import safe_text

    return "".join(safe_text(f"{f.file}:{f.line}:{f.col}: {f.level}: [{f.check}] {f.message}") + "\n"
                   for f in findings)


def _escape_github(value: str, property_: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return value.replace(":", "%3A").replace(",", "%2C") if property_ else value


def github(findings: list[Finding], files: list[str]) -> str:
    return "".join(
        f"::{f.level} file={_escape_github(f.file, True)},line={f.line},col={f.col},"
        f"title={f.check}::{_escape_github(f'[{f.check}] {f.message}')}\n"
        for f in findings)


def sarif(findings: list[Finding], files: list[str]) -> str:
    from imi_cli import __version__
    from imi_cli.bulk.exports import to_json

    rules = sorted({f.check for f in findings})
    run = {
        "tool": {"driver": {"name": "imi questionnaire validate", "version": __version__,
                            "informationUri": TOOL_URL,
                            "rules": [{"id": rule, "helpUri": TOOL_URL} for rule in rules]}},
        "results": [_sarif_result(f, rules.index(f.check)) for f in findings],
    }
    return to_json({"$schema": "https://json.schemastore.org/sarif-2.1.0.json",
                    "version": "2.1.0", "runs": [run]}) + "\n"


def _sarif_result(finding: Finding, rule_index: int) -> dict:
    return {
        "ruleId": finding.check, "ruleIndex": rule_index, "level": finding.level,
        "message": {"text": finding.message},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": finding.file},
            "region": {"startLine": finding.line, "startColumn": finding.col}}}],
    }


def junit(findings: list[Finding], files: list[str]) -> str:
    """One test case per file, failed when it has findings; CI shows each finding."""
    import xml.etree.ElementTree as ET

    by_file: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_file[finding.file].append(finding)
    names = list(dict.fromkeys(list(files) + list(by_file)))
    suite = ET.Element("testsuite", name="imi questionnaire validate", tests=str(len(names)),
                       failures=str(sum(1 for n in names if by_file.get(n))), errors="0")
    for name in names:
        case = ET.SubElement(suite, "testcase", classname="questionnaires", name=name)
        for f in by_file.get(name, []):
            failure = ET.SubElement(case, "failure", type=f.check, message=f"[{f.check}] {f.message}")
            failure.text = f"{f.file}:{f.line}:{f.col}: {f.level}: [{f.check}] {f.message}"
    ET.indent(suite)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"


def json_(findings: list[Finding], files: list[str]) -> str:
    from imi_cli.bulk.exports import to_json

    return to_json({"files": list(files), "findings": [f.as_dict() for f in findings],
                    "errors": sum(f.level == ERROR for f in findings),
                    "warnings": sum(f.level != ERROR for f in findings)}) + "\n"


RENDERERS: dict[str, Callable[[list[Finding], list[str]], str]] = {
    "text": text, "github": github, "sarif": sarif, "junit": junit, "json": json_,
}
