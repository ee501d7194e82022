"""The hub's hot paths (issue 17) do the same work as before, with less of it:

- a pull checks only what can have fallen due since the last check (``hub/due_check.py``):
  nothing when neither the log nor the clock's minute moved; a reminder that falls due as the
  clock moves within a day, or because a pushed request's deadline is near, still comes with
  the next pull;
- a nonce older than the replay window is deleted through an index on its time;
- a pushed batch's signatures are verified before the hub's lock, and checked again under it
  if the pusher's key changed in between.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from imi_cli.exchanges.requests import reminders
from imi_cli.exchanges.requests.service import Requests
from imi_cli.hub.state import Hub
from imi_cli.log import clock
from imi_cli.log.crypto import new_private_key, public_key_of

from .conftest import sync
from .test_security import _message, pair  # noqa: F401  (two enrolled users of two countries)

SET = "services-verify-provider"


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    """A request network of its own (its clock moves far ahead, which others must not see)."""
    import imi_cli.log.store
    from imi_cli.hub.background import BackgroundHub
    from imi_cli.hub.state import init_hub
    from tests.exchanges.requests.network import build

    saved, imi_cli.log.store.KDF_ITERATIONS = imi_cli.log.store.KDF_ITERATIONS, 2
    folder = tmp_path_factory.mktemp("hot-paths")
    hub = init_hub(folder / "hub.db", "hot paths passphrase")
    served = BackgroundHub(hub).__enter__()
    try:
        net = build(hub, served.url, folder, {"ie.handler": ("IE", "request_handler"),
                                              "hu.handler": ("HU", "request_handler")}, "hot paths passphrase")
        yield net
        net.close()
    finally:
        served.__exit__(None, None, None)
        hub.store.close()
        imi_cli.log.store.KDF_ITERATIONS = saved


def at(monkeypatch, when: dt.datetime) -> None:
    monkeypatch.setenv("IMI_NOW", clock.iso(when))


def kinds_at_hub(hub, rid: str) -> list[str]:
    with hub.lock:
        rows = hub.store.query("SELECT body FROM events WHERE type = 'request.reminder' AND body LIKE ? "
                               "ORDER BY seq", (f"%{rid}%",))
    return [json.loads(b)["payload"]["kind"] for (b,) in rows]


def new_request(net, deadline: dt.date) -> str:
    ie, hu = Requests(net.stores["ie.handler"]), Requests(net.stores["hu.handler"])
    rid = ie.new(area="services", to="HU-AUTH", questionnaire=SET, questions=["legally_established"],
                 deadline=deadline.isoformat(), subject="Hot path check", person={"provider_name": "Kovács Bt."})
    ie.send(rid)
    net.sync("ie.handler", "hu.handler")
    hu.accept(rid)
    return rid


def count_due(monkeypatch) -> list[dict]:
    """Each call of ``reminders.due`` from now on, with how it was narrowed."""
    calls: list[dict] = []
    real = reminders.due

    def counted(conn, now, skipped=None, *, since=None, ids=None):
        calls.append({"since": since, "ids": ids})
        return real(conn, now, skipped, since=since, ids=ids)

    monkeypatch.setattr(reminders, "due", counted)
    return calls


def test_a_pull_with_nothing_new_reads_no_request_and_a_moved_minute_reads_only_its_window(network, monkeypatch):
    hub = network.hub
    start = clock.now().replace(hour=10, minute=0, second=0, microsecond=0) + dt.timedelta(days=400)
    at(monkeypatch, start)
    hub.remind_due()
    calls = count_due(monkeypatch)
    hub.remind_due()
    hub.wait_for("IE-AUTH", 10**9, 10, 0)
    assert calls == []  # neither the log nor the minute moved: not one request read
    at(monkeypatch, start + dt.timedelta(minutes=1))
    hub.remind_due()
    assert calls == [{"since": start, "ids": []}]  # the minute's window only, not every open request
    hub.remind_due()
    assert len(calls) == 1


def test_an_inactive_reminder_falling_due_within_a_day_comes_with_the_next_pull(network, monkeypatch):
    net = network
    start = clock.now().replace(hour=9, minute=0, second=0, microsecond=0) + dt.timedelta(days=500)
    at(monkeypatch, start)
    rid = new_request(net, (start + dt.timedelta(days=200)).date())
    net.sync("hu.handler", "ie.handler")
    last = clock.parse_instant(Requests(net.stores["hu.handler"]).get(rid)["last_activity"])
    # a check a minute before the month is up, then one a minute after: the same day
    at(monkeypatch, last + dt.timedelta(days=30, minutes=-1))
    net.sync("ie.handler")
    assert kinds_at_hub(net.hub, rid) == []
    at(monkeypatch, last + dt.timedelta(days=30, minutes=1))
    net.sync("ie.handler")
    assert kinds_at_hub(net.hub, rid) == ["inactive"]
    net.sync("ie.handler")
    assert kinds_at_hub(net.hub, rid) == ["inactive"]  # once


def test_a_pushed_request_whose_deadline_is_near_is_reminded_at_the_next_pull_in_the_same_minute(
        network, monkeypatch):
    net = network
    start = clock.now().replace(hour=11, minute=0, second=0, microsecond=0) + dt.timedelta(days=600)
    at(monkeypatch, start)
    net.sync("ie.handler")  # a check: the clock's minute is covered
    rid = new_request(net, (start + dt.timedelta(days=2)).date())  # the clock stays put
    net.sync("hu.handler", "ie.handler")
    assert kinds_at_hub(net.hub, rid) == ["deadline_near"]
    assert "deadline_near" in [k for (k,) in net.stores["ie.handler"].query(
        "SELECT json_extract(body, '$.payload.kind') FROM events WHERE type = 'request.reminder' AND body LIKE ?",
        (f"%{rid}%",))]


def test_expired_nonces_are_deleted_through_the_index_and_a_replay_is_still_refused(hub, monkeypatch):
    from imi_cli.protocol.signing import WINDOW_SECONDS, AuthError, use_nonce

    start = clock.now()
    at(monkeypatch, start)
    with hub.lock, hub.store.transaction() as conn:
        use_nonce(conn, "a" * 22)
        with pytest.raises(AuthError):
            use_nonce(conn, "a" * 22)
        plan = " ".join(str(row[-1]) for row in conn.execute(
            "EXPLAIN QUERY PLAN DELETE FROM request_nonces WHERE at < ?", (0,)))
    assert "request_nonces_at" in plan, plan
    at(monkeypatch, start + dt.timedelta(seconds=2 * WINDOW_SECONDS + 1))
    with hub.lock, hub.store.transaction() as conn:
        use_nonce(conn, "b" * 22)
        assert [n for (n,) in conn.execute("SELECT nonce FROM request_nonces")] == ["b" * 22]


def test_a_batch_prepared_under_a_key_no_longer_in_force_is_checked_against_the_key_in_force(hub, pair):  # noqa: F811
    """A batch done again (``Redo``) reuses what was prepared, with the key then in force: if
    the key changed in between, each event is checked against the key in force instead."""
    from imi_cli.hub.batch import Prepared

    hu_user, ie_user = pair
    event = _message(ie_user)
    # prepared with another key: the event does not verify with it, but the key in force is
    # read again in the batch's transaction, and the event is checked against that one
    prepared = Prepared([event], "ie.murphy")
    prepared.make((public_key_of(new_private_key()), None), None)
    (result,) = hub._sequence(prepared, None, careful=True)
    assert result["status"] == "accepted", result
    # prepared with the key in force, revoked before the batch is done again: refused
    second = _message(ie_user, text="Second.")
    prepared = Prepared([second], "ie.murphy")
    prepared.make(hub.store.query("SELECT public_key, revoked_at FROM principals WHERE user_id = 'ie.murphy'")[0],
                  None)
    hub.revoke("ie.murphy")
    (result,) = hub._sequence(prepared, None, careful=True)
    assert (result["status"], result["reason"]) == ("rejected", "revoked_key")


def test_a_batch_refuses_a_forged_signature_among_good_ones(hub, pair):  # noqa: F811
    from imi_cli.log.crypto import Signer

    hu_user, ie_user = pair
    good, forged, after = _message(ie_user, text="One."), _message(ie_user, text="Two."), _message(ie_user, text="3.")
    forged = Signer("ie.murphy", new_private_key()).sign_event({k: v for k, v in forged.items() if k != "signature"})
    results = hub.accept([good, forged, after], "ie.murphy")
    assert [r["status"] for r in results] == ["accepted", "rejected", "accepted"]
    assert results[1]["reason"] == "bad_signature"
    assert [r["seq"] for r in (results[0], results[2])] == [results[0]["seq"], results[0]["seq"] + 1]
    sync(hu_user)
    assert isinstance(hub, Hub)


@pytest.mark.parametrize("payload", [{"text": "Kovács Bt. — ünnep", "n": 1.5, "list": [{"b": 1, "a": None}]},
                                     {"weird \"key\"": "\u2028", "nested": {"z": [], "y": {}}}, {}])
def test_one_encoding_gives_the_stored_json_and_the_signed_json(payload):
    from imi_cli.hub.batch import encode, job_of

    def prepare(key, pusher, wire):  # (the check to make ahead, the stored text) as a batch makes them
        text, signed = encode(wire)
        return job_of(key, pusher, wire, signed), text

    from imi_cli.log.crypto import Signer, verify_event
    from imi_cli.log.crypto_pool import verify_all
    from imi_cli.log.disclosures import split
    from imi_cli.log.event import canonical, make_event

    key = new_private_key()
    event = Signer("u", key).sign_event(make_event("message.sent", actor={"user": "u", "authority": "A"},
                                                   payload=payload, subject={"entity": "message/x", "version": 0}))
    wire = {**event, "disclosures": ["x"]}
    job, text = prepare((public_key_of(key), None), "u", wire)
    assert text == canonical(split(wire)[0]) == canonical(event)
    assert verify_all([job]) == [True] and verify_event(public_key_of(key), wire)
    tampered = {**event, "payload": {**payload, "extra": 1}}
    assert verify_all([prepare((public_key_of(key), None), "u", tampered)[0]]) == [False]
    assert prepare((public_key_of(key), "2026-01-01T00:00:00.000Z"), "u", event)[0] is None  # revoked: in turn
    assert prepare((public_key_of(key), None), "someone else", event)[0] is None


def test_a_request_signature_checked_before_the_body_is_not_trusted_for_another_signature(hub, pair):  # noqa: F811
    from imi_cli.protocol.signing import AuthError, check_headers, verify_request

    from .conftest import signed_headers

    hu_user, ie_user = pair
    body = b'{"events": []}'
    headers = {k.lower(): v for k, v in signed_headers(ie_user, "POST", "/v1/events", body).items()}
    checked = check_headers(hub, headers, "POST", "/v1/events")
    assert checked.verified
    assert verify_request(hub, "POST", "/v1/events", headers, body, checked=checked)[0] == "ie.murphy"
    # the same check, but the signature now sent is another one (forged): it is verified again
    forged = {**headers, "x-imi-signature": headers["x-imi-signature"][::-1]}
    with pytest.raises(AuthError, match="does not verify"):
        verify_request(hub, "POST", "/v1/events", forged, body, checked=checked)
    # a body other than the digest checked ahead
    with pytest.raises(AuthError, match="does not match"):
        verify_request(hub, "POST", "/v1/events", headers, b'{"events": [1]}', checked=checked)
    # the method or target the check saw is part of what it verified
    with pytest.raises(AuthError, match="does not verify"):
        verify_request(hub, "POST", "/v1/other", headers, body)
