"""The example in docs/questionnaires.md is a valid catalog, warnings included."""

from __future__ import annotations

import re
from pathlib import Path

from imi_cli.questionnaires.catalog import check_text

DOC = Path(__file__).parents[2] / "docs" / "questionnaires.md"


def test_documented_example_validates_strict() -> None:
    example = re.search(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S).group(1)
    assert check_text(example, "pq-verify-diploma.yaml")[1] == []


def test_every_check_id_is_documented_for_authors() -> None:
    text = DOC.read_text(encoding="utf-8") + (DOC.parent / "catalog-format.md").read_text()
    for check in ("L002", "L003", "P001", "N001", "W001", "W006", "I001", "V001", "V002", "Y003"):
        assert check in text
