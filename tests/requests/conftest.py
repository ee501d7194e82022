from __future__ import annotations

import secrets

import pytest

from imi_cli.hub.background import BackgroundHub
from imi_cli.hub.state import init_hub
from tests.requests.network import build

USERS = {
    "ie.handler": ("IE", "request_handler;supervisor"),
    "ie.other": ("IE", "alert_handler"),
    "hu.handler": ("HU", "request_handler"),
    "hu.handler2": ("HU", "request_handler"),
    "hu.alloc": ("HU", "allocator"),
    "de.handler": ("DE", "request_handler"),
    "mt.handler": ("MT", "request_handler"),
}


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    folder = tmp_path_factory.mktemp("net")
    hub = init_hub(folder / "hub.db", secrets.token_urlsafe(16))
    with BackgroundHub(hub) as served:
        net = build(hub, served.url, folder, USERS)
        yield net
        net.close()
    hub.store.close()
