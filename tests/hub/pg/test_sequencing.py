"""Sequencing across hub processes on one PostgreSQL database (design 18, hub/pg/backend.py).

Several ``Hub`` objects on one database, each with its own replica, stand for several hub
processes: each has its own process lock, writer connection and replica, so they meet only
in PostgreSQL, as processes would. Numbers must be committed in their order and without gaps:
a puller that saw N has seen everything before N."""

from __future__ import annotations

import random
import threading
import time
from typing import Any

import pytest

from tests.hub.pg.test_backend import pg_rows, replica_tables


@pytest.fixture
def hubs(pg_url, tmp_path):
    """(the first hub, made with init_hub_pg; a function opening another one on the database)."""
    from imi_cli.hub.pg.hub import init_hub_pg, open_hub_pg

    key, replicas = tmp_path / "hub.key", tmp_path / "replicas"
    first = init_hub_pg(pg_url, key, replicas)
    first.key_file, first.replica_dir = key, replicas
    opened = [first]

    def another() -> Any:
        hub = open_hub_pg(pg_url, key, replicas)
        opened.append(hub)
        return hub

    yield first, another
    for hub in opened:
        hub.close()


def coordinator(hub: Any, country: str) -> Any:
    """A national coordinator invited by the operator and enrolled (no node: its signer)."""
    from imi_cli.directory.invitations import coordinator_records
    from imi_cli.log.crypto import Signer, code_hash, new_private_key, public_key_of

    c = country.lower()
    record, user = coordinator_records(f"{country}-NCO", country, f"Coordinator {country}", "en", "en",
                                       "professional-qualifications;services", f"imi@example.{c}",
                                       f"{c}.coord", f"Coordinator {country}", f"coord@example.{c}")
    code = hub.invite_coordinator(record, user)
    key = new_private_key()
    signer = Signer(user["id"], key)
    hub.enrol(code, public_key_of(key), signer.sign_bytes(code_hash(code).encode()))
    return signer


def message(signer: Any, frm: str, to: str) -> dict[str, Any]:
    from imi_cli.log.event import make_event, uuid7

    ident = uuid7()
    return signer.sign_event(make_event(
        "message.sent", actor={"user": signer.user_id, "authority": frm}, audience=[frm, to],
        payload={"from": frm, "to": to, "subject": "s", "text": "t", "lang": "en"},
        subject={"entity": f"message/{ident}", "version": 0}))


class Puller(threading.Thread):
    """Pulls FR-NCO's events through a hub in a loop, advancing its cursor as a node does."""

    def __init__(self, hub: Any) -> None:
        super().__init__(daemon=True)
        self.hub, self.seen, self.done, self.error = hub, [], threading.Event(), None

    def run(self) -> None:
        cursor = 0
        try:
            while True:
                last_round = self.done.is_set()
                rows = self.hub.events_for("FR-NCO", cursor, 50)
                self.seen += [seq for seq, _ in rows]
                if rows:
                    cursor = rows[-1][0]
                elif last_round:
                    return
                time.sleep(0.002)
        except Exception as exc:  # reported by the test
            self.error = exc

    def finish(self) -> list[int]:
        self.done.set()
        self.join(20)
        assert self.error is None
        return self.seen


def visible_to_fr(url: str) -> list[int]:
    return [s for (s,) in pg_rows(url, "SELECT DISTINCT seq FROM event_audience WHERE authority IN ('*', 'FR-NCO') "
                                       "ORDER BY seq")]


def test_control_a_plain_sequence_committed_in_reverse_order_makes_a_puller_skip(pg_url):
    """Why the writer scope exists: numbers from a sequence are taken in one order and committed
    in another, and a puller that moved its cursor past the later one never sees the earlier."""
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as setup:
        setup.execute("CREATE SEQUENCE s; CREATE TABLE log (seq bigint PRIMARY KEY)")
    a, b = psycopg.connect(pg_url), psycopg.connect(pg_url)
    puller = psycopg.connect(pg_url, autocommit=True)
    try:
        a.execute("INSERT INTO log SELECT nextval('s')")   # A takes 1
        b.execute("INSERT INTO log SELECT nextval('s')")   # B takes 2
        b.commit()                                         # ... and commits first
        cursor, seen = 0, []
        for _ in range(2):
            rows = [s for (s,) in puller.execute("SELECT seq FROM log WHERE seq > %s ORDER BY seq", (cursor,))]
            seen += rows
            cursor = rows[-1] if rows else cursor
            a.commit()                                     # A commits after the puller read 2
        assert seen == [2]                                 # 1 was skipped for good
        assert [s for (s,) in puller.execute("SELECT seq FROM log ORDER BY seq")] == [1, 2]
    finally:
        for conn in (a, b, puller):
            conn.close()


def test_writer_scope_a_paused_writer_holds_the_next_one_and_the_puller_skips_nothing(hubs, pg_url):
    first, another = hubs
    de = coordinator(first, "DE")
    coordinator(first, "FR")
    a, b, c = first, another(), another()
    paused, release = threading.Event(), threading.Event()

    def pause_a() -> None:
        if threading.current_thread().name == "writer-a":
            paused.set()
            assert release.wait(20)

    a.backend.before_commit = pause_a
    puller = Puller(c)
    puller.start()
    results: dict[str, Any] = {}
    writer_a = threading.Thread(name="writer-a", target=lambda: results.setdefault(
        "a", a.accept([message(de, "DE-NCO", "FR-NCO")], "de.coord")))
    writer_a.start()
    assert paused.wait(10)  # A took its number and waits before COMMIT
    writer_b = threading.Thread(name="writer-b", target=lambda: results.setdefault(
        "b", b.accept([message(de, "DE-NCO", "FR-NCO")], "de.coord")))
    writer_b.start()
    time.sleep(0.5)
    assert "b" not in results and writer_b.is_alive()  # B has no number: it waits for A's row lock
    assert pg_rows(pg_url, "SELECT count(*) FROM pg_locks WHERE NOT granted")[0][0] >= 1
    release.set()
    writer_a.join(10)
    writer_b.join(10)
    seq_a, seq_b = results["a"][0]["seq"], results["b"][0]["seq"]
    assert seq_b == seq_a + 1
    seen = puller.finish()
    assert seen == visible_to_fr(pg_url)  # every number, in order, none skipped
    assert seq_a in seen and seq_b in seen


def test_three_hubs_interleaving_writes_leave_no_gap_and_their_replicas_converge(hubs, pg_url):
    first, another = hubs
    de = coordinator(first, "DE")
    coordinator(first, "FR")
    group = [first, another(), another()]
    rng = random.Random(18)
    for hub in group:
        hub.backend.before_commit = lambda: time.sleep(rng.random() * 0.003)
    puller = Puller(another())
    puller.start()
    errors: list[BaseException] = []

    def write(hub: Any) -> None:
        try:
            for _ in range(40):
                result = hub.accept([message(de, "DE-NCO", "FR-NCO")], "de.coord")
                assert result[0]["status"] == "accepted", result
        except BaseException as exc:
            errors.append(exc)

    writers = [threading.Thread(target=write, args=(hub,)) for hub in group]
    for w in writers:
        w.start()
    for w in writers:
        w.join(60)
    assert not errors
    seen = puller.finish()
    seqs = [s for (s,) in pg_rows(pg_url, "SELECT seq FROM events ORDER BY seq")]
    assert seqs == list(range(1, len(seqs) + 1))  # no gap
    assert pg_rows(pg_url, "SELECT last_seq FROM hub_head") == [(seqs[-1],)]
    assert seen == visible_to_fr(pg_url)
    assert len(pg_rows(pg_url, "SELECT 1 FROM events WHERE type = 'message.sent'")) == 120
    for hub in group:
        hub.backend.catch_up()
    tables = [replica_tables(hub.store) for hub in group]
    assert tables[0] == tables[1] == tables[2]
    assert len(tables[0]["messages"]) == 120


def test_an_invitation_is_spent_once_across_two_hubs(hubs, pg_url):
    from imi_cli.directory.invitations import coordinator_records
    from imi_cli.errors import Rejected
    from imi_cli.log.crypto import Signer, code_hash, new_private_key, public_key_of

    a, another = hubs
    b = another()
    record, user = coordinator_records("DE-NCO", "DE", "Coordinator DE", "en", "en", "services",
                                       "imi@example.de", "de.coord", "Coordinator DE", "coord@example.de")
    code = a.invite_coordinator(record, user)
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def enrol(hub: Any) -> None:
        key = new_private_key()
        start.wait()
        try:
            hub.enrol(code, public_key_of(key), Signer("de.coord", key).sign_bytes(code_hash(code).encode()))
            outcomes.append("enrolled")
        except Rejected as refused:
            outcomes.append(refused.reason)

    threads = [threading.Thread(target=enrol, args=(hub,)) for hub in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert sorted(outcomes) == ["enrolled", "invalid_invitation"]
    assert pg_rows(pg_url, "SELECT count(*) FROM invitations_spent") == [(1,)]
    for hub in (a, b):
        hub.backend.catch_up()
        assert hub.store.query("SELECT count(*) FROM events WHERE type = 'user.enrolled' "
                               "AND json_extract(body, '$.payload.user') = 'de.coord'") == [(1,)]


def test_a_code_spent_in_postgresql_is_refused_even_if_the_replica_missed_it(hubs, pg_url):
    """The backstop: the primary key of invitations_spent refuses a second spending, mapped to
    the refusal a used code gets, and nothing of the enrolment is kept."""
    import psycopg

    from imi_cli.directory.invitations import coordinator_records
    from imi_cli.errors import Rejected
    from imi_cli.log.crypto import Signer, code_hash, new_private_key, public_key_of

    a, _ = hubs
    record, user = coordinator_records("DE-NCO", "DE", "Coordinator DE", "en", "en", "services",
                                       "imi@example.de", "de.coord", "Coordinator DE", "coord@example.de")
    code = a.invite_coordinator(record, user)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO invitations_spent VALUES (%s, 0)", (code_hash(code),))
    head = pg_rows(pg_url, "SELECT last_seq, last_change FROM hub_head")
    key = new_private_key()
    with pytest.raises(Rejected) as refused:
        a.enrol(code, public_key_of(key), Signer("de.coord", key).sign_bytes(code_hash(code).encode()))
    assert refused.value.reason == "invalid_invitation"
    assert pg_rows(pg_url, "SELECT last_seq, last_change FROM hub_head") == head
    assert a.store.query("SELECT count(*) FROM principals WHERE user_id = 'de.coord'") == [(0,)]


def test_a_write_through_one_hub_wakes_the_long_polls_of_another(hubs):
    first, another = hubs
    de = coordinator(first, "DE")
    coordinator(first, "FR")
    other = another()
    woken = threading.Event()
    other.listeners.append(woken.set)
    time.sleep(0.2)  # the listener is listening
    first.accept([message(de, "DE-NCO", "FR-NCO")], "de.coord")
    assert woken.wait(3)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and other.store.query("SELECT count(*) FROM messages") != [(1,)]:
        time.sleep(0.02)
    assert other.store.query("SELECT count(*) FROM messages") == [(1,)]  # and its replica followed


def test_a_lost_writer_connection_is_made_again_at_the_next_write(hubs, pg_url):
    first, _ = hubs
    de = coordinator(first, "DE")
    coordinator(first, "FR")
    pid = first.backend.pg.info.backend_pid
    assert pg_rows(pg_url, "SELECT pg_terminate_backend(%s)", (pid,)) == [(True,)]
    time.sleep(0.1)
    assert first.accept([message(de, "DE-NCO", "FR-NCO")], "de.coord")[0]["status"] == "accepted"
    assert first.backend.pg.info.backend_pid != pid
    seqs = [s for (s,) in pg_rows(pg_url, "SELECT seq FROM events ORDER BY seq")]
    assert seqs == list(range(1, len(seqs) + 1))


def test_without_notifications_a_long_poll_still_returns_within_the_recheck_interval(hubs):
    first, another = hubs
    de = coordinator(first, "DE")
    coordinator(first, "FR")
    from imi_cli.hub.pg.hub import open_hub_pg

    deaf = open_hub_pg(first.backend.url, first.key_file, first.replica_dir, listen=False)
    try:
        deaf.backend.recheck_seconds = 0.5
        cursor = max(seq for seq, _ in deaf.events_for("FR-NCO", 0, 1000))
        got: list[Any] = []
        poll = threading.Thread(target=lambda: got.append(deaf.wait_for("FR-NCO", cursor, 10, 20)))
        poll.start()
        time.sleep(0.3)
        started = time.monotonic()
        first.accept([message(de, "DE-NCO", "FR-NCO")], "de.coord")
        poll.join(10)
        assert got and len(got[0]) == 1 and got[0][0][0] > cursor
        assert time.monotonic() - started < 2.0  # not the 20 s of the poll
    finally:
        deaf.close()


def test_a_replica_whose_catch_up_fails_is_made_again_from_postgresql(hubs):
    first, another = hubs
    de = coordinator(first, "DE")
    coordinator(first, "FR")
    other = another()
    other.backend.catch_up()
    # damage: a row where the next event must go
    nxt = other.store.query("SELECT max(seq) + 1 FROM events")[0][0]
    with other.backend.lock, other.store.transaction() as conn:
        conn.execute("INSERT INTO events(seq, id, type, at, body, status, entity) VALUES (?, 'junk', 'junk', '', '{}', "
                     "'accepted', '')", (nxt,))
    first.accept([message(de, "DE-NCO", "FR-NCO")], "de.coord")
    other.backend.catch_up()
    assert other.store.query("SELECT count(*) FROM events WHERE id = 'junk'") == [(0,)]
    assert replica_tables(other.store) == replica_tables(first.store)


def test_the_writer_reads_the_head_under_read_committed_whatever_the_servers_default(hubs, pg_url):
    """Under REPEATABLE READ the head would be read from a snapshot older than the lock wait."""
    import psycopg

    from imi_cli.hub.pg.hub import open_hub_pg

    first, _ = hubs
    de = coordinator(first, "DE")
    coordinator(first, "FR")
    name = pg_url.rsplit("/", 1)[1]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"ALTER DATABASE \"{name}\" SET default_transaction_isolation = 'repeatable read'")
    other = open_hub_pg(pg_url, first.key_file, first.replica_dir)
    try:
        paused, release = threading.Event(), threading.Event()

        def pause() -> None:
            paused.set()
            assert release.wait(20)

        first.backend.before_commit = pause
        results: list[Any] = []
        a = threading.Thread(target=lambda: results.append(first.accept([message(de, "DE-NCO", "FR-NCO")],
                                                                        "de.coord")))
        a.start()
        assert paused.wait(10)
        b = threading.Thread(target=lambda: results.append(other.accept([message(de, "DE-NCO", "FR-NCO")],
                                                                        "de.coord")))
        b.start()
        time.sleep(0.3)
        first.backend.before_commit = None
        release.set()
        a.join(10)
        b.join(10)
        assert sorted(r[0]["status"] for r in results) == ["accepted", "accepted"]
        seqs = [s for (s,) in pg_rows(pg_url, "SELECT seq FROM events ORDER BY seq")]
        assert seqs == list(range(1, len(seqs) + 1))
    finally:
        other.close()


def test_a_user_enrolled_through_another_process_is_known_even_if_the_listener_caught_up_first(hubs):
    """principal(): a miss is read again after a catch-up, even one that found nothing left to do
    (the listener did it between the miss and the catch-up)."""
    first, another = hubs
    other = another()
    coordinator(first, "DE")
    other.backend.catch_up()  # the listener's part: nothing is left for principal()'s catch-up
    real, calls = other.backend.read_query, []

    def missing_once(sql: str, params: Any = ()) -> list[Any]:
        calls.append(sql)
        return [] if len(calls) == 1 else real(sql, params)

    other.backend.read_query = missing_once
    assert other.principal("de.coord") is not None
    assert len(calls) == 2
