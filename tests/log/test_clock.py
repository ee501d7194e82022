"""The one clock: IMI_NOW fixes the time for tests and training environments."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from imi_cli.errors import UsageError
from imi_cli.log import clock


def test_real_time_by_default():
    before = datetime.now(UTC)
    now = clock.now()
    assert now.tzinfo is not None and before <= now <= before + timedelta(seconds=5)


def test_imi_now_fixes_the_time(monkeypatch):
    monkeypatch.setenv("IMI_NOW", "2026-03-01T09:00:00+01:00")
    assert clock.now() == datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    assert clock.iso(clock.now()) == "2026-03-01T08:00:00.000Z"


def test_a_time_without_zone_is_utc(monkeypatch):
    monkeypatch.setenv("IMI_NOW", "2026-03-01T09:00")
    assert clock.now() == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_a_bad_imi_now(monkeypatch):
    monkeypatch.setenv("IMI_NOW", "next tuesday")
    with pytest.raises(UsageError) as caught:
        clock.now()
    assert caught.value.message == "IMI_NOW: 'next tuesday' is not an ISO 8601 time"
    assert caught.value.hint == "write it like 2026-03-01T09:00:00+00:00"


def test_events_and_records_take_the_clock(store_path, imi, monkeypatch, repo_root):
    from imi_cli.log.store import Store, derive_key, read_salt

    monkeypatch.setenv("IMI_NOW", "2030-01-02T03:04:05Z")
    assert imi("authority", "import", repo_root / "examples/authorities.json").code == 0
    with Store.open(store_path, derive_key("correct horse battery staple", read_salt(store_path))) as store:
        assert {at for (at,) in store.query("SELECT at FROM events")} == {"2030-01-02T03:04:05.000Z"}
        assert {r for (r,) in store.query("SELECT registered_at FROM authorities")} == {"2030-01-02T03:04:05.000Z"}
        body = json.loads(store.query("SELECT body FROM events")[0][0])
        assert body["at"] == "2030-01-02T03:04:05.000Z"


def test_a_bad_imi_now_through_the_cli(store_path, imi, monkeypatch, repo_root):
    monkeypatch.setenv("IMI_NOW", "yesterday")
    result = imi("authority", "import", repo_root / "examples/authorities.json")
    assert result.code == 2
    assert result.err == ("imi: error: IMI_NOW: 'yesterday' is not an ISO 8601 time\n"
                          "  hint: write it like 2026-03-01T09:00:00+00:00\n")
