from __future__ import annotations

from pathlib import Path

import pytest
from sample_catalog import write_sample

HERE = Path(__file__).parent


@pytest.fixture
def sample_path(tmp_path: Path) -> Path:
    """A valid 26-language question set (test data) in a temporary catalogs folder."""
    return write_sample(tmp_path / "questionnaires")


@pytest.fixture
def small_valid() -> Path:
    return HERE / "fixtures" / "small-valid.yaml"
