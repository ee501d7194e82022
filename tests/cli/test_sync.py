"""`imi sync` and `imi outbox` against a real hub on loopback: the report, refusals (exit 10,
the reasons in the outbox), an unreachable hub (exit 9), and a store that cannot sync."""

from __future__ import annotations

import json

import pytest

from imi_cli.errors import ExitCode
from tests.hub.conftest import PASSPHRASE, cheap_kdf, net, sync  # noqa: F401 -- fixtures
from tests.hub.sqlcipher_hub import hub  # noqa: F401 -- fixture


@pytest.fixture
def use_store(monkeypatch):
    """Point IMI_STORE at an in-process store, its key cached as `imi unlock` leaves it."""
    from imi_cli.log.store import derive_key, read_salt
    from imi_cli.log.unlock import cache_key

    def use(store):
        cache_key(store.path, derive_key(PASSPHRASE, read_salt(store.path)), 600)
        monkeypatch.setenv("IMI_STORE", str(store.path))
        return store.path

    return use


@pytest.fixture
def rivals(net):
    """Two administrators of HU-A who changed the same version of its record; the first synced."""
    from imi_cli.directory.authorities import Directory

    hu = net.coordinator("HU")
    net.authority(hu, "HU-A", "HU")
    first = net.user(hu, "hu.a1", "HU-A", roles="administrator")
    second = net.user(hu, "hu.a2", "HU-A", roles="administrator")
    record = Directory(first).get("HU-A")
    Directory(first).register_authorities([("t", {**record, "email": "winner@example.hu"})])
    Directory(second).register_authorities([("t", {**record, "email": "loser@example.hu"})])
    return first, second


def test_a_sync_reports_what_it_pushed_and_pulled(imi, rivals, use_store):
    first, _ = rivals
    use_store(first)
    assert json.loads(imi("--json", "outbox", "--state", "pending").out)[0]["type"] == "authority.updated"
    result = imi("sync", "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert (report["accepted"], report["rejected"], report["reseeded"]) == (1, [], False)
    assert report["cursor"] > 0
    again = imi("sync")
    assert (again.code, again.out) == (0, "")
    assert again.err == f"Pushed 0 accepted, 0 rejected; pulled 0 (cursor {report['cursor']})\n"


def test_a_refused_event_exits_10_and_stays_in_the_outbox_with_its_reason(imi, rivals, use_store):
    first, second = rivals
    sync(first)
    use_store(second)
    result = imi("sync")
    assert result.code == ExitCode.REJECTED
    lines = result.err.splitlines()
    assert lines[0].startswith("Pushed 0 accepted, 1 rejected; pulled ")
    assert lines[1].startswith("  rejected ") and ": stale: " in lines[1]
    assert lines[3:] == ["imi: error: the hub refused 1 event(s)",
                         "  hint: `imi outbox --state rejected` lists each event with its reason"]
    rows = json.loads(imi("outbox", "--state", "rejected", "--json").out)
    assert [(r["type"], r["reason"]) for r in rows] == [("authority.updated", "stale")]
    assert lines[1] == f"  rejected {rows[0]['id']}: stale: {rows[0]['detail']}"
    # who won, and what to run now
    assert " was changed by hu.a1 of HU-A at " in lines[1]
    assert lines[2] == (f"    see what changed with `imi authority show HU-A`; `imi outbox --resend {rows[0]['id']}` "
                        "sends your change again on top of it")


def test_a_refusal_with_json_prints_the_report_and_the_error(imi, rivals, use_store):
    first, second = rivals
    sync(first)
    use_store(second)
    result = imi("--json", "sync")
    assert result.code == ExitCode.REJECTED
    report = json.loads(result.out)
    assert [r["reason"] for r in report["rejected"]] == ["stale"]
    error = json.loads(result.err)  # with --json the error is JSON too, on stderr
    assert (error["msgid"], error["params"], error["exit_code"]) == ("events_rejected", {"count": 1}, 10)
    assert error["error"] == "the hub refused 1 event(s)"


def test_a_revoked_key_is_refused_by_the_hub(imi, hub, net, use_store):
    hu = net.coordinator("HU")
    net.authority(hu, "HU-A", "HU")
    user = net.user(hu, "hu.gone", "HU-A")
    hub.revoke("hu.gone")
    use_store(user)
    result = imi("sync")
    assert (result.code, result.err) == (ExitCode.REJECTED, "imi: error: the hub refused: unknown or revoked key\n")


def test_watch_for_a_number_of_rounds(imi, rivals, use_store):
    use_store(rivals[0])
    result = imi("sync", "--watch", "--rounds", "2", "--wait", "0.1")
    assert (result.code, result.out) == (0, "")
    lines = result.err.splitlines()
    assert lines[0] == "Watching the hub (Ctrl-C stops)"
    assert lines[1].startswith("Pushed 1 accepted, 0 rejected; pulled ")


def test_an_unreachable_hub_exits_9_and_keeps_the_outbox(imi, rivals, use_store, monkeypatch):
    from imi_cli.hub.background import free_port

    first, _ = rivals
    use_store(first)
    url = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("IMI_HUB", url)
    result = imi("sync")
    assert (result.code, result.out) == (ExitCode.HUB_UNREACHABLE, "")
    assert result.err == (f"imi: error: the hub at {url} cannot be reached (ConnectError)\n"
                          "  hint: check the URL and that `imi hub serve` is running; changes wait in the outbox\n")
    assert [r["state"] for r in json.loads(imi("--json", "outbox").out)] == ["pending"]


def test_a_hub_setting_that_is_not_a_url(imi, rivals, use_store, monkeypatch):
    use_store(rivals[0])
    monkeypatch.setenv("IMI_HUB", "ftp://hub.example.eu")
    result = imi("sync")
    assert result.code == ExitCode.USAGE
    assert result.err == ("imi: error: 'ftp://hub.example.eu' is not a hub URL\n"
                          "  hint: e.g. https://hub.example.eu:8443 (from --hub, IMI_HUB or the `hub` setting)\n")


def test_a_store_that_is_not_enrolled(imi, unlocked):
    result = imi("sync")
    assert (result.code, result.err) == (ExitCode.USAGE, "imi: error: this store is not enrolled with a hub\n"
                                                         "  hint: create one with `imi init --hub URL` "
                                                         "(it asks for your invitation code)\n")


def test_the_store_given_after_the_subcommand(imi, rivals, use_store, monkeypatch, tmp_path):
    path = use_store(rivals[0])
    monkeypatch.setenv("IMI_STORE", str(tmp_path / "elsewhere.db"))
    result = imi("sync", "--store", path)
    assert result.code == 0, result.err
    assert result.err.startswith("Pushed 1 accepted, 0 rejected; ")


def test_an_empty_outbox(imi, unlocked):
    result = imi("outbox")
    assert (result.code, result.out, result.err) == (0, "id\ttype\tstate\treason\tdetail\n", "")
    assert json.loads(imi("outbox", "--json").out) == []
