"""A hub that asks a client to slow down (429) is waited for, not taken for an error of the user's."""

from __future__ import annotations

import httpx
import pytest

from imi_cli.errors import ExitCode
from imi_cli.sync import session
from imi_cli.sync.hubclient import HubBusy, _answer


def test_a_429_is_the_hub_asking_to_wait():
    response = httpx.Response(429, json={"error": "too many long polls", "reason": "too_many_polls"},
                              headers={"retry-after": "3"})
    with pytest.raises(HubBusy, match="busy with this user's requests: too many long polls") as busy:
        _answer(response, "http://127.0.0.1:1")
    assert busy.value.retry_after == 3 and busy.value.exit_code == ExitCode.HUB_UNREACHABLE
    for header, seconds in (("nonsense", 1.0), ("-5", 0.1), ("1e9", 60.0), ("nan", 1.0)):
        response = httpx.Response(429, json={"error": "slow down"}, headers={"retry-after": header})
        with pytest.raises(HubBusy) as busy:
            _answer(response, "http://127.0.0.1:1")
        assert busy.value.retry_after == seconds


def test_watch_waits_as_the_hub_asks_and_goes_on(monkeypatch):
    calls, slept, reports = [], [], []

    def fake_sync(store, client, *, wait):
        calls.append(wait)
        if len(calls) == 1:
            raise HubBusy("http://hub", "too many long polls", 2.5)
        return session.SyncReport(pulled=1)

    monkeypatch.setattr(session, "sync", fake_sync)
    monkeypatch.setattr(session.time, "sleep", slept.append)
    session.watch(None, None, reports.append, wait=5, rounds=2)
    assert slept == [2.5] and len(calls) == 2 and [r.pulled for r in reports] == [1]
