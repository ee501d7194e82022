from __future__ import annotations

import pytest

from tests.exchanges.requests.network import shared_network

USERS = {
    "ie.handler": ("IE", "request_handler;supervisor"),
    "ie.other": ("IE", "alert_handler"),
    "hu.handler": ("HU", "request_handler"),
    "hu.handler2": ("HU", "request_handler"),
    "hu.alloc": ("HU", "allocator"),
    "de.handler": ("DE", "request_handler"),
    "mt.handler": ("MT", "request_handler"),
}


@pytest.fixture(scope="session")
def network(tmp_path_factory):
    """A hub on loopback with stores for IE, HU, DE and MT, shared by the request and CLI tests:
    each test makes its own requests, so they do not see each other's."""
    return shared_network(tmp_path_factory, USERS)
