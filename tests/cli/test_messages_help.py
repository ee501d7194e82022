"""Messages that help (issue 16, item 7), through the CLI on a real hub: a stale rejection names
who changed the record and what to run, and the loser's change is kept to send again; a clock
outside the hub's window has its own exit code and says how far off it is, and which way."""

from __future__ import annotations

import datetime as dt
import json
import os
import re

import pytest

from imi_cli.errors import ExitCode
from tests.cli.test_languages import on_terminal
from tests.hub.conftest import (  # noqa: F401 -- fixtures
    PASSPHRASE,
    HubProcess,
    cheap_kdf,
    cli_env,
    net,
    sync,
    unlock_for_subprocess,
)
from tests.hub.sqlcipher_hub import hub  # noqa: F401 -- fixture

NEW = ("request", "new", "--area", "services", "--to", "HU-AUTH", "--questionnaire", "services-verify-provider",
       "--questions", "legally_established,authorisation_status", "--deadline", "2099-01-31",
       "--subject", "Who wins", "--person", "provider_name=Race Kft.")
ANSWER = ("--answer", "legally_established=yes", "--answer", "authorisation_status=valid")


def ok(result):
    assert result.code == 0, result.err
    return result


@pytest.fixture
def race(network, cli):
    """An accepted request: hu.alloc allocates it while hu.handler answers it from the same
    version; hu.alloc syncs first, so hu.handler's answer is the one the hub rejects."""
    rid = ok(cli("ie.handler", *NEW)).out.strip()
    ok(cli("ie.handler", "request", "send", rid))
    network.sync("ie.handler", "hu.handler")
    ok(cli("hu.handler", "request", "accept", rid))
    network.sync("hu.handler", "hu.alloc")
    ok(cli("hu.alloc", "request", "allocate", rid, "--to", "hu.handler2"))
    ok(cli("hu.handler", "request", "answer", rid, *ANSWER))
    ok(cli("hu.alloc", "sync"))
    return rid


def test_the_loser_of_a_race_is_told_who_won_and_what_to_run_and_sends_its_answer_again(network, cli, race):
    rid = race
    lost = cli("hu.handler", "sync")
    assert lost.code == ExitCode.REJECTED
    event = json.loads(ok(cli("hu.handler", "--json", "outbox", "--state", "rejected")).out)[-1]
    assert (event["type"], event["reason"], event["entity"]) == ("request.answered", "stale", f"request/{rid}")
    lines = lost.err.splitlines()
    rejected = lines.index(next(line for line in lines if line.startswith(f"  rejected {event['id']}")))
    assert re.fullmatch(rf"  rejected {event['id']}: stale: request/{rid} was changed by hu\.alloc of HU-AUTH at "
                        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \(version \d+\), after the version its author "
                        r"saw \(\d+\)", lines[rejected]), lines[rejected]
    assert lines[rejected + 1] == (f"    see what changed with `imi request show {rid}`; `imi outbox --resend "
                                   f"{event['id']}` sends your change again on top of it")
    assert event["hint"] == lines[rejected + 1].strip()
    assert event["params"]["user"] == "hu.alloc" and event["params"]["authority"] == "HU-AUTH"
    # `imi outbox` on a terminal says the same: who, then what to run
    shown = ok(on_terminal(network, "hu.handler", "outbox", "--state", "rejected"))
    assert f"{event['id']}: see what changed with `imi request show {rid}`" in shown.err
    # the record as it is now: the winner's allocation, and no answer (the loser's was taken back)
    now = json.loads(ok(cli("hu.handler", "--json", "request", "show", rid)).out)
    assert now["state"] == "accepted" and all("answer" not in q for q in now["questions"])
    # the loser's answer was kept: sent again, on the current version (a prefix of the id will do)
    again = ok(cli("hu.handler", "outbox", "--resend", event["id"][:13]))
    new_id = again.out.strip()
    assert new_id != event["id"]
    assert re.fullmatch(rf"Queued {new_id} with the change of the rejected {event['id']}, on version \d+ of "
                        rf"request/{rid} \(`imi sync` takes it to the hub\)\n", again.err), again.err
    states = {r["id"]: r["state"] for r in json.loads(ok(cli("hu.handler", "--json", "outbox")).out)}
    assert (states[event["id"]], states[new_id]) == ("resent", "pending")
    pushed = json.loads(ok(cli("hu.handler", "--json", "sync")).out)
    assert pushed["accepted"] >= 1 and pushed["rejected"] == []
    states = {r["id"]: r["state"] for r in json.loads(ok(cli("hu.handler", "--json", "outbox")).out)}
    assert (states[event["id"]], states[new_id]) == ("resent", "accepted")
    ok(cli("ie.handler", "sync"))
    answered = json.loads(ok(cli("ie.handler", "--json", "request", "show", rid)).out)
    assert answered["state"] == "answered"
    assert [q["answer"] for q in answered["questions"]] == ["Yes", "Valid"]
    # once sent again it is no longer a draft; an id that is no event of the outbox is not found
    twice = cli("hu.handler", "outbox", "--resend", event["id"])
    assert (twice.code, twice.err) == (ExitCode.USAGE, f"imi: error: event {event['id']} is resent: only an event "
                                                       "the hub rejected is sent again\n"
                                                       "  hint: `imi outbox --state rejected` lists those\n")
    nowhere = cli("hu.handler", "outbox", "--resend", "ffffffff")
    assert nowhere.code == ExitCode.NOT_FOUND and "no event 'ffffffff' in this store's outbox" in nowhere.err


def test_a_change_the_rules_refuse_now_is_not_sent_again(network, cli):
    """Two handlers answer the same request: the loser's answer cannot be sent again (the
    request is answered now), and resending it says so and changes nothing."""
    rid = ok(cli("ie.handler", *NEW)).out.strip()
    ok(cli("ie.handler", "request", "send", rid))
    network.sync("ie.handler", "hu.handler")
    ok(cli("hu.handler", "request", "accept", rid))
    network.sync("hu.handler", "hu.handler2")
    ok(cli("hu.handler2", "request", "answer", rid, *ANSWER))
    ok(cli("hu.handler", "request", "answer", rid, "--answer", "legally_established=no",
           "--answer", "authorisation_status=suspended"))
    ok(cli("hu.handler2", "sync"))
    assert cli("hu.handler", "sync").code == ExitCode.REJECTED
    event = json.loads(ok(cli("hu.handler", "--json", "outbox", "--state", "rejected")).out)[-1]
    assert event["params"]["user"] == "hu.handler2"
    before = ok(cli("hu.handler", "--json", "outbox")).out
    refused = cli("hu.handler", "outbox", "--resend", event["id"])
    assert (refused.code, refused.err) == (ExitCode.REJECTED, "imi: error: cannot answer a request that is answered\n")
    assert ok(cli("hu.handler", "--json", "outbox")).out == before


# -- the clock ---------------------------------------------------------------------------------------

def test_a_node_whose_clock_is_behind_gets_exit_11_and_how_far(network, cli, run_imi):
    """The node's clock (IMI_NOW, in its own process) 7 minutes behind the hub's."""
    ok(cli("hu.handler", "outbox"))  # its key cached, as `imi unlock` leaves it, for the process below
    behind = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=7)
    env = {**os.environ, "IMI_NOW": behind.isoformat()}
    result = run_imi("--store", network.stores["hu.handler"].path, "sync", env=env)
    assert result.returncode == ExitCode.CLOCK_SKEW == 11, result.stderr
    assert result.stderr == (
        "imi: error: your clock is 7 minutes behind the hub's; the hub takes signed requests only within "
        "2 minutes of its own time\n"
        f"  hint: IMI_NOW={behind.isoformat()} fixes this program's clock: unset it (or set it to the current "
        "time) and run the command again; changes wait in the outbox\n")


@pytest.fixture
def hub_ahead(tmp_path, cheap_kdf):  # noqa: F811 -- the fixture imported above
    """A hub in its own process whose clock is 7 minutes ahead, and a store enrolled with it."""
    from imi_cli.directory.invitations import coordinator_records
    from imi_cli.hub.state import init_hub
    from imi_cli.log.store import Store
    from imi_cli.sync.enrolment import enrol

    hub = init_hub(tmp_path / "hub.db", PASSPHRASE)
    record, user = coordinator_records("HU-NCO", "HU", "NCO HU", "en", "en", "services", "imi@example.eu",
                                       "hu.coord", "C", "c@example.eu")
    code = hub.invite_coordinator(record, user)
    hub.store.close()
    unlock_for_subprocess(tmp_path / "hub.db")
    ahead = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=7)
    served = HubProcess(tmp_path / "hub.db", {**cli_env(tmp_path), "IMI_NOW": ahead.isoformat()}).start()
    try:
        store = Store.create(tmp_path / "node.db", PASSPHRASE)
        enrol(store, served.url, code)  # enrolment is not signed: no clock in it
        store.close()
        unlock_for_subprocess(tmp_path / "node.db")
        yield tmp_path / "node.db"
    finally:
        served.stop()


def test_a_hub_whose_clock_is_ahead_tells_the_node_its_clock_is_behind(imi, hub_ahead):
    result = imi("--store", hub_ahead, "sync")
    assert (result.code, result.out) == (ExitCode.CLOCK_SKEW, "")
    assert result.err == (
        "imi: error: your clock is 7 minutes behind the hub's; the hub takes signed requests only within "
        "2 minutes of its own time\n"
        "  hint: set this computer's clock right (automatic time, NTP) and run the command again; changes wait "
        "in the outbox\n")


def test_a_clock_ahead_and_an_older_hub_that_sends_only_its_date():
    """How far and which way: from the hub's skew_seconds, else from its Date header."""
    from email.utils import format_datetime

    from imi_cli.log import clock
    from imi_cli.sync.hubclient import clock_skew

    skew = clock_skew({"reason": "clock_skew", "params": {"skew_seconds": 3 * 3600, "window_seconds": 120}}, None)
    assert skew is not None and skew.exit_code == 11
    # what a script reads (--json): the code, and how far off in seconds (negative: behind)
    assert {k: skew.as_dict()[k] for k in ("exit_code", "msgid", "params")} == {
        "exit_code": 11, "msgid": "clock_skew",
        "params": {"skew_seconds": 10800, "window_seconds": 120, "hub_time": None}}
    assert skew.message.startswith("your clock is 3 hours ahead of the hub's; ")
    date = format_datetime(clock.now() + dt.timedelta(minutes=12), usegmt=True)
    older = clock_skew({"reason": "unauthenticated",
                        "msgid": "the request time is outside the replay window; check the clock"}, date)
    assert older is not None and older.message.startswith("your clock is 12 minutes behind the hub's; ")
    assert clock_skew({"reason": "unauthenticated", "msgid": "unknown or revoked key"}, date) is None


# -- `imi stats` on a narrow terminal ------------------------------------------------------------------

def test_stats_headings_are_whole_at_80_columns(network, cli, monkeypatch):
    from rich.cells import cell_len

    rid = ok(cli("ie.handler", *NEW)).out.strip()
    ok(cli("ie.handler", "request", "send", rid))
    network.sync("ie.handler")
    ok(cli("hu.nco", "sync"))  # (its key cached, as `imi unlock` leaves it)
    monkeypatch.setenv("COLUMNS", "80")
    narrow = re.sub(r"\x1b\[[0-9;]*m", "", ok(on_terminal(network, "hu.nco", "stats")).out)  # no colours
    assert "…" not in narrow and all(cell_len(line) <= 80 for line in narrow.splitlines())
    lines = narrow.splitlines()
    about = lines.index("  services · HU-AUTH")  # a row too wide for 80 columns: its figures, one a line
    assert [line.split("  ")[2].strip() for line in lines[about + 1:about + 7]] == [
        "received", "accepted ≤7d %", "days to answer", "by deadline %", "timeliness", "quality"]
    assert lines[0] == "Requests" and "Alerts" in lines and "Notifications" in lines
    monkeypatch.setenv("COLUMNS", "200")  # wide enough: the table
    wide = re.sub(r"\x1b\[[0-9;]*m", "", ok(on_terminal(network, "hu.nco", "stats")).out)
    header = next(line.split() for line in wide.splitlines() if line.split()[:2] == ["area", "authority"])
    assert "timeliness" in header and "quality" in header and "…" not in wide


# -- what the refusal may say, and when a draft may be sent again ---------------------------------------

def test_a_draft_is_sent_again_only_once_the_winners_change_is_pulled(imi, hub, net, tmp_path):  # noqa: F811
    """The hub rejected the change, and this store has not pulled the one that beat it: sending
    it again now would only be rejected again, so it is refused until `imi sync`."""
    from imi_cli.directory.authorities import Directory
    from imi_cli.log.store import derive_key, read_salt
    from imi_cli.log.unlock import cache_key
    from imi_cli.sync.enrolment import client_for
    from imi_cli.sync.session import SyncReport, push

    hu = net.coordinator("HU")
    net.authority(hu, "HU-A", "HU")
    first = net.user(hu, "hu.a1", "HU-A", roles="administrator")
    second = net.user(hu, "hu.a2", "HU-A", roles="administrator")
    record = Directory(first).get("HU-A")
    Directory(first).register_authorities([("t", {**record, "email": "winner@example.hu"})])
    Directory(second).register_authorities([("t", {**record, "email": "second@example.hu"})])
    sync(first)
    with client_for(second) as client:
        push(second, client, SyncReport())  # pushed and rejected, nothing pulled
    cache_key(second.path, derive_key(PASSPHRASE, read_salt(second.path)), 600)
    event = json.loads(imi("--store", second.path, "--json", "outbox", "--state", "rejected").out)[0]
    early = imi("--store", second.path, "outbox", "--resend", event["id"])
    assert (early.code, early.err) == (ExitCode.USAGE, f"imi: error: this store has not pulled the change that made "
                                                       f"{event['id']} stale yet; nothing was queued\n"
                                                       "  hint: run `imi sync`, then resend\n")
    assert json.loads(imi("--store", second.path, "--json", "outbox", "--state", "pending").out) == []
    assert imi("--store", second.path, "sync").code == 0
    # an authority.updated carries the whole record: sent again it would undo the winner's change,
    # so it is refused, pointing at `authority update` (which changes only what it is given)
    again = imi("--store", second.path, "outbox", "--resend", event["id"])
    assert again.code == ExitCode.USAGE and "`imi authority update HU-A`" in again.err
    assert json.loads(imi("--store", second.path, "--json", "outbox", "--state", "pending").out) == []
    sync(first)
    assert Directory(first).get("HU-A")["email"] == "winner@example.hu"
