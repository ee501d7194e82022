"""Hub retention: old exchanges leave the hub; a node whose cursor predates that re-seeds."""

from __future__ import annotations

import secrets

from imi_cli.hub.background import BackgroundHub
from imi_cli.hub.retention import prune, retained_from
from imi_cli.hub.state import init_hub
from imi_cli.demo_network import _coordinator, _register, _node, _sync, AUTHORITIES
from imi_cli.messages import inbox, send


def test_a_node_behind_retention_reseeds_and_keeps_what_it_has(tmp_path, monkeypatch):
    monkeypatch.setenv("IMI_NOW", "2026-01-05T09:00:00+00:00")
    hub = init_hub(tmp_path / "hub.db", secrets.token_urlsafe(16))
    with BackgroundHub(hub) as served:
        coords = {c: _coordinator(hub, tmp_path, served.url, c, lang, c) for c, lang in (("HU", "hu"), ("IE", "en"))}
        codes = {c: _register(coords[c], *AUTHORITIES[c]) for c in coords}
        users = {c: _node(tmp_path, AUTHORITIES[c][1]["id"], served.url, codes[c]) for c in coords}
        for store in users.values():
            _sync(store)
        send(users["IE"], "HU-MEK", "old", "sent in January", "en")
        _sync(users["IE"])
        _sync(users["HU"])
        monkeypatch.setenv("IMI_NOW", "2026-03-01T09:00:00+00:00")
        send(users["IE"], "HU-MEK", "new", "sent in March", "en")
        _sync(users["IE"])
        assert prune(hub, 30) >= 1 and retained_from(hub) > 0
        with users["HU"].transaction():
            users["HU"].set_meta("cursor", "1")  # a node that was offline since the start
        report = _sync(users["HU"])
        assert report.reseeded
        subjects = sorted(m["subject"] for m in inbox(users["HU"]))
        assert subjects == ["new", "old"]  # the old one kept, the new one arrived, nothing doubled
        directory = users["HU"].query("SELECT count(*) FROM authorities")[0][0]
        assert directory == 4
        for store in [*coords.values(), *users.values()]:
            store.close()
    hub.store.close()
