"""Findings as SARIF 2.1.0, the format code scanning (GitHub's upload-sarif, IDE viewers) reads.

- ``tool.driver.rules`` lists every rule (imi_cli.questionnaires.rules) with its CamelCase
  ``name``, ``shortDescription``, ``fullDescription`` and a ``helpUri`` to its own section of
  docs/catalog-format.md; a result points at its rule by ``ruleId`` and ``ruleIndex``.
- Message strings escape ``{`` and ``}`` as ``{{`` and ``}}``: in SARIF a brace opens a
  placeholder such as ``{0}`` (§3.11.5), and a finding often quotes one (``{profession}``).
- A file under the working directory is a relative ``uri`` with ``uriBaseId`` ``%SRCROOT%``,
  which ``originalUriBaseIds`` resolves to the working directory (run it from the repository's
  root, as CI does); a file outside it is an absolute ``file:`` URI.
- ``level`` is the finding's own (error or warning), whether or not ``--strict`` fails the run on
  warnings: the exit code says that; columns count Unicode code points.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePath
from urllib.parse import quote

from imi_cli.questionnaires.findings import ERROR, WARNING, Finding
from imi_cli.questionnaires.rules import DOCS_URL, RULES, Rule, rule

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
LEVELS = {ERROR: "error", WARNING: "warning"}  # any other level of a finding: "note"


def sarif(findings: list[Finding], files: list[str], strict: bool = False) -> str:
    from imi_cli import __version__
    from imi_cli.bulk.exports import to_json

    rules = list(RULES.values()) + [rule(check) for check in
                                    sorted({f.check for f in findings} - set(RULES))]
    index = {r.id: i for i, r in enumerate(rules)}
    run = {
        "tool": {"driver": {"name": "imi questionnaire validate", "version": __version__,
                            "informationUri": DOCS_URL,
                            "rules": [_descriptor(r) for r in rules]}},
        "originalUriBaseIds": {SRCROOT: {"uri": _directory_uri(Path.cwd())}},
        "artifacts": [{"location": artifact_location(name)} for name in files],
        "columnKind": "unicodeCodePoints",
        "results": [_result(f, index[f.check]) for f in findings],
    }
    return to_json({"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}) + "\n"


def escape(text: str) -> str:
    """A SARIF message string showing ``text`` as it is: literal braces doubled (§3.11.5)."""
    return text.replace("{", "{{").replace("}", "}}")


def artifact_location(name: str) -> dict[str, str]:
    """``name`` as the file names it in findings: relative to the working directory when under it."""
    path = PurePath(name)
    if path.is_absolute() or ".." in path.parts:
        return {"uri": Path(os.path.abspath(name)).as_uri()}
    return {"uri": quote(path.as_posix(), safe="/@"), "uriBaseId": SRCROOT}


def _directory_uri(path: Path) -> str:
    uri = path.resolve().as_uri()
    return uri if uri.endswith("/") else uri + "/"  # a base URI ends with a slash (§3.14.14)


def _descriptor(r: Rule) -> dict:
    return {
        "id": r.id, "name": r.name,
        "shortDescription": {"text": escape(r.short)},
        "fullDescription": {"text": escape(r.full)},
        "helpUri": r.help_uri,
        "help": {"text": escape(f"{r.full} See {r.help_uri}"),
                 "markdown": escape(f"{r.full}\n\n[{r.id} in the catalog format]({r.help_uri})")},
        "defaultConfiguration": {"level": LEVELS.get(r.level, "note")},
    }


def _result(finding: Finding, rule_index: int) -> dict:
    return {
        "ruleId": finding.check, "ruleIndex": rule_index,
        "level": LEVELS.get(finding.level, "note"),
        "message": {"text": escape(finding.message)},
        "locations": [{"physicalLocation": {
            "artifactLocation": artifact_location(finding.file),
            "region": {"startLine": finding.line, "startColumn": finding.col}}}],
    }
