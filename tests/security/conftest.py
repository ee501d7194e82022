"""The fixtures of the hub and request tests, for attacks against a real hub on loopback."""

from __future__ import annotations

from tests.exchanges.requests.conftest import network  # noqa: F401  (the shared request network)
from tests.hub.conftest import cheap_kdf, net  # noqa: F401
from tests.hub.sqlcipher_hub import hub  # noqa: F401
