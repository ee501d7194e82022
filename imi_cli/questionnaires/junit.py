"""Findings as JUnit XML, the test report CI servers (GitLab, Jenkins, Azure) show.

One ``<testsuite>`` per catalog file and one ``<testcase>`` per finding, named by its check id
and place (``S005 questionnaires/x.yaml:4:9``, then `` (2)`` for a second one there): many
consumers show only the first failure of a test case, or merge test cases of one name, so
findings never share one. An error is a ``<failure>``; a warning is a passing test
case that tells it in ``<system-out>``, and a ``<failure>`` only with ``--strict`` (as the exit
code). A file without findings is one passing test case, so a clean catalog is seen as checked.

ElementTree escapes markup; characters XML 1.0 cannot carry at all (control characters from a
file name or a quoted value of an untrusted catalog) are written as ``\\xNN``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict

from imi_cli.questionnaires.findings import ERROR, Finding
from imi_cli.questionnaires.rules import help_uri

SUITES = "imi questionnaire validate"
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def junit(findings: list[Finding], files: list[str], strict: bool = False) -> str:
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_file[finding.file].append(finding)
    root = ET.Element("testsuites", name=SUITES)
    seen: Counter[str] = Counter()
    for name in dict.fromkeys(list(files) + list(by_file)):
        suite = ET.SubElement(root, "testsuite", name=_xml(name))
        for finding in by_file[name]:
            seen[case := case_name(finding)] += 1
            _case(suite, finding, case if seen[case] == 1 else f"{case} ({seen[case]})",
                  failed=finding.level == ERROR or strict)
        if not by_file[name]:
            ET.SubElement(suite, "testcase", classname=_xml(name), name=_xml(name))
        _count(suite, suite.findall("testcase"))
        suite.set("skipped", "0")
    _count(root, root.findall("testsuite/testcase"))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def case_name(finding: Finding) -> str:
    """Check id and place; a second finding of the same check at the same place adds " (2)"."""
    return f"{finding.check} {finding.file}:{finding.line}:{finding.col}"


def _case(suite: ET.Element, finding: Finding, name: str, failed: bool) -> None:
    case = ET.SubElement(suite, "testcase", classname=_xml(finding.file), name=_xml(name))
    said = (f"{finding.file}:{finding.line}:{finding.col}: {finding.level}: [{finding.check}] "
            f"{finding.message}\nsee {help_uri(finding.check)}")
    if failed:
        failure = ET.SubElement(case, "failure", type=finding.check,
                                message=_xml(f"[{finding.check}] {finding.message}"))
        failure.text = _xml(said)
    else:
        ET.SubElement(case, "system-out").text = _xml(said)


def _count(element: ET.Element, cases: list[ET.Element]) -> None:
    element.set("tests", str(len(cases)))
    element.set("failures", str(sum(case.find("failure") is not None for case in cases)))
    element.set("errors", "0")


def _xml(text: str) -> str:
    return NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                       else f"\\u{ord(m.group()):04x}", text)
