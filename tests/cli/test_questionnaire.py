"""`imi questionnaire ...` through the CLI: exact messages and exit codes."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

HERE = Path(__file__).parent
CORE = HERE.parent / "questionnaires"
BROKEN = CORE / "broken"
SMALL = CORE / "fixtures" / "small-valid.yaml"
SHIPPED = HERE.parents[1] / "questionnaires"


def _sample_module():
    # the 26-language test catalog lives with the core tests; load it without touching sys.path
    spec = importlib.util.spec_from_file_location("sample_catalog", CORE / "sample_catalog.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def catalogs(tmp_path: Path, monkeypatch) -> Path:
    """A catalogs folder (IMI_QUESTIONNAIRES) with the 26-language sample and the small set."""
    folder = tmp_path / "questionnaires"
    _sample_module().write_sample(folder)
    shutil.copy(SMALL, folder / SMALL.name)
    monkeypatch.setenv("IMI_QUESTIONNAIRES", str(folder))
    monkeypatch.chdir(tmp_path)
    return folder


def test_validate_clean_folder(imi, catalogs) -> None:
    result = imi("questionnaire", "validate", "--strict")
    assert (result.code, result.out) == (0, "")
    assert result.err == "2 file(s) checked: 0 error(s), 0 warning(s)\n"


def test_validate_prints_every_finding_and_fails(imi, monkeypatch) -> None:
    monkeypatch.chdir(BROKEN.parents[2])
    result = imi("questionnaire", "validate", "tests/questionnaires/broken/e003-cycle.yaml")
    assert result.code == 1
    assert result.out.splitlines() == [
        "tests/questionnaires/broken/e003-cycle.yaml:29:29: error: [E003] question "
        "'person_established' is part of a cycle of enable_when conditions (via 'years_experience')",
        "tests/questionnaires/broken/e003-cycle.yaml:44:17: error: [E003] question "
        "'years_experience' is part of a cycle of enable_when conditions (via 'person_established')",
    ]
    assert result.err == ("imi: error: 1 file(s) checked: 2 error(s), 0 warning(s)\n"
                          "  hint: fix the errors above; warnings fail only with --strict\n")


def test_warnings_fail_only_with_strict(imi, monkeypatch) -> None:
    monkeypatch.chdir(BROKEN)
    assert imi("questionnaire", "validate", "i001-identical.yaml").code == 0
    strict = imi("questionnaire", "validate", "i001-identical.yaml", "--strict")
    assert strict.code == 1
    assert strict.out == ("i001-identical.yaml:18:38: warning: [I001] authenticity.not_authentic.label.de "
                          "is identical to the en source; translate it, or list it in allow_identical\n")


def test_validate_directory_recurses(imi) -> None:
    result = imi("questionnaire", "validate", str(BROKEN))
    assert result.code == 1
    assert len({line.split(":")[0] for line in result.out.splitlines()}) == len(list(BROKEN.glob("*.yaml")))


def test_github_format_is_automatic_on_actions(imi, monkeypatch) -> None:
    monkeypatch.chdir(BROKEN)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = imi("questionnaire", "validate", "s005-bad-status.yaml")
    assert result.out == ("::error file=s005-bad-status.yaml,line=4,col=9,title=S005::[S005] status "
                          "'final' is not one of draft, published, retired\n")


def test_sarif_format(imi, monkeypatch) -> None:
    monkeypatch.chdir(BROKEN)
    result = imi("questionnaire", "validate", "s005-bad-status.yaml", "--format", "sarif")
    sarif = json.loads(result.out)
    assert sarif["version"] == "2.1.0"
    [finding] = sarif["runs"][0]["results"]
    assert finding["ruleId"] == "S005"
    assert finding["locations"][0]["physicalLocation"]["region"] == {"startLine": 4, "startColumn": 9}


def test_junit_format(imi, monkeypatch) -> None:
    import xml.etree.ElementTree as ET

    monkeypatch.chdir(BROKEN)
    result = imi("questionnaire", "validate", "s005-bad-status.yaml", "u002-duplicate-code.yaml",
                 "-f", "junit")
    suite = ET.fromstring(result.out)
    assert (suite.get("tests"), suite.get("failures")) == ("2", "2")
    assert [f.get("type") for f in suite.iter("failure")] == ["S005", "U002"]


def test_json_findings(imi, monkeypatch) -> None:
    monkeypatch.chdir(BROKEN)
    result = imi("questionnaire", "validate", "u002-duplicate-code.yaml", "--json")
    data = json.loads(result.out)
    assert (data["errors"], data["findings"][0]["check"], data["findings"][0]["line"]) == (1, "U002", 17)


def test_unknown_format_is_a_usage_error(imi) -> None:
    result = imi("questionnaire", "validate", str(SMALL), "--format", "xml")
    assert result.code == 2
    assert result.err.startswith("imi: error: --format 'xml' is not one of: text, github, sarif, junit, json")


def test_missing_path(imi, tmp_path) -> None:
    result = imi("questionnaire", "validate", str(tmp_path / "nope.yaml"))
    assert result.code == 4
    assert result.err.splitlines()[0] == f"imi: error: {tmp_path / 'nope.yaml'}: no such file or directory"


def test_list(imi, catalogs) -> None:
    result = imi("questionnaire", "list")
    assert result.code == 0
    assert result.out.splitlines() == [
        "id\tversion\tstatus\tarea\tquestions\ttitle",
        "small-valid\t1.0\tpublished\tprofessional-qualifications\t4\tVerify a qualification",
        "test-sample\t1.0\tpublished\tprofessional-qualifications\t6\tVerify a qualification",
    ]


def test_list_json_in_german_and_area_filter(imi, catalogs) -> None:
    rows = json.loads(imi("questionnaire", "list", "--json", "--lang", "de").out)
    assert rows[0]["title"] == "Eine Qualifikation prüfen"
    assert imi("questionnaire", "list", "--area", "services").out == "id\tversion\tstatus\tarea\tquestions\ttitle\n"
    unknown = imi("questionnaire", "list", "--area", "fisheries")
    assert (unknown.code, unknown.err.splitlines()[0]) == (4, "imi: error: no legislative area 'fisheries'")


def test_list_names_broken_files(imi, catalogs) -> None:
    shutil.copy(BROKEN / "u002-duplicate-code.yaml", catalogs)
    result = imi("questionnaire", "list")
    assert result.code == 0
    assert "skipped u002-duplicate-code.yaml: it has errors" in result.err.replace("questionnaires/", "")


def test_show_in_a_language(imi, catalogs) -> None:
    result = imi("questionnaire", "show", "small-valid", "--language", "de")
    assert result.code == 0
    assert "2. Ist die Person in Ihrem Land niedergelassen?  [person_established: yes_no, required]" in result.out
    assert "   ( ) Ja  = yes\n   ( ) Nein  = no\n" in result.out
    assert "   number 0..80 Jahre\n" in result.out


def test_show_json_uses_built_in_yes_no_labels(imi, catalogs) -> None:
    view = json.loads(imi("questionnaire", "show", "test-sample", "--language", "fi", "--json").out)
    established = view["questions"][1]
    assert established["options"] == [{"code": "yes", "label": "Kyllä"}, {"code": "no", "label": "Ei"}]
    assert view["questions"][2]["unit"] == {"one": "year-one-fi", "other": "year-other-fi"}


def test_show_default_language_from_settings(imi, catalogs, monkeypatch) -> None:
    monkeypatch.setenv("IMI_LANG", "de")
    assert imi("questionnaire", "show", "small-valid").out.startswith("Eine Qualifikation prüfen")


def test_show_unknown_set(imi, catalogs) -> None:
    result = imi("questionnaire", "show", "nope")
    assert result.code == 4
    assert result.err == ("imi: error: no question set 'nope'\n"
                          "  hint: `imi questionnaire list` shows them all\n")


def test_coverage(imi, catalogs) -> None:
    data = json.loads(imi("questionnaire", "coverage", "--json").out)
    assert data["test-sample"]["ga"] == 100
    assert (data["small-valid"]["de"], data["small-valid"]["fr"]) == (100, 0)
    table = imi("questionnaire", "coverage").out.splitlines()
    assert table[table.index("de\t100%\t100%")] and "fr\t0%\t100%" in table


def test_every_command_has_help(imi) -> None:
    for command in ("validate", "list", "show", "coverage", "export-po", "import-po"):
        result = imi("questionnaire", command, "--help")
        assert result.code == 0, command
        assert len(result.out.splitlines()) > 3


def test_shipped_catalogs_validate_strict(imi) -> None:
    """The catalogs shipped in questionnaires/ are clean, warnings included."""
    result = imi("questionnaire", "validate", str(SHIPPED), "--strict")
    assert result.out == ""
    assert result.code == 0


def test_export_po_to_stdout(imi, catalogs) -> None:
    result = imi("questionnaire", "export-po", "small-valid", "--to", "pl")
    assert result.code == 0
    assert 'msgctxt "years_experience.unit.few"\nmsgid "years"\nmsgstr ""\n' in result.out
    assert '"Project-Id-Version: small-valid 1.0\\n"' in result.out


def test_export_po_needs_a_language(imi, catalogs) -> None:
    result = imi("questionnaire", "export-po", "small-valid")
    assert result.code == 2
    assert result.err.splitlines()[0] == "imi: error: export-po needs --to, the language to translate into"


def test_import_po_round_trip(imi, catalogs, tmp_path) -> None:
    from babel.messages.pofile import read_po, write_po

    po = tmp_path / "de.po"
    assert imi("questionnaire", "export-po", "small-valid", "--to", "de", "-o", po).code == 0
    with po.open("rb") as handle:
        catalog = read_po(handle)
    catalog.get("Remarks", context="remarks.text").string = "Anmerkungen"
    with po.open("wb") as handle:
        write_po(handle, catalog)
    result = imi("questionnaire", "import-po", po)
    assert (result.code, result.out) == (0, "")
    assert result.err == ("questionnaires/small-valid.yaml: 1 updated, 10 unchanged, "
                          "0 untranslated, 0 fuzzy skipped (de)\n")
    assert "text: {en: Remarks, de: Anmerkungen}" in (catalogs / "small-valid.yaml").read_text()


def test_import_po_refused_with_reasons(imi, catalogs, tmp_path) -> None:
    from babel.messages.pofile import read_po, write_po

    po = tmp_path / "de.po"
    imi("questionnaire", "export-po", "small-valid", "--to", "de", "-o", po)
    with po.open("rb") as handle:
        catalog = read_po(handle)
    catalog.get("Remarks", context="remarks.text").string = "Anmerkungen "
    with po.open("wb") as handle:
        write_po(handle, catalog)
    before = (catalogs / "small-valid.yaml").read_text()
    result = imi("questionnaire", "import-po", po)
    assert result.code == 5
    assert result.err.splitlines()[:2] == [
        f"imi: error: import of {po} refused: the translations would break checks; nothing was written",
        "  questionnaires/small-valid.yaml:50:29: [W001] remarks.text.de has leading or trailing whitespace"]
    assert (catalogs / "small-valid.yaml").read_text() == before


def test_validate_against_git_ref(imi, tmp_path, monkeypatch) -> None:
    import subprocess

    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.email=t@example.org", "-c", "user.name=t", *args],
                       cwd=tmp_path, check=True, capture_output=True)

    shutil.copy(SMALL, tmp_path / SMALL.name)
    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "v1")
    path = tmp_path / SMALL.name
    path.write_text(path.read_text().replace("text: {en: Remarks,", "text: {en: Any remarks,"))
    monkeypatch.chdir(tmp_path)
    result = imi("questionnaire", "validate", SMALL.name, "--against", "HEAD")
    assert (result.code, result.out) == (1, "small-valid.yaml:4:10: error: [V001] the questions "
                                            "changed since HEAD but version is still '1.0'; bump it\n")
    bad = imi("questionnaire", "validate", SMALL.name, "--against", "v7")
    assert (bad.code, bad.err.splitlines()[0]) == (
        2, f"imi: error: --against 'v7' is not a git revision of {tmp_path}")


def test_validate_an_empty_folder_is_an_error_not_a_pass(imi, tmp_path):
    result = imi("questionnaire", "validate", tmp_path)
    assert result.code == 4
    assert result.err == (f"imi: error: {tmp_path}: no *.yaml catalogs in this folder\n"
                          "  hint: give a catalog file or a folder of *.yaml catalogs\n")


def _keep_version_1_0_and_bump(catalogs: Path) -> None:
    """small-valid 2.0 (a question's text changed) as the current file, 1.0 kept beside it."""
    (catalogs / "previous").mkdir()
    shutil.copy(SMALL, catalogs / "previous" / "small-valid@1.0.yaml")
    text = (catalogs / SMALL.name).read_text(encoding="utf-8").replace('version: "1.0"', 'version: "2.0"')
    (catalogs / SMALL.name).write_text(text.replace("{en: Remarks,", "{en: Any remarks,"), encoding="utf-8")


def test_kept_versions_are_listed_and_shown(imi, catalogs) -> None:
    _keep_version_1_0_and_bump(catalogs)
    assert [line.split("\t")[:2] for line in imi("questionnaire", "list").out.splitlines()] == [
        ["id", "version"], ["small-valid", "1.0"], ["small-valid", "2.0"], ["test-sample", "1.0"]]
    assert "Any remarks" in imi("questionnaire", "show", "small-valid").out
    old = imi("questionnaire", "show", "small-valid", "--version", "1.0").out
    assert "(small-valid 1.0, published, en)" in old and "Any remarks" not in old
    assert imi("questionnaire", "validate", "--strict").err == "3 file(s) checked: 0 error(s), 0 warning(s)\n"
    coverage = json.loads(imi("questionnaire", "coverage", "--json").out)
    assert sorted(coverage) == ["small-valid", "test-sample"]  # the current versions only


def test_show_a_version_not_kept(imi, catalogs) -> None:
    result = imi("questionnaire", "show", "small-valid", "--version", "0.9")
    assert result.code == 4
    assert result.err == ("imi: error: question set 'small-valid' version '0.9' is not available here "
                          "(these catalogs hold 1.0)\n"
                          "  hint: keep the published version as small-valid@0.9.yaml in the catalog folder\n")


def test_export_po_takes_the_current_version(imi, catalogs) -> None:
    _keep_version_1_0_and_bump(catalogs)
    result = imi("questionnaire", "export-po", "small-valid", "--to", "pl")
    assert '"Project-Id-Version: small-valid 2.0\\n"' in result.out


class _Marked:
    """A catalog that "translates" every sentence by marking it: «...»."""

    def gettext(self, message: str) -> str:
        return f"«{message}»"

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return f"«{singular if n == 1 else plural}»"

    def pgettext(self, context: str, message: str) -> str:
        return f"«{message}»"


@pytest.fixture
def marked(monkeypatch):
    from imi_cli import i18n

    monkeypatch.setattr(i18n, "catalog", lambda code: _Marked() if code != "en" else i18n.gettext.NullTranslations())


def test_findings_are_told_in_the_interface_language_but_machine_formats_stay_english(imi, marked, monkeypatch):
    monkeypatch.chdir(BROKEN.parents[2])
    broken = "tests/questionnaires/broken/u002-duplicate-code.yaml"
    english = json.loads(imi("questionnaire", "validate", "--format", "json", broken).out)
    as_json = json.loads(imi("--lang", "de", "questionnaire", "validate", "--format", "json", broken).out)
    assert as_json == english and "«" not in json.dumps(english)
    for fmt in ("sarif", "junit"):
        assert "«" not in imi("--lang", "de", "questionnaire", "validate", "--format", fmt, broken).out
    text = imi("--lang", "de", "questionnaire", "validate", "--format", "text", broken)
    assert text.code == 1 and "«1 file(s) checked: 1 error(s), 0 warning(s)»" in text.err


def test_a_bare_key_finding_in_the_interface_language(imi, marked, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.yaml").write_text("id: x\nno: 1\n", encoding="utf-8")
    text = imi("questionnaire", "validate", "--format", "text", "--lang", "de", "bad.yaml").out
    assert "[Y003] «key no is read by YAML as a boolean; quote it: \"no\"»" in text
    english = imi("questionnaire", "validate", "--format", "text", "bad.yaml").out
    assert "[Y003] key no is read by YAML as a boolean; quote it: \"no\"" in english


def test_list_headings_and_status_on_a_terminal(imi, catalogs, marked, monkeypatch):
    import io

    from imi_cli.cli import output

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setenv("COLUMNS", "200")
    tsv = imi("questionnaire", "list", "--lang", "de").out  # a pipe keeps the codes
    assert "\tpublished\t" in tsv and "«" not in tsv
    screen = Terminal()
    monkeypatch.setattr(output, "_streams", lambda: (screen, io.StringIO()))
    assert imi("questionnaire", "list", "--lang", "de").code == 0
    assert "«Status»" in screen.getvalue() and "«published»" in screen.getvalue()
