"""Fixtures of the data-protection tests: one network per test module (tests/privacy/network.py;
each store's key derivation is slow, and the clock tests move a network years ahead), its
clock as IMI_NOW, and `imi --store <name's store> ...` on it, unlocked as `imi unlock` leaves it."""

from __future__ import annotations

import pytest

from tests.privacy.network import build


@pytest.fixture(scope="module")
def net(request, tmp_path_factory):
    """The module's network, built at the module's ``START``."""
    network = build(tmp_path_factory.mktemp("privacy"), request.module.START)
    yield network
    network.close()


@pytest.fixture
def clock(isolate, net, monkeypatch):
    """The module's clock, set as IMI_NOW for the test (``clock.to(when, monkeypatch)`` moves it on)."""
    monkeypatch.setenv("IMI_NOW", net.clock.iso())
    return net.clock


@pytest.fixture
def cli(net, clock, imi):
    """``cli(name, *args)``: `imi --store <name's store> args...` ("hub": the hub's store)."""
    from imi_cli.log.unlock import cache_key

    def run(name, *args):
        store = net.everyone[name]
        cache_key(store.path, net.key(store.path), 600)
        result = imi("--store", store.path, *args)
        assert "Traceback" not in result.err + result.out
        return result

    return run
