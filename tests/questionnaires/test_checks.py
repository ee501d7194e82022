"""Every check, one broken file each: the exact check id and line, nothing else."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from imi_cli.questionnaires.catalog import Catalog, check_file, check_text
from imi_cli.questionnaires.findings import ERROR, WARNING

BROKEN = sorted((Path(__file__).parent / "broken").glob("*.yaml"))
MARK = re.compile(r"# <- ((?:[A-Z]\d{3} ?)+)")


def expected_marks(path: Path) -> list[tuple[int, set[str]]]:
    """Lines marked `# <- ID [ID...]` in a broken file: where findings must be, and which."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [(number, set(m.group(1).split()))
            for number, line in enumerate(lines, 1) if (m := MARK.search(line))]


def test_the_corpus_covers_every_check() -> None:
    covered = {check for path in BROKEN for _, checks in expected_marks(path) for check in checks}
    contract = (Path(__file__).parents[2] / "docs" / "catalog-format.md").read_text()
    documented = set(re.findall(r"\b([YSULPCETNWIVG]\d{3})\b", contract))
    # C002 is folded into L002 by the contract; V001/V002 need git history (test_history.py);
    # U004 and G002 are about several files at once (test_registry.py, test_grammar.py)
    assert documented - covered == {"C002", "V001", "V002", "U004", "G002"}


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_broken_file_breaks_exactly_its_check(path: Path) -> None:
    _, findings = check_file(path)
    marks = expected_marks(path)
    assert marks, "mark the broken line with `# <- ID`"
    assert {(f.line, f.check) for f in findings} == {
        (line, check) for line, checks in marks for check in checks}


def test_small_valid_fixture_is_clean(small_valid: Path) -> None:
    assert check_file(small_valid)[1] == []


def test_sample_26_languages_is_clean(sample_path: Path) -> None:
    assert check_file(sample_path)[1] == []


def test_levels() -> None:
    _, findings = check_file(Path(__file__).parent / "broken" / "i001-identical.yaml")
    assert [f.level for f in findings] == [WARNING]
    _, findings = check_file(Path(__file__).parent / "broken" / "u001-duplicate-question.yaml")
    assert [f.level for f in findings] == [ERROR]


def test_columns_are_one_based() -> None:
    _, findings = check_text("schema: 1\nid: x\nversion: 1.10\n", "x.yaml")
    y003 = [f for f in findings if f.check == "Y003"]
    assert (y003[0].line, y003[0].col) == (3, 10)
    assert y003[0].message == 'version 1.10 is read by YAML as a number; quote it: "1.10"'


def test_bare_no_as_language_key_is_y003_once(small_valid: Path) -> None:
    text = small_valid.read_text().replace("languages: [en, de]", 'languages: [en, de, "no"]')
    text = text.replace("title: {en: Verify a qualification,", "title: {no: Bekreft, en: Verify a qualification,")
    _, findings = check_text(text, "small-valid.yaml")
    title = [f for f in findings if f.line == 10]
    assert [(f.check, f.col) for f in title] == [("Y003", 9)]


def test_empty_file_is_one_finding() -> None:
    assert [f.check for f in check_text("", "e.yaml")[1]] == ["S004"]


def test_catalog_validate_collects_every_file() -> None:
    catalog = Catalog.from_paths([Path(__file__).parent / "broken"])
    findings = catalog.validate()
    assert len({f.file for f in findings}) == len(BROKEN)
    warnings_only = {f.file for f in findings} - {f.file for f in findings if f.level == ERROR}
    assert sorted(Path(p.path).name for p in catalog.sets) == sorted(
        Path(name).name for name in warnings_only)


def test_fast_plural_lookup_agrees_with_languages_module() -> None:
    from imi_cli.questionnaires.checks.languages import categories
    from imi_cli.reference.languages import LANGUAGES, plural_categories

    assert all(categories(lang) == plural_categories(lang) for lang in LANGUAGES)
