"""The ``hub`` fixture on SQLCipher only, for tests outside the hub suite that need a hub but
are about something else (the CLI, the security mutants): the hub suite itself
(tests/hub/conftest.py) runs on both backends."""

from __future__ import annotations

import pytest

from tests.hub.conftest import cheap_kdf, served_hub  # noqa: F401 -- fixtures


def _sqlcipher_hub(request, tmp_path, cheap_kdf):
    yield from served_hub(request, tmp_path, "sqlcipher")


hub = pytest.fixture(name="hub")(_sqlcipher_hub)
