"""Crash safety, with kills at chosen points (not at random times): a node SIGKILLed while it
pushes or pulls loses nothing and applies nothing twice, and its cursor is exactly the end of
the last page it applied; a hub killed between two pages lets nodes resume from their cursors.

The node runs `imi sync` in a subprocess through KILL_HOOK, which wraps one function of
imi_cli/sync/session.py or sync/pages.py so that the process SIGKILLs itself at a named point
(IMI_TEST_KILL_AT) the n-th time it gets there (IMI_TEST_KILL_AFTER). Each run must end with
that signal: a run the kill did not reach fails the test instead of passing quietly.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

from imi_cli.errors import HubUnreachable
from imi_cli.log.store import Store

from .conftest import (
    PASSPHRASE,
    HubProcess,
    cli_env,
    expected_ids,
    fill,
    signed_messages,
    sync,
    unlock_for_subprocess,
)

N = 450          # messages from HU waiting for the IE node
OUTGOING = 30    # messages the IE node has to push
PAGE = 100       # the subprocess's pull page (session.PULL_PAGE)
BATCH = 10       # and push batch (session.PUSH_BATCH)

KILL_HOOK = r"""
import os, signal, sys
from imi_cli.sync import pages, session

point, after = os.environ.get("IMI_TEST_KILL_AT"), int(os.environ.get("IMI_TEST_KILL_AFTER", "0"))
session.PULL_PAGE, session.PUSH_BATCH = int(os.environ["IMI_TEST_PAGE"]), int(os.environ["IMI_TEST_BATCH"])
seen = 0


def reached():
    global seen
    seen += 1
    if seen == after:
        sys.stderr.flush()
        os.kill(os.getpid(), signal.SIGKILL)


if point == "mid-page":  # while a page is being applied: after its n-th new event, before the commit
    projection_apply = pages.apply

    def apply(conn, event):
        projection_apply(conn, event)
        reached()

    pages.apply = apply
elif point == "after-page":  # right after the n-th page (events and cursor) was committed
    apply_page = session.apply_page

    def wrapped_page(store, page):
        skipped = apply_page(store, page)
        reached()
        return skipped

    session.apply_page = wrapped_page
elif point == "before-receipts":  # the hub accepted the n-th batch; the node dies before recording it
    record = session._record_results

    def wrapped_record(store, results, report):
        reached()
        return record(store, results, report)

    session._record_results = wrapped_record
elif point:
    raise SystemExit(f"unknown kill point {point}")

from imi_cli.cli.app import run

run()
"""


def _key(path):
    from imi_cli.log.store import derive_key, read_salt

    return derive_key(PASSPHRASE, read_salt(path))


def _sync_process(path, env, point=None, after=0):
    env = {**env, "IMI_TEST_PAGE": str(PAGE), "IMI_TEST_BATCH": str(BATCH)}
    if point:
        env.update(IMI_TEST_KILL_AT=point, IMI_TEST_KILL_AFTER=str(after))
    return subprocess.run([sys.executable, "-c", KILL_HOOK, "--store", str(path), "sync"], env=env,
                          capture_output=True, text=True, timeout=120)


def _state(path):
    with Store.open(path, _key(path)) as store:
        return {"cursor": int(store.meta("cursor")),
                "rows": store.query("SELECT id, status, hub_seq FROM events"),
                "messages": store.query("SELECT count(*) FROM messages")[0][0],
                "outbox": dict(store.query("SELECT state, count(*) FROM outbox GROUP BY state"))}


def _assert_consistent(state, expected):
    """Nothing doubled; every event the hub addressed to the node up to the cursor is held;
    nothing pulled beyond the cursor; each pulled event has the hub's number; the messages
    table has each message event once."""
    ids = [i for i, _, _ in state["rows"]]
    assert len(ids) == len(set(ids)), "an event was stored twice"
    held = {i: (status, seq) for i, status, seq in state["rows"]}
    below = {i for i, seq in expected.items() if seq <= state["cursor"]}
    assert below <= set(held), f"{len(below - set(held))} events at or below the cursor were lost"
    remote = {i: seq for i, (status, seq) in held.items() if status == "remote"}
    assert all(seq <= state["cursor"] for seq in remote.values()), "an event was applied beyond the cursor"
    assert all(expected[i] == seq for i, seq in remote.items())


def test_a_node_killed_at_chosen_points_of_a_sync_loses_and_doubles_nothing(hub, net, tmp_path):
    from imi_cli.exchanges.messages import send

    hu, ie = net.coordinator("HU"), net.coordinator("IE")
    fill(hub, signed_messages(hu, "IE-NCO", N))
    for i in range(OUTGOING):
        send(ie, "HU-NCO", f"out {i}", "text", "en")
    path = ie.path
    ie.close()
    net.stores.remove(ie)
    unlock_for_subprocess(path)
    env = cli_env(tmp_path)
    del env["IMI_PASSPHRASE"]

    def pushed_on_hub():
        return hub.store.query("SELECT count(*), count(DISTINCT id) FROM events WHERE body LIKE '%\"out %'")[0]

    start = _state(path)
    incoming = sorted(seq for seq in expected_ids(hub, "IE-NCO").values() if seq > start["cursor"])
    assert len(incoming) == N
    pages = [incoming[j * PAGE - 1] for j in range(1, N // PAGE + 1)]  # the cursor after each full page

    # 1. the hub accepted the first push batch; the node dies before it records the receipts
    run = _sync_process(path, env, "before-receipts", 1)
    assert run.returncode == -signal.SIGKILL, run.stderr
    state = _state(path)
    assert pushed_on_hub() == (BATCH, BATCH)
    assert state["outbox"] == {"pending": OUTGOING} and state["cursor"] == start["cursor"]
    _assert_consistent(state, expected_ids(hub, "IE-NCO"))

    # 2. pushed everything (the first batch again: same receipts, stored once), then killed in the
    # middle of the second page: the first page is applied, the second not at all
    run = _sync_process(path, env, "mid-page", PAGE + PAGE // 2)
    assert run.returncode == -signal.SIGKILL, run.stderr
    state = _state(path)
    assert pushed_on_hub() == (OUTGOING, OUTGOING)
    assert state["outbox"] == {"accepted": OUTGOING}
    assert state["cursor"] == pages[0]
    _assert_consistent(state, expected_ids(hub, "IE-NCO"))

    # 3. killed right after two more pages were committed
    run = _sync_process(path, env, "after-page", 2)
    assert run.returncode == -signal.SIGKILL, run.stderr
    state = _state(path)
    assert state["cursor"] == pages[2]
    _assert_consistent(state, expected_ids(hub, "IE-NCO"))

    # 4. killed on the very first event of the next page: nothing of it stays
    run = _sync_process(path, env, "mid-page", 1)
    assert run.returncode == -signal.SIGKILL, run.stderr
    assert _state(path)["cursor"] == pages[2]
    _assert_consistent(_state(path), expected_ids(hub, "IE-NCO"))

    # 5. a sync to the end
    run = _sync_process(path, env)
    assert run.returncode == 0, run.stderr
    with Store.open(path, _key(path)) as store:
        _check_node(store, hub, "IE-NCO")
        assert not store.query("SELECT 1 FROM outbox WHERE state != 'accepted'")
    assert pushed_on_hub() == (OUTGOING, OUTGOING)


def _check_node(store, hub, authority):
    expected = expected_ids(hub, authority)
    rows = store.query("SELECT id, hub_seq FROM events WHERE status IN ('remote', 'accepted')")
    ids = [i for i, _ in rows]
    assert len(ids) == len(set(ids)), "an event was applied twice"
    assert set(ids) == set(expected), f"lost {len(set(expected) - set(ids))}"
    assert all(expected[i] == seq for i, seq in rows)
    assert int(store.meta("cursor")) == max(expected.values())
    # projections agree with the log: each message once
    count = store.query("SELECT count(*) FROM messages WHERE to_authority = ? OR from_authority = ?",
                        (authority, authority))[0][0]
    assert count == sum(1 for (b,) in hub.store.query("SELECT body FROM events WHERE type='message.sent'")
                        if authority in json.loads(b)["audience"])


def test_a_hub_killed_between_two_pages_lets_nodes_resume(tmp_path, cheap_kdf, monkeypatch):
    """The hub in its own process, SIGKILLed right after the node applied its second page; the
    node's next request fails (once, with HubUnreachable), its cursor is the end of that page;
    the hub restarts on the same store and the node resumes from there."""
    from imi_cli.hub.state import Hub
    from imi_cli.sync import session
    from imi_cli.sync.enrolment import client_for, enrol

    codes = _hub_with_two_coordinators(tmp_path)
    served = HubProcess(tmp_path / "hub.db", cli_env(tmp_path)).start()
    stores = []
    try:
        for c in ("HU", "IE"):
            store = Store.create(tmp_path / f"{c}.db", PASSPHRASE)
            enrol(store, served.url, codes[c])
            stores.append(store)
        hu, ie = stores
        sync(hu)
        events = signed_messages(hu, "IE-NCO", 1200)
        with client_for(hu) as client:
            for start in range(0, len(events), 500):
                assert all(r["status"] == "accepted" for r in client.push(events[start:start + 500]))
        before = int(ie.meta("cursor"))
        with Store.open(tmp_path / "hub.db", _key(tmp_path / "hub.db")) as raw:
            incoming = sorted(seq for seq in expected_ids(Hub(raw), "IE-NCO").values() if seq > before)
        monkeypatch.setattr(session, "PULL_PAGE", 200)
        pages, apply_page = [], session.apply_page

        def apply_then_kill(store, page):
            skipped = apply_page(store, page)
            pages.append(page[-1]["seq"])
            if len(pages) == 2:
                served.kill()
            return skipped

        monkeypatch.setattr(session, "apply_page", apply_then_kill)
        with pytest.raises(HubUnreachable, match="cannot be reached"):
            sync(ie)
        assert pages == [incoming[199], incoming[399]]
        assert int(ie.meta("cursor")) == incoming[399]
        held = {i for (i,) in ie.query("SELECT id FROM events WHERE status = 'remote' AND hub_seq > ?", (before,))}
        with Store.open(tmp_path / "hub.db", _key(tmp_path / "hub.db")) as raw:
            expected = expected_ids(Hub(raw), "IE-NCO")
        assert held == {i for i, seq in expected.items() if before < seq <= incoming[399]}
        served.start()
        sync(ie)
        assert len(pages) == 2 + (len(incoming) - 400 + 199) // 200  # resumed from its cursor, not from 0
        with Store.open(tmp_path / "hub.db", _key(tmp_path / "hub.db")) as raw:
            _check_node(ie, Hub(raw), "IE-NCO")
        # and pushing resumes too
        from imi_cli.exchanges.messages import send
        send(ie, "HU-NCO", "after restart", "text", "en")
        assert sync(ie).accepted == 1
        assert sync(hu).pulled >= 1
    finally:
        served.stop()
        for store in stores:
            store.close()


HUB_HOOK = r"""
import os, signal
from imi_cli.hub import state

point, after = os.environ["IMI_TEST_KILL_AT"], int(os.environ["IMI_TEST_KILL_AFTER"])
seen = 0


def reached():
    global seen
    seen += 1
    if seen == after:
        os.kill(os.getpid(), signal.SIGKILL)


if point == "mid-batch":  # inside Hub.accept's transaction, before the n-th event's receipt
    receipt = state.Hub._receipt

    def wrapped_receipt(self, *args, **kwargs):
        reached()
        return receipt(self, *args, **kwargs)

    state.Hub._receipt = wrapped_receipt
elif point == "after-commit":  # the n-th batch is committed; the answer never leaves
    accept = state.Hub.accept

    def wrapped_accept(self, *args, **kwargs):
        results = accept(self, *args, **kwargs)
        reached()
        return results

    state.Hub.accept = wrapped_accept
else:
    raise SystemExit(f"unknown kill point {point}")

from imi_cli.cli.app import run

run()
"""


@pytest.mark.parametrize("point", ["mid-batch", "after-commit"])
def test_a_hub_killed_while_it_takes_a_push_keeps_all_or_nothing(tmp_path, cheap_kdf, monkeypatch, point):
    """The hub SIGKILLs itself in the middle of a pushed batch (before the third event's receipt,
    inside the transaction) or just after committing it (the node never hears the answer).
    Either way the node keeps its events pending, the hub holds none or all of the batch, and
    the next push after a restart stores each event exactly once."""
    from imi_cli.exchanges.messages import send
    from imi_cli.sync.enrolment import enrol

    from . import conftest

    codes = _hub_with_two_coordinators(tmp_path)
    env = {**cli_env(tmp_path), "IMI_TEST_KILL_AT": point, "IMI_TEST_KILL_AFTER": "3" if point == "mid-batch" else "1"}
    with monkeypatch.context() as hooked:
        hooked.setattr(conftest, "imi_cmd", lambda *args: [sys.executable, "-c", HUB_HOOK, *map(str, args)])
        served = HubProcess(tmp_path / "hub.db", env).start()
    stores = []
    try:
        for c in ("HU", "IE"):
            store = Store.create(tmp_path / f"{c}.db", PASSPHRASE)
            enrol(store, served.url, codes[c])
            stores.append(store)
        hu, ie = stores
        sync(hu), sync(ie)  # the directory; nothing to push yet
        for i in range(5):
            send(ie, "HU-NCO", f"crash {i}", "text", "en")
        with pytest.raises(HubUnreachable, match="cannot be reached"):
            sync(ie)
        assert served.proc.wait(10) == -signal.SIGKILL
        assert ie.query("SELECT state, count(*) FROM outbox GROUP BY state") == [("pending", 5)]

        def on_hub():
            with Store.open(tmp_path / "hub.db", _key(tmp_path / "hub.db")) as raw:
                return raw.query("SELECT count(*), count(DISTINCT id) FROM events WHERE body LIKE '%\"crash %'")[0]

        assert on_hub() == ((0, 0) if point == "mid-batch" else (5, 5))
        served.env = cli_env(tmp_path)
        served.start()
        assert sync(ie).accepted == 5
        assert on_hub() == (5, 5)
        assert ie.query("SELECT state, count(*) FROM outbox GROUP BY state") == [("accepted", 5)]
        assert sync(ie).accepted == 0
        sync(hu)
        assert sorted(s for (s,) in hu.query("SELECT subject FROM messages")) == [f"crash {i}" for i in range(5)]
    finally:
        served.stop()
        for store in stores:
            store.close()


def _hub_with_two_coordinators(tmp_path) -> dict[str, str]:
    """A hub store that invited a national coordinator of HU and of IE, closed and unlocked for
    an `imi hub serve` subprocess; their invitation codes."""
    from imi_cli.directory.invitations import coordinator_records
    from imi_cli.hub.state import init_hub

    hub = init_hub(tmp_path / "hub.db", PASSPHRASE)
    codes = {}
    for c in ("HU", "IE"):
        record, user = coordinator_records(f"{c}-NCO", c, f"NCO {c}", "en", "en", "services",
                                           "imi@example.eu", f"{c.lower()}.coord", "C", "c@example.eu")
        codes[c] = hub.invite_coordinator(record, user)
    hub.store.close()
    unlock_for_subprocess(tmp_path / "hub.db")
    return codes
