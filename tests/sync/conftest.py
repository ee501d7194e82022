"""Two countries on one hub: HU and IE, each with a national coordinator, an authority
(HU-MEK, IE-RIAI) and a user at it, enrolled and synced, on 2026-01-05 by the settable clock."""

from __future__ import annotations

import secrets
from types import SimpleNamespace

import pytest

from imi_cli.demo.network import AUTHORITIES, _coordinator, _node, _register, _sync
from imi_cli.hub.background import BackgroundHub
from imi_cli.hub.state import init_hub


@pytest.fixture
def pair(tmp_path, monkeypatch):
    monkeypatch.setenv("IMI_NOW", "2026-01-05T09:00:00+00:00")
    hub = init_hub(tmp_path / "hub.db", secrets.token_urlsafe(16))
    with BackgroundHub(hub) as served:
        coords = {c: _coordinator(hub, tmp_path, served.url, c, lang, c) for c, lang in (("HU", "hu"), ("IE", "en"))}
        codes = {c: _register(coords[c], *AUTHORITIES[c]) for c in coords}
        users = {c: _node(tmp_path, AUTHORITIES[c][1]["id"], served.url, codes[c]) for c in coords}
        for store in users.values():
            _sync(store)
        yield SimpleNamespace(hub=hub, url=served.url, coords=coords, users=users)
        for store in [*coords.values(), *users.values()]:
            store.close()
    hub.store.close()
