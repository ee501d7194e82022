"""Crash safety: a node SIGKILLed during a large sync loses nothing and applies nothing twice;
a hub restarted mid-sync lets nodes resume from their cursors."""

from __future__ import annotations

import json
import random
import subprocess
import threading
import time

from imi_cli.errors import HubUnreachable
from imi_cli.log.store import Store

from .conftest import (
    PASSPHRASE,
    HubProcess,
    cli_env,
    expected_ids,
    fill,
    imi_cmd,
    signed_messages,
    sync,
    unlock_for_subprocess,
)

N = 3000


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


def test_a_node_killed_at_random_points_during_sync_loses_and_doubles_nothing(hub, net, tmp_path):
    rnd = random.Random()
    hu, ie = net.coordinator("HU"), net.coordinator("IE")
    fill(hub, signed_messages(hu, "IE-NCO", N))
    # the IE node also has events of its own waiting to be pushed
    from imi_cli.exchanges.messages import send
    for i in range(300):
        send(ie, "HU-NCO", f"out {i}", "text", "en")
    path = ie.path
    ie.close()
    net.stores.remove(ie)
    unlock_for_subprocess(path)
    env = cli_env(tmp_path)
    del env["IMI_PASSPHRASE"]
    kills = 0
    for _ in range(6):
        proc = subprocess.Popen(imi_cmd("--store", path, "sync"), env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(rnd.uniform(0.2, 1.2))
        if proc.poll() is None:
            proc.kill()
            kills += 1
        proc.wait(10)
        with Store.open(path, _key(path)) as store:  # the store opens and is consistent after each kill
            cursor = int(store.meta("cursor"))
            applied = store.query("SELECT max(hub_seq) FROM events WHERE status = 'remote'")[0][0] or 0
            assert applied <= cursor or cursor == 0 or applied == cursor
    final = subprocess.run(imi_cmd("--store", path, "sync"), env=env, capture_output=True, text=True, timeout=60)
    assert final.returncode == 0, final.stderr
    with Store.open(path, _key(path)) as store:
        _check_node(store, hub, "IE-NCO")
        assert not store.query("SELECT 1 FROM outbox WHERE state != 'accepted'")
    # every pushed event is on the hub exactly once
    mine = hub.store.query("SELECT count(*), count(DISTINCT id) FROM events WHERE body LIKE '%\"out %'")[0]
    assert mine == (300, 300)
    print(f"killed {kills} of 6 runs")


def _key(path):
    from imi_cli.log.store import derive_key, read_salt

    return derive_key(PASSPHRASE, read_salt(path))


def test_a_hub_restarted_mid_sync_lets_nodes_resume(tmp_path, cheap_kdf):
    """The hub in its own process, killed (SIGKILL) while a node pulls, then restarted."""
    from imi_cli.directory.invitations import coordinator_records
    from imi_cli.hub.state import Hub, init_hub
    from imi_cli.sync.enrolment import enrol

    hub = init_hub(tmp_path / "hub.db", PASSPHRASE)
    codes = {}
    for c in ("HU", "IE"):
        record, user = coordinator_records(f"{c}-NCO", c, f"NCO {c}", "en", "en", "services",
                                           "imi@example.eu", f"{c.lower()}.coord", "C", "c@example.eu")
        codes[c] = hub.invite_coordinator(record, user)
    hub.store.close()
    unlock_for_subprocess(tmp_path / "hub.db")
    env = cli_env(tmp_path)
    served = HubProcess(tmp_path / "hub.db", env).start()
    stores = []
    try:
        for c in ("HU", "IE"):
            store = Store.create(tmp_path / f"{c}.db", PASSPHRASE)
            enrol(store, served.url, codes[c])
            stores.append(store)
        hu, ie = stores
        sync(hu)
        events = signed_messages(hu, "IE-NCO", N)
        from imi_cli.sync.enrolment import client_for
        with client_for(hu) as client:
            for start in range(0, N, 500):
                assert all(r["status"] == "accepted" for r in client.push(events[start:start + 500]))
        errors = []

        def pull():
            try:
                sync(ie)
            except HubUnreachable as exc:
                errors.append(exc)

        for _ in range(1):
            t = threading.Thread(target=pull)
            t.start()
            time.sleep(random.uniform(0.05, 0.3))
            served.kill()
            t.join(30)
            cursor = int(ie.meta("cursor"))
            served.start()
        sync(ie)
        with Store.open(tmp_path / "hub.db", _key(tmp_path / "hub.db")) as raw:
            state = Hub(raw)
            _check_node(ie, state, "IE-NCO")
            assert cursor <= int(ie.meta("cursor"))
        # and pushing resumes too
        from imi_cli.exchanges.messages import send
        send(ie, "HU-NCO", "after restart", "text", "en")
        assert sync(ie).accepted == 1
        assert sync(hu).pulled >= 1
    finally:
        served.stop()
        for store in stores:
            store.close()
